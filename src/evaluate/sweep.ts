/**
 * `tack sweep`: after training, renders epochs x strengths x sample prompts through the
 * engine's generation script or a web UI the user runs, into runs/<id>/evaluation/sweep/
 * <backend>/, with infotext in every PNG. Images already there are skipped, and the manifest is
 * written after every image, so Ctrl-C or a crash loses at most the image in progress.
 * `tack evaluate` then scores the sweep like the engine's own samples.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic, type ProgressListener } from '../core/index.js';
import type { Project } from '../project/index.js';
import { buildSampleInfotext, buildSamplePrompts, readPngText, writePngText } from '../prompt/index.js';
import { a1111Backend, uiLoraName } from './backend-a1111.js';
import { comfyuiBackend } from './backend-comfyui.js';
import { sdScriptsBackend } from './backend-sd-scripts.js';
import { evalErrors } from './errors.js';
import { readEvalRun, type EvalRun } from './run-reader.js';
import { readSweepManifest, sweepDir, sweepImageName, writeSweepManifest, type SweepBackend, type SweepImage } from './sweep-manifest.js';
import type { SweepBackendImpl, SweepJob } from './sweep-jobs.js';

export interface SweepOptions {
  readonly backend?: SweepBackend;
  readonly strengths?: readonly number[];
  /** Epochs to render (default: every epoch with a LoRA file). */
  readonly epochs?: readonly number[];
  readonly runId?: string;
  /** Overrides [samples] a1111_url / comfyui_url. */
  readonly url?: string;
  /** Overrides [samples] ui_lora_dir. */
  readonly loraDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  readonly onLog?: (line: string) => void;
}

export interface SweepResult {
  readonly run: string;
  readonly backend: SweepBackend;
  readonly dir: string;
  readonly total: number;
  readonly rendered: number;
  readonly skipped: number;
  readonly cancelled: boolean;
}

/** Parses "0.6,0.85,1" (the --strengths option). */
export function parseStrengths(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const values = parts.map(Number);
  if (parts.length === 0 || values.some((v) => !Number.isFinite(v) || v < -2 || v > 3)) {
    throw evalErrors.create('EVAL_BAD_STRENGTHS', `--strengths must be comma-separated numbers from -2 to 3; got "${text}".`, 'Example: --strengths 0.6,0.85,1');
  }
  return [...new Set(values)].sort((a, b) => a - b);
}

function promptsFor(project: Project, run: EvalRun) {
  const built = buildSamplePrompts(project.config);
  if (run.prompts.length === 0) return built.map((p) => ({ ...p, uiPrompt: p.uiPrompt ?? p.prompt, negative: p.negative ?? '' }));
  return run.prompts.map((line) => {
    const match = built.find((b) => b.prompt === line.prompt);
    const s = project.config.samples;
    return {
      prompt: line.prompt,
      uiPrompt: match?.uiPrompt ?? line.prompt,
      negative: line.negative ?? '',
      width: line.width ?? s.width,
      height: line.height ?? s.height,
      seed: line.seed ?? s.seeds[0] ?? 0,
      steps: line.steps ?? s.steps,
      cfg: line.cfg ?? s.cfg,
      sampler: line.sampler ?? s.sampler,
    };
  });
}

export function planSweepJobs(project: Project, run: EvalRun, strengths: readonly number[], epochs?: readonly number[]): SweepJob[] {
  const available = run.checkpoints.map((c) => c.epoch);
  if (available.length === 0) {
    throw evalErrors.create('EVAL_NO_CHECKPOINTS', `Run ${run.id} has no LoRA files in ${path.join(run.dir, 'output')}.`, 'Sweep a run that saved at least one epoch (tack runs lists them).', { details: { run: run.id } });
  }
  const wanted = epochs && epochs.length ? epochs : available;
  const unknown = wanted.filter((e) => !available.includes(e));
  if (unknown.length > 0) {
    throw evalErrors.create('EVAL_BAD_EPOCHS', `Run ${run.id} has no LoRA for epoch ${unknown.join(', ')}.`, `Epochs with a LoRA file: ${available.join(', ')}.`, { details: { unknown, available } });
  }
  const prompts = promptsFor(project, run);
  const s = project.config.samples;
  const jobs: SweepJob[] = [];
  for (const checkpoint of run.checkpoints.filter((c) => wanted.includes(c.epoch))) {
    for (const strength of strengths) {
      prompts.forEach((p, promptIndex) => {
        jobs.push({
          epoch: checkpoint.epoch,
          strength,
          promptIndex,
          seed: p.seed,
          prompt: p.prompt,
          uiPrompt: p.uiPrompt,
          negative: p.negative,
          width: p.width,
          height: p.height,
          steps: p.steps,
          cfg: p.cfg,
          sampler: p.sampler,
          uiSampler: s.ui_sampler,
          clipSkip: s.clip_skip,
          lora: checkpoint.file,
          outName: sweepImageName(checkpoint.epoch, strength, promptIndex, p.seed),
        });
      });
    }
  }
  return jobs;
}

