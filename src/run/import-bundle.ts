/**
 * `tack runs import`: a bundle (tack export --bundle) trained elsewhere (Colab, a machine tack
 * cannot reach) becomes a run folder like a local run's, so evaluate, report, sweep and the
 * studio work on it. The bundle's tack-plan.json says which project and plan it came from;
 * import checks it. The bundle's log goes through the same supervisor, parser and typed outcome
 * as a live run (a transport that replays it), its checkpoints and samples land in output/ as
 * if they had just been written, and the outcome follows from what the log and files show.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { copyFileAtomic, finding, readJson, throwIfCancelled, writeJsonAtomic, type Finding } from '../core/index.js';
import { parseEngineToml, sdScriptsEngine, type TrainSettings } from '../engine/index.js';
import { createLineSplitter } from '../io/index.js';
import type { Project } from '../project/index.js';
import { runErrors } from './errors.js';
import type { TrainResult } from './outcome.js';
import { createRunFolder, listRunMetas, writeRunMeta, type RunMeta, type RunPaths } from './run-folder.js';
import { superviseRun } from './supervise.js';
import type { TrainerTransport } from './transport.js';
import { extractZipEntry, listZip, ZipReadError } from './unzip.js';

/** tack-plan.json, as tack export --bundle writes it. */
export interface BundlePlan {
  readonly kind: 'tack-bundle';
  readonly project: string;
  readonly bundleId?: string;
  readonly preset: string;
  readonly gpuProfile: string;
  readonly plan: { readonly images: number; readonly repeats: number; readonly epochs: number; readonly batchSize: number; readonly totalSteps: number; readonly numProcesses: number; readonly gradientAccumulationSteps?: number; readonly stepsPerEpoch?: number; readonly batchesPerEpoch?: number; readonly recipeSteps?: number };
  readonly settings: TrainSettings;
  readonly sdScriptsCommit?: string;
}

/** A bundle folder or a zip of one: its files by path inside the bundle. */
interface BundleSource {
  readonly files: ReadonlyMap<string, { readonly size: number; readonly modified: Date }>;
  read(rel: string): Promise<Buffer>;
  copy(rel: string, target: string): Promise<void>;
}

async function walk(dir: string, base: string, out: Map<string, { size: number; modified: Date }>): Promise<void> {
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, base, out);
    else if (entry.isFile()) {
      const stat = await fsp.stat(full);
      out.set(path.relative(base, full).split(path.sep).join('/'), { size: stat.size, modified: stat.mtime });
    }
  }
}

function badBundle(source: string, why: string): Error {
  return runErrors.create('RUN_IMPORT_BAD_BUNDLE', `${source} is not a trained tack bundle: ${why}.`, 'Give the bundle folder (the one with tack-plan.json, after ./train.sh ran) or a zip of it.', { details: { source } });
}

async function openBundle(source: string): Promise<BundleSource> {
  const stat = await fsp.stat(source).catch(() => undefined);
  if (!stat) throw runErrors.create('RUN_IMPORT_BAD_BUNDLE', `${source} does not exist.`, 'Give the bundle folder or its zip.', { details: { source } });
  if (stat.isDirectory()) {
    let root = source;
    // A folder the zip was unpacked into: the bundle is its one subfolder.
    if (!(await fsp.stat(path.join(root, 'tack-plan.json')).catch(() => undefined))) {
      const inner = (await fsp.readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory());
      const found = [];
      for (const d of inner) if (await fsp.stat(path.join(root, d.name, 'tack-plan.json')).catch(() => undefined)) found.push(d.name);
      if (found.length !== 1) throw badBundle(source, 'it has no tack-plan.json');
      root = path.join(root, found[0] as string);
    }
    const files = new Map<string, { size: number; modified: Date }>();
    await walk(root, root, files);
    return { files, read: (rel) => fsp.readFile(path.join(root, rel)), copy: (rel, target) => copyFileAtomic(path.join(root, rel), target, { durable: false }) };
  }
  let entries;
  try {
    entries = await listZip(source);
  } catch (error) {
    throw badBundle(source, error instanceof ZipReadError ? error.message : 'it is neither a folder nor a zip');
  }
  const plans = entries.filter((e) => e.name === 'tack-plan.json' || e.name.endsWith('/tack-plan.json')).sort((a, b) => a.name.length - b.name.length);
  if (!plans[0]) throw badBundle(source, 'the zip has no tack-plan.json');
  const prefix = plans[0].name.slice(0, -'tack-plan.json'.length);
  const byRel = new Map(entries.filter((e) => e.name.startsWith(prefix) && !e.name.endsWith('/')).map((e) => [e.name.slice(prefix.length), e]));
  const extract = async (rel: string, target: string) => {
    try {
      await extractZipEntry(source, byRel.get(rel) as NonNullable<ReturnType<typeof byRel.get>>, target);
    } catch (error) {
      throw badBundle(source, error instanceof Error ? error.message : String(error));
    }
  };
  return {
    files: new Map([...byRel].map(([rel, e]) => [rel, { size: e.size, modified: e.modified }])),
    async read(rel) {
      const tmp = path.join(path.dirname(source), `.tack-import-${process.pid}-${path.basename(rel)}`);
      try {
        await extract(rel, tmp);
        return await fsp.readFile(tmp);
      } finally {
        await fsp.rm(tmp, { force: true });
      }
    },
    copy: extract,
  };
}

