import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pathExists } from '../../core/index.js';
import { CONFIG_FILE_NAME, projectErrors } from '../../project/index.js';
import type { CommandContext, CommandSpec } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { memoryOutput } from '../output.js';

/** The bundled sample photos (assets/demo, CC0; see its LICENSE.md). */
export const DEMO_ASSETS_DIR = fileURLToPath(new URL('../../../assets/demo', import.meta.url));

interface DemoStep {
  readonly args: string[];
  /** A non-zero exit here does not stop the demo (doctor exits 3 on a blocked verdict). */
  readonly tolerate?: number[];
}

async function runStep(ctx: CommandContext, step: DemoStep, documents: unknown[]): Promise<number> {
  // Imported here to avoid a cycle: main.ts imports the command list that contains this command.
  const { runCli } = await import('../main.js');
  if (!ctx.json) {
    ctx.print(`\n$ tack ${step.args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}`);
    return runCli(step.args, { cwd: ctx.cwd, env: ctx.env, stdout: ctx.stdout, stderr: ctx.stderr, signal: ctx.signal });
  }
  const out = memoryOutput();
  const code = await runCli([...step.args, '--json'], { cwd: ctx.cwd, env: ctx.env, stdout: out, stderr: ctx.stderr, signal: ctx.signal });
  documents.push({ command: `tack ${step.args.join(' ')}`, exitCode: code, result: JSON.parse(out.text() || 'null') });
  return code;
}

export const demoCommand: CommandSpec = {
  name: 'demo',
  summary: 'The whole prepare path on bundled sample photos (no GPU, no network)',
  usage: 'demo [dir] [--json]',
  details: `Creates a project (default ./tack-demo), imports the bundled sample photos (drawings of a
fictional person, CC0, some faulty on purpose: a sideways phone photo, an iPhone HEIC, a blurry
one, a small one, a near-duplicate, a panorama), then runs doctor, plan and prepare, and says
what comes next. Running it again continues in the same folder.`,
  positionals: [{ name: 'dir', description: 'Where to create the demo project (default: tack-demo).' }],
  json: true,
  async run(ctx, { positionals }) {
    const dir = positionals[0] ?? 'tack-demo';
    const abs = path.resolve(ctx.cwd, dir);
    const exists = await pathExists(path.join(abs, CONFIG_FILE_NAME));
    if (!exists && (await pathExists(abs)) && (await readdir(abs)).length > 0) {
      throw projectErrors.create('PROJECT_EXISTS', `${abs} exists and is not empty, and it is not a tack project.`, 'Pick another folder: tack demo <new folder>');
    }
    const photos = (await readdir(DEMO_ASSETS_DIR)).filter((f) => !f.endsWith('.md') && !f.endsWith('.txt')).map((f) => path.join(DEMO_ASSETS_DIR, f));
    const steps: DemoStep[] = [
      ...(exists ? [] : [{ args: ['init', dir, '--token', 'xanrms', '--class', 'woman', '--name', 'ana-demo'] }]),
      { args: ['add', dir, ...photos] },
      { args: ['doctor', dir], tolerate: [EXIT_CODES.input] },
      { args: ['plan', dir] },
      { args: ['prepare', dir] },
    ];
    if (!ctx.json) ctx.print(`tack demo: the prepare half of the main job on ${photos.length} bundled sample photos, in ${abs}${exists ? ' (continuing the existing demo project)' : ''}.`);
    const documents: unknown[] = [];
    for (const step of steps) {
      const code = await runStep(ctx, step, documents);
      if (code !== EXIT_CODES.ok && !step.tolerate?.includes(code)) return code;
    }
    const next = [
      `Look at the training dataset in ${path.join(dir, 'dataset', 'img')} and its captions.`,
      `Caption the photos with WD14 tags (downloads the tagger once): tack caption ${dir}`,
      `Set base_model in ${path.join(dir, CONFIG_FILE_NAME)} to your Pony Realism .safetensors, then: tack train ${dir} --dry-run`,
      `No GPU here? Train on a rented one over ssh: tack remote add pod root@<host>:<port> --key <key file>, then tack train ${dir} --on pod (or carry a bundle there: tack export ${dir} --bundle ${dir}.zip)`,
      `All of this in the browser, with likeness scored live while it trains: tack studio ${path.dirname(abs)}`,
    ];
    if (ctx.json) {
      ctx.printJson({ kind: 'demo', project: abs, steps: documents, next });
      return;
    }
    ctx.print('\nThe prepare half is done. Next steps:');
    next.forEach((line, i) => ctx.print(`  ${i + 1}. ${line}`));
  },
};
