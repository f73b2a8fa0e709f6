import path from 'node:path';
import { writeFileAtomic } from '../../core/index.js';
import { loadProject } from '../../project/index.js';
import { buildSamplePrompts, checkSamplePrompts, formatSdScriptsPromptFile, isPonyConfig } from '../../prompt/index.js';
import { choiceOption, stringOption, type CommandSpec } from '../command.js';
import { printFindings } from '../render.js';

export const samplesCommand: CommandSpec = {
  name: 'samples',
  summary: 'Show the sample prompts rendered every epoch (recipe-based, editable in [samples])',
  usage: 'samples <dir> [--format list|sd-scripts|a1111] [--write <file>] [--json]',
  details: `Lists the prompts the engine renders after every epoch and tack scores for likeness:
the trigger and class in portrait, mid-shot and full-body framings in varied scenes, with
Pony's full quality prefix for Pony models (score_9 ... score_4_up) and the recipe's
negative; fixed seeds so epochs are comparable. Change them in tack.toml [samples]
(prompts with {trigger} and {class}, negative, seeds, width, height, steps, cfg, sampler).
Examples:
  tack samples my-lora
  tack samples my-lora --format sd-scripts --write prompts.txt
  tack samples my-lora --format a1111`,
  positionals: [{ name: 'dir', required: true, description: 'The project folder.' }],
  options: {
    format: { type: 'string', value: '<list|sd-scripts|a1111>', description: 'list (default): readable; sd-scripts: the engine\'s prompt file; a1111: web UI prompts (BREAK after the Pony prefix).' },
    write: { type: 'string', value: '<file>', description: 'Write the sd-scripts prompt file there (the training area writes it into each run).' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const dir = path.resolve(ctx.cwd, positionals[0] as string);
    const project = await loadProject(dir, { tokenize: false });
    const prompts = buildSamplePrompts(project.config);
    const findings = checkSamplePrompts(project.config, prompts);
    const target = stringOption(values, 'write');
    const file = formatSdScriptsPromptFile(prompts);
    if (target) await writeFileAtomic(path.resolve(ctx.cwd, target), file);
    if (ctx.json) {
      ctx.printJson({ kind: 'samples', project: project.paths.root, pony: isPonyConfig(project.config), prompts, sdScriptsFile: file, findings, ...(target ? { written: path.resolve(ctx.cwd, target) } : {}) });
      return;
    }
    const format = choiceOption(values, 'format', ['list', 'sd-scripts', 'a1111'] as const) ?? 'list';
    if (format === 'sd-scripts') {
      ctx.print(file.trimEnd());
    } else if (format === 'a1111') {
      prompts.forEach((p, i) => {
        ctx.print(`#${i} ${p.uiPrompt ?? p.prompt}`);
        ctx.print(`Negative prompt: ${p.negative ?? ''}`);
        ctx.print(`Steps: ${p.steps}, Sampler: ${project.config.samples.ui_sampler}, CFG scale: ${p.cfg}, Seed: ${p.seed}, Size: ${p.width}x${p.height}, Clip skip: ${project.config.samples.clip_skip}`);
        ctx.print();
      });
    } else {
      const first = prompts[0];
      ctx.print(`${prompts.length} sample prompts per epoch${isPonyConfig(project.config) ? ' (Pony quality prefix added)' : ''}; ${first ? `${first.width}x${first.height}, ${first.steps} steps, CFG ${first.cfg}, sampler ${first.sampler}` : ''}`);
      ctx.print(`Negative: ${first?.negative ?? ''}`);
      ctx.print();
      prompts.forEach((p, i) => ctx.print(`  #${String(i).padEnd(2)} seed ${String(p.seed).padEnd(11)} ${p.label ? `[${p.label}] ` : ''}${p.prompt}`));
    }
    if (findings.length) {
      ctx.print();
      printFindings(ctx, findings);
    }
    if (target) ctx.print(`\nWrote ${path.resolve(ctx.cwd, target)}`);
  },
};
