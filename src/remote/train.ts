/**
 * Training on a remote: check the machine, find (or fetch) the base model there, write the run
 * folder here with the remote's paths in its configs, sync what the run needs into the
 * project's folder there, and hand src/run a transport that launches and follows it. The run
 * folder here ends up as a local run's would (same files, outcome, metrics), so evaluate,
 * report, sweep and the studio read it unchanged.
 */
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from '../io/index.js';
import { hashBytes, readJson, type ProgressEvent } from '../core/index.js';
import type { DatasetManifest } from '../dataset/index.js';
import { sdScriptsEngine, type DeviceSetting } from '../engine/index.js';
import type { Project } from '../project/index.js';
import {
  listRuns,
  prepareRun,
  repairStateStep,
  superviseRun,
  type PreparedRun,
  type ResumePlan,
  type RunRecord,
  type SupervisorEvent,
  type TrainResult,
} from '../run/index.js';
import { runRemoteDoctor, type RemoteDoctorResult } from './doctor.js';
import { remoteErrors } from './errors.js';
import { RemoteTransport, type RemoteTransportOptions } from './follow.js';
import { resolveRemoteModel, type RemoteModel } from './model.js';
import { findRemote, formatSshTarget } from './registry.js';
import { RemoteSession } from './session.js';
import { syncToRemote, type SyncEntry, type SyncResult } from './sync.js';
import { chooseTransfer } from './transfer.js';

export type RemoteProgressKind = 'download' | 'upload' | 'sync';

export interface RemoteTrainOptions {
  readonly project: Project;
  readonly manifest: DatasetManifest;
  readonly env: NodeJS.ProcessEnv;
  /** The remote's name. */
  readonly remote: string;
  readonly presetName?: string;
  readonly gpuProfile?: string;
  /** --device (else [train] device; auto = the remote's CUDA GPU). */
  readonly device?: DeviceSetting;
  /** Send the local base model when the remote lacks it. */
  readonly uploadModel?: boolean;
  /** Launch and leave the run going. */
  readonly detach?: boolean;
  readonly transport?: Omit<RemoteTransportOptions, 'detachAfterLaunch'>;
  readonly signal?: AbortSignal;
  readonly onStep?: (text: string) => void;
  readonly onProgress?: (kind: RemoteProgressKind, event: ProgressEvent) => void;
}

export interface PreparedRemoteRun {
  readonly prepared: PreparedRun;
  readonly session: RemoteSession;
  readonly transport: RemoteTransport;
  readonly doctor: RemoteDoctorResult;
  readonly model: RemoteModel;
  readonly sync: SyncResult;
}

/** The project's folder on a remote: its name plus a hash of where it lives here (two projects may share a name). */
export function remoteProjectDir(root: string, project: Project): string {
  const id = hashBytes(project.paths.root).slice(0, 8);
  return path.posix.join(root, 'projects', `${project.config.name}-${id}`);
}

/** The hashes of what was sent to remotes, kept per project (.tack/cache). */
function syncCacheFile(project: Project): string {
  return path.join(project.paths.stateDir, 'cache', 'sync-hashes.json');
}

function posixRel(rel: string): string {
  return rel.split(path.sep).join('/');
}