const STAMP = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) /gm;

/** When the engine started and last logged (its log's time stamps, local time there). */
function logTimes(log: string): { first?: Date; last?: Date } {
  let first: Date | undefined;
  let last: Date | undefined;
  for (const m of log.matchAll(STAMP)) {
    const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
    const at = new Date(y, mo - 1, d, h, mi, s);
    first ??= at;
    last = at;
  }
  return { ...(first ? { first } : {}), ...(last ? { last } : {}) };
}

/** Plays a bundle back through the supervisor: its log as the trainer's output, then its files. */
function bundleTransport(bundle: BundleSource, log: Buffer, run: RunPaths, outputs: readonly string[], times: { started: Date; ended: Date }, hasFinal: boolean): TrainerTransport {
  return {
    where: 'the bundle',
    filesArriveWhole: true,
    watchesStall: true,
    writesLog: false,
    onHangup: 'stop',
    async start(_command, output) {
      const replay = async () => {
        const lines = createLineSplitter((text) => output.onLines(text));
        for (let at = 0; at < log.length; at += 65_536) {
          const chunk = log.subarray(at, at + 65_536);
          output.onChunk(chunk);
          lines.push(chunk);
        }
        lines.end();
        for (const rel of outputs) await bundle.copy(rel, path.join(run.dir, ...rel.split('/')));
        output.onFiles();
        return {
          code: hasFinal ? 0 : null,
          signal: null,
          startedAt: times.started.toISOString(),
          endedAt: times.ended.toISOString(),
          ...(hasFinal
            ? {}
            : { lost: { message: 'The bundle\'s log ends before the run did (the machine stopped: a Colab runtime that ended, a closed terminal)', hint: 'Continue it where it trained (./train.sh --resume in the bundle folder), then import it again with --force.' } }),
        };
      };
      return { pid: 0, supervisor: { pid: process.pid, hostname: 'bundle' }, startedAt: times.started.toISOString(), exited: replay(), stop: () => undefined, killedAfterGrace: false };
    },
  };
}

export interface ImportBundleOptions {
  readonly project: Project;
  readonly source: string;
  readonly projectArg: string;
  /** Import a bundle already imported once (as another run). */
  readonly force?: boolean;
  readonly signal?: AbortSignal;
}

export interface ImportBundleResult {
  readonly id: string;
  readonly paths: RunPaths;
  readonly outcome: TrainResult;
  readonly files: number;
  readonly findings: readonly Finding[];
}