function backendFor(project: Project, run: EvalRun, backend: SweepBackend, options: SweepOptions): SweepBackendImpl {
  const s = project.config.samples;
  const env = options.env ?? process.env;
  const baseModel = project.config.base_model ? path.resolve(project.paths.root, project.config.base_model) : (run.baseModel ?? '');
  const http = options.signal ? { signal: options.signal } : {};
  const loraPrefix = `tack-${run.outputName}-${run.id}`;
  if (backend === 'sd-scripts') {
    const sdScriptsDir = env.TACK_SD_SCRIPTS;
    if (!sdScriptsDir) {
      throw evalErrors.create('EVAL_BACKEND_SETUP', 'TACK_SD_SCRIPTS is not set, so the engine\'s generation script cannot be found.', 'Set TACK_SD_SCRIPTS to your kohya sd-scripts folder (and TACK_PYTHON to its Python), or use --backend a1111|comfyui.');
    }
    return sdScriptsBackend({ python: env.TACK_PYTHON || 'python3', sdScriptsDir, baseModel, workDir: path.join(run.evaluationDir, 'sweep', '.work'), env, ...(run.training ? { training: run.training } : {}) });
  }
  const common = { loraDir: options.loraDir ?? (s.ui_lora_dir ? path.resolve(project.paths.root, s.ui_lora_dir) : ''), loraPrefix, checkpoint: s.ui_checkpoint, adetailer: s.adetailer };
  if (backend === 'a1111') return a1111Backend({ ...common, url: options.url ?? s.a1111_url }, http);
  return comfyuiBackend({ ...common, url: options.url ?? s.comfyui_url, baseModel }, http);
}

export async function sweepRun(project: Project, options: SweepOptions = {}): Promise<SweepResult> {
  const backend = options.backend ?? project.config.samples.backend;
  const strengths = options.strengths ?? project.config.samples.strengths;
  const run = await readEvalRun(project.paths, options.runId);
  const jobs = planSweepJobs(project, run, strengths, options.epochs);
  const dir = sweepDir(run.evaluationDir, backend);
  const manifest = await readSweepManifest(run.evaluationDir, backend);
  const have = new Map(manifest.images.map((i) => [i.file, i]));
  const existing = new Set<string>();
  for (const job of jobs) {
    if (have.has(job.outName) && (await fsp.access(path.join(dir, job.outName)).then(() => true, () => false))) existing.add(job.outName);
  }
  const pending = jobs.filter((j) => !existing.has(j.outName));
  const result = { run: run.id, backend, dir, total: jobs.length, skipped: existing.size };
  options.onProgress?.({ done: existing.size, total: jobs.length });
  if (pending.length === 0) return { ...result, rendered: 0, cancelled: false };
  const impl = backendFor(project, run, backend, options);
  await impl.check(pending);
  const images: SweepImage[] = [...manifest.images.filter((i) => existing.has(i.file) || !jobs.some((j) => j.outName === i.file))];
  let rendered = 0;
  const loraPrefix = `tack-${run.outputName}-${run.id}`;
  await impl.render(pending, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onLog ? { onLog: options.onLog } : {}),
    onImage: async ({ job, png, infotext }) => {
      const loraName = backend === 'sd-scripts' ? path.parse(job.lora).name : uiLoraName(loraPrefix, job.epoch);
      const text =
        infotext ??
        buildSampleInfotext({
          prompt: backend === 'sd-scripts' ? job.prompt : job.uiPrompt,
          negative: job.negative,
          steps: job.steps,
          sampler: backend === 'sd-scripts' ? job.sampler : job.uiSampler,
          cfg: job.cfg,
          seed: job.seed,
          width: job.width,
          height: job.height,
          ...(backend === 'sd-scripts' ? {} : { clipSkip: job.clipSkip }),
          lora: { name: loraName, strength: job.strength },
          source: `tack sweep (${backend}), epoch ${job.epoch}, strength ${job.strength}`,
        });
      let bytes: Uint8Array = png;
      try {
        if (readPngText(png).parameters === undefined) bytes = writePngText(png, { parameters: text });
      } catch {
        // Not a PNG we can annotate (a JPEG from a customised UI): keep the bytes as they are.
      }
      await writeFileAtomic(path.join(dir, job.outName), bytes);
      images.push({ file: job.outName, epoch: job.epoch, strength: job.strength, promptIndex: job.promptIndex, seed: job.seed, prompt: job.uiPrompt, negative: job.negative, createdAt: new Date().toISOString() });
      await writeSweepManifest(run.evaluationDir, { version: 1, backend, images });
      rendered++;
      options.onProgress?.({ done: existing.size + rendered, total: jobs.length, item: job.outName });
    },
  });
  return { ...result, rendered, cancelled: Boolean(options.signal?.aborted) };
}