/** Everything up to the launch: doctor, model, run folder, sync. */
export async function prepareRemoteRun(options: RemoteTrainOptions): Promise<PreparedRemoteRun> {
  const { project, manifest, signal } = options;
  const entry = await findRemote(options.env, options.remote);
  const session = new RemoteSession(entry, options.env);
  options.onStep?.(`Checking ${session.label}`);
  const doctor = await runRemoteDoctor(session, { ...(signal ? { signal } : {}), ...(project.config.train.num_gpus ? { numGpus: project.config.train.num_gpus } : {}) });
  if (!doctor.ready || !doctor.probe) {
    const failed = doctor.checks.filter((c) => c.status === 'error');
    const disk = failed.find((c) => c.id === 'disk');
    if (disk) {
      throw remoteErrors.create('REMOTE_DISK_FULL', `${session.label} has too little free disk: ${disk.detail}.`, `Free space there (df -h ${doctor.info.disk.path}), or use a larger volume: tack remote add ${entry.name} ... --dir /workspace/tack --replace`, {
        details: { remote: entry.name, freeBytes: doctor.info.disk.freeBytes },
      });
    }
    throw remoteErrors.create(
      'REMOTE_ENGINE_NOT_READY',
      `${session.label} cannot train yet:\n${failed.map((c) => `  - ${c.label}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ''}`).join('\n')}`,
      `Fix the lines above (tack remote doctor ${entry.name} shows every check), then run tack train again.`,
      { details: { remote: entry.name, failed: failed.map((c) => c.id) } },
    );
  }
  const root = doctor.info.root;
  const method = await chooseTransfer(session, Boolean(doctor.info.rsync));
  const model = await resolveRemoteModel(session, project, root, {
    upload: options.uploadModel ?? false,
    method,
    env: options.env,
    ...(signal ? { signal } : {}),
    ...(options.onStep ? { onStep: options.onStep } : {}),
    onProgress: (event) => options.onProgress?.(options.uploadModel ? 'upload' : 'download', event),
  });
  const projectDir = remoteProjectDir(root, project);
  const prepared = await prepareRun({
    project,
    manifest,
    env: options.env,
    dryRun: false,
    ...(signal ? { signal } : {}),
    ...(options.presetName ? { presetName: options.presetName } : {}),
    ...(options.gpuProfile ? { gpuProfile: options.gpuProfile } : {}),
    ...(options.device ? { device: options.device } : {}),
    target: {
      machine: { location: doctor.location, probe: doctor.probe, modelPath: model.path, baseModel: model.info },
      remote: { name: entry.name, target: formatSshTarget(entry), hostname: doctor.info.hostname, projectDir },
    },
  });
  const runRel = posixRel(path.relative(project.paths.root, prepared.paths.dir));
  const files: SyncEntry[] = [];
  for (const image of manifest.images) for (const rel of [image.image, image.caption]) files.push({ rel: posixRel(rel), file: path.join(project.paths.root, rel) });
  for (const file of [prepared.paths.datasetToml, prepared.paths.argsToml, prepared.paths.samplePrompts, prepared.paths.commandFile]) {
    files.push({ rel: posixRel(path.relative(project.paths.root, file)), file });
  }
  options.onStep?.(`Syncing the dataset and configs to ${entry.name}:${projectDir}`);
  const sync = await syncToRemote(session, {
    localRoot: project.paths.root,
    remoteRoot: projectDir,
    files,
    mirror: ['dataset/img', `${runRel}/config`],
    method,
    cacheFile: syncCacheFile(project),
    ...(signal ? { signal } : {}),
    onProgress: (event) => options.onProgress?.('sync', event),
  });
  const remoteRun = prepared.meta.remote?.runDir as string;
  const transport = new RemoteTransport(session, { remoteDir: remoteRun, localDir: prepared.paths.dir, method }, { ...(options.transport ?? {}), ...(options.detach ? { detachAfterLaunch: true } : {}) });
  return { prepared, session, transport, doctor, model, sync };
}

const LOCK_NAME = '.tack-follow.json';

/**
 * One tack at a time follows a remote run: two would append the same log bytes twice and pull
 * the same files. The lock is the run folder's .tack-follow.json (pid and host); a dead
 * holder's lock is taken over.
 */