export async function importBundle(options: ImportBundleOptions): Promise<ImportBundleResult> {
  const { project } = options;
  const source = path.resolve(options.source);
  const bundle = await openBundle(source);
  if (!bundle.files.has('tack-plan.json')) throw badBundle(source, 'it has no tack-plan.json');
  let plan: BundlePlan;
  try {
    plan = JSON.parse((await bundle.read('tack-plan.json')).toString('utf8')) as BundlePlan;
  } catch {
    throw badBundle(source, 'its tack-plan.json is not readable JSON');
  }
  if (plan.kind !== 'tack-bundle' || !plan.plan || !plan.settings) throw badBundle(source, 'its tack-plan.json was not written by tack export --bundle');
  if (plan.project !== project.config.name) {
    throw runErrors.create('RUN_IMPORT_MISMATCH', `${source} is a bundle of project "${plan.project}", not of "${project.config.name}" (${project.paths.root}).`, `Import it into the project it came from: tack runs import <${plan.project} project folder> ${options.source}`, {
      details: { bundleProject: plan.project, project: project.config.name },
    });
  }
  const outputs = [...bundle.files.keys()].filter((rel) => rel.startsWith('output/') && !rel.split('/').some((part) => part.startsWith('.'))).sort();
  if (!bundle.files.has('log.txt') && !outputs.length) throw badBundle(source, 'it has no log.txt and no output/ (run ./train.sh in it first)');
  if (plan.bundleId && !options.force) {
    for (const { id, meta } of await listRunMetas(project.paths)) {
      if (meta.importedFrom?.bundleId === plan.bundleId) {
        throw runErrors.create('RUN_IMPORT_EXISTS', `This bundle was already imported as run ${id}.`, `See it with: tack runs ${options.projectArg} show ${id} (pass --force to import it again as a new run).`, { details: { run: id } });
      }
    }
  }
  throwIfCancelled(options.signal);
  const findings: Finding[] = [];
  const manifest = await readJson<{ images?: unknown[] } | null>(project.paths.manifestFile, null).catch(() => null);
  if (manifest?.images && manifest.images.length !== plan.plan.images) {
    findings.push(finding('warning', 'RUN_IMPORT_DATASET_CHANGED', `The bundle trained on ${plan.plan.images} images; the project has ${manifest.images.length} now.`, { fix: 'Likeness scores compare samples with the project\'s photos as they are now.' }));
  }
  const log = bundle.files.has('log.txt') ? await bundle.read('log.txt') : Buffer.alloc(0);
  const logInfo = logTimes(log.toString('utf8'));
  const newest = [...bundle.files.values()].reduce((a, f) => (f.modified > a ? f.modified : a), new Date(0));
  const started = logInfo.first ?? bundle.files.get('log.txt')?.modified ?? newest;
  const ended = logInfo.last && logInfo.last > started ? logInfo.last : newest > started ? newest : started;
  const { id, paths: run } = await createRunFolder(project.paths, started);
  try {
    for (const rel of ['config/dataset.toml', 'config/args.toml', 'config/sample_prompts.txt']) if (bundle.files.has(rel)) await bundle.copy(rel, path.join(run.dir, ...rel.split('/')));
    const args = bundle.files.has('config/args.toml') ? (parseEngineToml(await fsp.readFile(run.argsToml, 'utf8')).table ?? {}) : {};
    const modelArg = Object.values(args).map((section) => (section && typeof section === 'object' ? (section as Record<string, unknown>).pretrained_model_name_or_path : undefined)).find((v) => typeof v === 'string');
    await writeJsonAtomic(run.commandFile, { argv: ['./train.sh'], cwd: '(the bundle folder on the machine that trained it)', env: {} });
    const p = plan.plan;
    const now = new Date().toISOString();
    const meta: RunMeta = {
      version: 1,
      id,
      project: plan.project,
      createdAt: now,
      updatedAt: now,
      status: 'prepared',
      outputName: plan.project,
      preset: { name: plan.preset, gpuProfile: plan.gpuProfile, settings: plan.settings },
      plan: {
        images: p.images,
        repeats: p.repeats,
        epochs: p.epochs,
        batchSize: p.batchSize,
        gradientAccumulationSteps: p.gradientAccumulationSteps ?? 1,
        numProcesses: p.numProcesses,
        totalSteps: p.totalSteps,
        stepsPerEpoch: p.stepsPerEpoch ?? Math.ceil(p.totalSteps / Math.max(1, p.epochs)),
        batchesPerEpoch: p.batchesPerEpoch ?? Math.ceil(p.totalSteps / Math.max(1, p.epochs)),
        recipeSteps: p.recipeSteps ?? p.totalSteps,
      },
      engine: { name: 'sd-scripts', ...(plan.sdScriptsCommit ? { commit: plan.sdScriptsCommit } : {}) },
      baseModel: typeof modelArg === 'string' ? modelArg : '',
      attempts: [],
      importedFrom: { source, ...(plan.bundleId ? { bundleId: plan.bundleId } : {}), importedAt: now },
    };
    await writeRunMeta(run, meta);
    throwIfCancelled(options.signal);
    const hasFinal = outputs.includes(`output/${plan.project}.safetensors`);
    const outcome = await superviseRun({
      engine: sdScriptsEngine,
      command: { argv: ['./train.sh'], cwd: run.dir, env: {} },
      run,
      meta,
      stallTimeoutMs: 24 * 3600_000,
      stopGraceMs: 0,
      projectArg: options.projectArg,
      transport: bundleTransport(bundle, log, run, outputs, { started, ended }, hasFinal),
    });
    return { id, paths: run, outcome, files: outputs.length, findings };
  } catch (error) {
    // A half-imported run is no run: the bundle is untouched, so the import can simply be repeated.
    await fsp.rm(run.dir, { recursive: true, force: true });
    throw error;
  }
}
