/**
 * Sweep through the engine's own generation script, sdxl_gen_img.py (kohya sd-scripts), so
 * images come from the same code that trained the LoRA. One process renders the whole grid:
 * every epoch's LoRA is loaded as its own network and each prompt line switches them with
 * `--am` (network multipliers, comma-separated, one per network), so the base model loads once.
 * Facts used, from sdxl_gen_img.py: `--from_file` lines are split on " --" with per-line
 * `--w --h --d --l --s --n --am`; `--network_module/--network_weights/--network_mul` take one
 * value per network; `--sequential_file_name` names images im_000001.png ... in prompt order
 * (one image per line with --images_per_prompt 1 and --batch_size 1); the sampler is global
 * (`--sampler`, the same choices as training's --sample_sampler).
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { pathExists, writeFileAtomic } from '../core/index.js';
import { buildGenImgPrecisionArgs, findEngineError } from '../engine/index.js';
import { runProgram } from '../io/index.js';
import { probePython } from '../run/index.js';
import type { EvalRun } from './run-reader.js';
import { evalErrors } from './errors.js';
import type { SweepBackendContext, SweepBackendImpl, SweepJob } from './sweep-jobs.js';

export interface SdScriptsBackendOptions {
  /** Python interpreter (TACK_PYTHON, default python3). */
  readonly python: string;
  /** sd-scripts checkout (TACK_SD_SCRIPTS). */
  readonly sdScriptsDir: string;
  readonly baseModel: string;
  /** Scratch folder for the prompt file and the script's output. */
  readonly workDir: string;
  readonly env?: NodeJS.ProcessEnv;
  /** How the run trained: its precision and attention are used for rendering too. */
  readonly training?: EvalRun['training'];
  /** Precision/attention flags instead of those derived from the run and the Python's torch. */
  readonly extraArgs?: readonly string[];
}

function clean(text: string): string {
  return text.replace(/\s+--/g, ' -').replace(/[\r\n]+/g, ' ');
}

export function buildGenPromptFile(jobs: readonly SweepJob[], loras: readonly string[]): string {
  const lines = jobs.map((j) => {
    const muls = loras.map((l) => (l === j.lora ? j.strength : 0));
    return [clean(j.prompt), `--n ${clean(j.negative)}`, `--w ${j.width}`, `--h ${j.height}`, `--d ${j.seed}`, `--l ${j.cfg}`, `--s ${j.steps}`, `--am ${muls.join(',')}`].join(' ');
  });
  return `${lines.join('\n')}\n`;
}

export function buildGenArgs(options: SdScriptsBackendOptions & { readonly precisionArgs: readonly string[] }, jobs: readonly SweepJob[], loras: readonly string[], promptFile: string, outDir: string): string[] {
  const first = jobs[0] as SweepJob;
  return [
    path.join(options.sdScriptsDir, 'sdxl_gen_img.py'),
    '--ckpt',
    options.baseModel,
    '--outdir',
    outDir,
    '--from_file',
    promptFile,
    '--sequential_file_name',
    '--images_per_prompt',
    '1',
    '--batch_size',
    '1',
    '--sampler',
    first.sampler,
    '--steps',
    String(first.steps),
    '--scale',
    String(first.cfg),
    '--W',
    String(first.width),
    '--H',
    String(first.height),
    '--network_module',
    ...loras.map(() => 'networks.lora'),
    '--network_weights',
    ...loras,
    '--network_mul',
    ...loras.map(() => '0'),
    ...(options.extraArgs ?? options.precisionArgs),
  ];
}

/** Why the script failed, in its own words when it printed an exception or an ERROR record. */
function describeGenFailure(outcome: Exclude<Awaited<ReturnType<typeof runProgram>>, { kind: 'cancelled' }>, python: string, rendered: number, wanted: number): { message: string; engineError?: string } {
  const why = outcome.kind === 'not-started' ? `could not start ${python}: ${outcome.message}` : outcome.kind === 'exited' ? `exited with code ${outcome.code}` : `was killed by ${outcome.signal}`;
  const lines = 'lastLines' in outcome ? outcome.lastLines : [];
  const engineError = findEngineError(lines.join('\n'));
  const tail = lines.slice(-8).join('\n  ');
  const exitedCleanly = outcome.kind === 'exited' && outcome.code === 0;
  const head = exitedCleanly ? `sdxl_gen_img.py finished but wrote ${rendered} of ${wanted} images` : `sdxl_gen_img.py ${why} after ${rendered} of ${wanted} images`;
  return { message: `${head}${engineError ? `: ${engineError}` : '.'}${tail ? `\n  ${tail}` : ''}`, ...(engineError ? { engineError } : {}) };
}