export async function lockFollow(localRunDir: string): Promise<() => Promise<void>> {
  const file = path.join(localRunDir, LOCK_NAME);
  const mine = { pid: process.pid, hostname: os.hostname(), since: new Date().toISOString() };
  for (let i = 0; i < 2; i++) {
    try {
      await fsp.writeFile(file, JSON.stringify(mine), { flag: 'wx' });
      return async () => {
        const held = await readJson<typeof mine | null>(file, null).catch(() => null);
        if (held?.pid === mine.pid) await fsp.rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const held = await readJson<typeof mine | null>(file, null).catch(() => null);
      if (held && held.hostname === os.hostname() && held.pid !== process.pid && isProcessAlive(held.pid)) {
        throw remoteErrors.create('REMOTE_RUN_BUSY', `This run is already followed by tack (pid ${held.pid}, since ${held.since}).`, 'Use that terminal, or stop that tack first (the run goes on on the remote).', { details: { pid: held.pid } });
      }
      await fsp.rm(file, { force: true });
    }
  }
  throw remoteErrors.create('REMOTE_RUN_BUSY', `Could not take ${file}.`, 'Another tack is starting to follow this run; try again.');
}

export interface FollowOptions {
  readonly project: Project;
  readonly projectArg: string;
  readonly signal?: AbortSignal;
  readonly detachSignal?: AbortSignal;
  readonly onEvent?: (event: SupervisorEvent) => void;
  readonly transport?: Omit<RemoteTransportOptions, 'detachAfterLaunch'>;
}

/** The newest remote run that is not finished here (or the one named), with its remote. */
export async function findRemoteRun(project: Project, id?: string): Promise<RunRecord> {
  const runs = (await listRuns(project.paths)).filter((r) => r.meta.remote);
  const run = id ? runs.find((r) => r.id === id) : runs.filter((r) => r.meta.status === 'running').at(-1);
  if (!run) {
    throw remoteErrors.create(
      'REMOTE_NOTHING_TO_ATTACH',
      id ? `Run ${id} is not a remote run of this project.` : 'This project has no remote run that is still going (or whose results are not home yet).',
      'tack runs <project> lists the runs; start one with tack train <project> --on <remote>.',
      { details: { run: id ?? null } },
    );
  }
  if (run.meta.status !== 'running') {
    throw remoteErrors.create('REMOTE_NOTHING_TO_ATTACH', `Run ${run.id} already ended (${run.meta.status}) and its results are here.`, `See it with: tack runs <project> show ${run.id}`, { details: { run: run.id } });
  }
  return run;
}

/** Follows a remote run that is going (or ended while nobody watched) to its outcome. */
export async function attachRemoteRun(record: RunRecord, options: FollowOptions & { readonly env: NodeJS.ProcessEnv }): Promise<{ result: TrainResult; transport: RemoteTransport }> {
  const remote = record.meta.remote;
  if (!remote) throw remoteErrors.create('REMOTE_NOTHING_TO_ATTACH', `Run ${record.id} ran on this machine.`, 'Only remote runs can be attached to.');
  const entry = await findRemote(options.env, remote.name);
  const session = new RemoteSession(entry, options.env);
  await session.connect(options.signal);
  const info = await session.info({}, options.signal);
  const method = await chooseTransfer(session, Boolean(info.rsync));
  const transport = new RemoteTransport(session, { remoteDir: remote.runDir, localDir: record.paths.dir, method }, options.transport ?? {});
  const command = await readJson<{ argv: string[]; cwd: string; env: Record<string, string> }>(record.paths.commandFile);
  const release = await lockFollow(record.paths.dir);
  try {
    const train = options.project.config.train;
    const result = await superviseRun({
      engine: sdScriptsEngine,
      command,
      run: record.paths,
      meta: record.meta,
      stallTimeoutMs: train.stall_timeout_minutes * 60_000,
      stopGraceMs: train.stop_grace_seconds * 1000,
      projectArg: options.projectArg,
      transport,
      attach: true,
      stepOffset: record.meta.attempts.at(-1)?.stepOffset ?? 0,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.detachSignal ? { detachSignal: options.detachSignal } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    return { result, transport };
  } finally {
    await release();
  }
}


/**
 * `tack train --resume` of a remote run: it continues there (its saved state is there), once
 * the remote says it is not going any more; the --resume path in its command names the copy
 * there of the state folder the plan found here.
 */
export async function prepareRemoteResume(plan: ResumePlan, options: { readonly project: Project; readonly env: NodeJS.ProcessEnv; readonly projectArg: string; readonly on?: string; readonly signal?: AbortSignal }): Promise<{ plan: ResumePlan; transport: RemoteTransport }> {
  const remote = plan.meta.remote;
  if (!remote) throw remoteErrors.create('REMOTE_NOTHING_TO_ATTACH', `Run ${plan.id} ran on this machine.`, 'Resume it without --on.');
  if (options.on && options.on !== remote.name) {
    throw remoteErrors.create('REMOTE_RUN_BUSY', `Run ${plan.id} trained on ${remote.name}; its saved state is there, so it resumes there, not on ${options.on}.`, `Run: tack train ${options.projectArg} --resume (without --on), or start a new run with --on ${options.on}.`);
  }
  const session = new RemoteSession(await findRemote(options.env, remote.name), options.env);
  const info = await session.info({}, options.signal);
  const status = await session.helperJson<{ runs: Record<string, { exists: boolean; exit: unknown; supervisorAlive: boolean }> }>(['status'], { runs: [remote.runDir] }, { doing: 'looking at the run', ...(options.signal ? { signal: options.signal } : {}) });
  const there = status.runs[remote.runDir];
  if (!there?.exists) {
    throw remoteErrors.create('REMOTE_RUN_GONE', `The run folder ${remote.runDir} no longer exists on ${session.label}, so there is no saved state to resume from.`, `Start a new run: tack train ${options.projectArg} --on ${remote.name}`, { details: { dir: remote.runDir } });
  }
  if (there.supervisorAlive && !there.exit) throw remoteErrors.create('REMOTE_RUN_BUSY', `Run ${plan.id} is still going on ${session.label}.`, `Follow it with: tack attach ${options.projectArg}`, { details: { run: plan.id } });
  const argv = [...plan.argv];
  if (plan.stateDir) argv.splice(argv.length - 1, 1, path.posix.join(remote.runDir, ...path.relative(plan.paths.dir, plan.stateDir).split(path.sep)));
  const method = await chooseTransfer(session, Boolean(info.rsync));
  let state = plan.state;
  if (state && state.recordedStep < state.step) {
    // The engine restarts its step count after a resume and saves that count (resume.ts): the
    // copy here is corrected, and the copy there, which the engine reads, gets the same file.
    await repairStateStep(state);
    state = { ...state, recordedStep: state.step };
    const rel = [...path.relative(plan.paths.dir, state.dir).split(path.sep), 'train_state.json'].join('/');
    await syncToRemote(session, {
      localRoot: plan.paths.dir,
      remoteRoot: remote.runDir,
      files: [{ rel, file: path.join(state.dir, 'train_state.json') }],
      mirror: [],
      method,
      cacheFile: syncCacheFile(options.project),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  // The state is repaired already: resumeRun finds nothing left to correct.
  return { plan: { ...plan, argv, ...(state ? { state } : {}) }, transport: new RemoteTransport(session, { remoteDir: remote.runDir, localDir: plan.paths.dir, method }) };
}