export function sdScriptsBackend(options: SdScriptsBackendOptions): SweepBackendImpl {
  let precisionArgs: readonly string[] = buildGenImgPrecisionArgs(options.training ?? {});
  return {
    name: 'sd-scripts',
    async check() {
      const script = path.join(options.sdScriptsDir, 'sdxl_gen_img.py');
      if (!(await pathExists(script))) {
        throw evalErrors.create('EVAL_BACKEND_SETUP', `${script} does not exist: TACK_SD_SCRIPTS must point at a kohya sd-scripts checkout.`, 'Set TACK_SD_SCRIPTS (tack engine doctor checks it), or sweep through a web UI with --backend a1111|comfyui.', {
          details: { script },
        });
      }
      if (!options.baseModel || !(await pathExists(options.baseModel))) {
        throw evalErrors.create('EVAL_BACKEND_SETUP', `The base model "${options.baseModel}" does not exist.`, 'Set base_model in tack.toml to the checkpoint the LoRA was trained on.', { details: { baseModel: options.baseModel } });
      }
      if (!options.extraArgs) {
        // What this Python's torch can do decides the flags as much as the run does (no fp16
        // without CUDA, no --sdpa before torch 2); a probe that fails leaves the run's choice.
        const { probe } = await probePython(options.python, options.sdScriptsDir, { modules: [], timeoutMs: 120_000 });
        if (probe?.torch) precisionArgs = buildGenImgPrecisionArgs(options.training ?? {}, { cuda: probe.cudaAvailable, ...(probe.sdpa !== null ? { sdpa: probe.sdpa } : {}) });
      }
    },
    async render(jobs, context: SweepBackendContext) {
      if (jobs.length === 0) return;
      // Lines that share size/steps/CFG/sampler can go in one call (those are global arguments).
      const groups = new Map<string, SweepJob[]>();
      for (const j of jobs) {
        const key = `${j.width}x${j.height}|${j.steps}|${j.cfg}|${j.sampler}`;
        groups.set(key, [...(groups.get(key) ?? []), j]);
      }
      let call = 0;
      for (const group of groups.values()) {
        const loras = [...new Set(group.map((j) => j.lora))];
        const dir = path.join(options.workDir, `call-${Date.now()}-${call++}`);
        const outDir = path.join(dir, 'out');
        await fsp.mkdir(outDir, { recursive: true });
        const promptFile = path.join(dir, 'prompts.txt');
        await writeFileAtomic(promptFile, buildGenPromptFile(group, loras));
        const outcome = await runProgram(options.python, buildGenArgs({ ...options, precisionArgs }, group, loras, promptFile, outDir), {
          cwd: options.sdScriptsDir,
          env: { ...(options.env ?? process.env), PYTHONUNBUFFERED: '1' },
          ...(context.signal ? { signal: context.signal } : {}),
          ...(context.onLog ? { onLine: context.onLog } : {}),
        });
        // Keep whatever finished, also after a failure or Ctrl-C: images are numbered in line order.
        const names = (await fsp.readdir(outDir)).filter((n) => /^im_\d{6}\.png$/.test(n)).sort();
        for (const name of names) {
          const index = Number(name.slice(3, 9)) - 1;
          const job = group[index];
          if (job) await context.onImage({ job, png: await fsp.readFile(path.join(outDir, name)) });
        }
        await fsp.rm(dir, { recursive: true, force: true });
        if (outcome.kind === 'cancelled') return;
        if (outcome.kind !== 'exited' || outcome.code !== 0 || names.length < group.length) {
          const { message, engineError } = describeGenFailure(outcome, options.python, names.length, group.length);
          throw evalErrors.create('EVAL_BACKEND_FAILED', message, 'Fix the cause shown, then run tack sweep again: finished images are kept.', {
            details: { rendered: names.length, wanted: group.length, ...(engineError ? { engineError } : {}), precisionFlags: options.extraArgs ?? precisionArgs },
          });
        }
      }
    },
  };
}
