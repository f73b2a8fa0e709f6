/**
 * `tack remote doctor`: can this remote train? One ssh round trip asks tack's helper about the
 * machine and runs the engine probe (the same Python program as `tack engine doctor`) with the
 * remote engine's Python; the answer goes through the same doctor report as a local engine,
 * with fixes that name the remote, plus what only a remote has: the connection, the helper's
 * Python, free disk, rsync, and GPU memory already held by another program (pod templates that
 * start a web UI).
 */
import {
  buildDoctorReport,
  gpuMemoryGiB,
  OPTIONAL_MODULES,
  parseProbeOutput,
  PINNED_SD_SCRIPTS_COMMIT,
  probeScript,
  REQUIRED_MODULES,
  versionAtLeast,
  type DoctorCheck,
  type DoctorReport,
  type EngineLocation,
  type GpuProfile,
  type ProbeResult,
} from '../engine/index.js';
import { formatBytes } from '../core/index.js';
import type { RemoteInfo, RemoteSession } from './session.js';

export type RemoteCheckStatus = DoctorCheck['status'];

export interface RemoteCheck {
  readonly id: string;
  readonly status: RemoteCheckStatus;
  readonly label: string;
  readonly detail: string;
  readonly fix?: string;
}

export interface RemoteDoctorResult {
  readonly info: RemoteInfo;
  readonly location: EngineLocation;
  readonly probe?: ProbeResult;
  readonly report: DoctorReport;
  readonly checks: readonly RemoteCheck[];
  readonly ready: boolean;
  readonly gpuProfile?: GpuProfile;
  /** accelerate processes a run would start (one per GPU, or [train] num_gpus). */
  readonly processes: number;
}

/** Below this much free space a run cannot even hold the base model and a few checkpoints. */
export const MIN_FREE_BYTES = 8 * 1024 ** 3;
const LOW_FREE_BYTES = 25 * 1024 ** 3;
/** GPU memory another program may hold before it is worth a warning. */
const BUSY_GPU_MIB = 1500;

export function engineLocationOf(info: RemoteInfo): EngineLocation {
  const e = info.engine;
  return {
    ...(e.dir ? { sdScriptsDir: e.dir } : {}),
    sdScriptsSource: e.source,
    installDir: e.installDir,
    python: e.python,
    pythonSource: e.pythonSource,
    ...(e.commit ? { commit: e.commit } : {}),
    ...(e.gitDir ? { gitDir: e.gitDir } : {}),
  };
}

/** The probe's answer, or why there is none. */
export function probeOf(info: RemoteInfo): { probe?: ProbeResult; error?: string } {
  if (!info.probe) return { error: 'not run' };
  const probe = parseProbeOutput(info.probe.stdout);
  if (probe) return { probe };
  if (info.probe.error) return { error: info.probe.error };
  const last = info.probe.stderr.trim().split('\n').slice(-2).join(' ').trim();
  return { error: `exit code ${info.probe.code}${last ? `: ${last}` : ''}` };
}

/** Rewrites the local engine doctor's fixes for a remote. */
function remoteFix(check: DoctorCheck, name: string, location: EngineLocation): string | undefined {
  const install = `tack engine install --on ${name}`;
  switch (check.id) {
    case 'sd-scripts':
      return `Run \`${install}\` (into ${location.installDir}), or name an existing checkout there: tack remote add ${name} ... --sd-scripts /path/to/sd-scripts --replace`;
    case 'python':
      return `Run \`${install}\`, or name the venv's Python there: tack remote add ${name} ... --engine-python /path/to/venv/bin/python --replace`;
    case 'commit':
      return `On the remote: git -C ${location.sdScriptsDir ?? '<sd-scripts>'} checkout ${PINNED_SD_SCRIPTS_COMMIT} (or \`${install}\`).`;
    case 'torch':
    case 'accelerate':
    case 'dependencies':
      return `Run \`${install}\` (it installs CUDA torch and sd-scripts' requirements into the venv there).`;
    case 'cuda':
      return 'The remote has no usable CUDA GPU: rent a machine with an NVIDIA GPU, or check its driver with nvidia-smi there.';
    case 'gpu':
      return check.status === 'error' ? 'SDXL LoRA training does not fit: rent a GPU with 16-24 GB.' : check.fix;
    default:
      return check.fix;
  }
}

export interface RemoteDoctorOptions {
  /** [train] num_gpus of the project, when one is given. */
  readonly numGpus?: number;
  readonly signal?: AbortSignal;
}

export async function runRemoteDoctor(session: RemoteSession, options: RemoteDoctorOptions = {}): Promise<RemoteDoctorResult> {
  await session.connect(options.signal);
  const info = await session.info({ probeScript: probeScript([...REQUIRED_MODULES, ...OPTIONAL_MODULES]), probeTimeoutSec: 240 }, options.signal);
  return buildRemoteDoctor(session.remote.name, session.label, info, options.numGpus);
}

/** The doctor's checks from the helper's answer (pure). */
export function buildRemoteDoctor(name: string, label: string, info: RemoteInfo, numGpus?: number): RemoteDoctorResult {
  const location = engineLocationOf(info);
  const { probe, error } = probeOf(info);
  const report = buildDoctorReport({ location, sdScriptsOk: info.engine.ok, ...(probe ? { probe } : {}), ...(error ? { probeError: error } : {}) });
  const checks: RemoteCheck[] = [];
  checks.push({ id: 'ssh', status: 'ok', label: 'ssh', detail: `${label}: ${info.hostname}, ${info.system} ${info.release} ${info.machine}` });
  const helperOk = versionAtLeast(info.agentPython, '3.8');
  checks.push({ id: 'helper', status: helperOk ? 'ok' : 'error', label: 'python3', detail: `${info.agentPython} (runs tack's helper)`, ...(helperOk ? {} : { fix: 'tack\'s helper needs Python 3.8 or newer on the remote.' }) });
  const free = info.disk.freeBytes;
  const diskStatus = free < MIN_FREE_BYTES ? 'error' : free < LOW_FREE_BYTES ? 'warning' : 'ok';
  checks.push({
    id: 'disk',
    status: diskStatus,
    label: 'disk',
    detail: `${formatBytes(free)} free of ${formatBytes(info.disk.totalBytes)} at ${info.disk.path} (tack's folder: ${info.root})`,
    ...(diskStatus === 'ok' ? {} : { fix: `A run needs the base model (~7 GB), sd-scripts with torch (~8 GB) and its checkpoints: free space or use a larger volume${diskStatus === 'error' ? '' : ' before long runs'}.` }),
  });
  checks.push(info.rsync ? { id: 'rsync', status: 'ok', label: 'rsync', detail: info.rsync } : { id: 'rsync', status: 'warning', label: 'rsync', detail: 'not installed: files go as tar over ssh', fix: 'Install rsync there (apt install rsync) for transfers that resume after a dropped connection.' });
  const smi = info.nvidiaSmi;
  if (smi.gpus?.length) {
    const busy = smi.gpus.filter((g) => g.usedMiB > BUSY_GPU_MIB);
    checks.push({
      id: 'nvidia-smi',
      status: busy.length ? 'warning' : 'ok',
      label: 'nvidia-smi',
      detail: `driver ${smi.gpus[0]?.driver}; ${smi.gpus.map((g) => `GPU ${g.index} ${g.usedMiB} of ${g.memoryMiB} MiB in use`).join(', ')}`,
      ...(busy.length ? { fix: `Another program holds GPU memory (${busy.map((g) => `GPU ${g.index}: ${(g.usedMiB / 1024).toFixed(1)} GiB`).join(', ')}), often a web UI the pod template started: stop it (nvidia-smi shows the process) before training.` } : {}),
    });
  } else {
    checks.push({ id: 'nvidia-smi', status: probe?.gpus.length ? 'ok' : 'warning', label: 'nvidia-smi', detail: `${smi.error ?? 'no GPUs listed'}${probe?.gpus.length ? ` (torch sees ${probe.gpus.length} GPU(s))` : ''}`, ...(probe?.gpus.length ? {} : { fix: 'No NVIDIA driver answered: this machine may have no GPU.' }) });
  }
  for (const c of report.checks) {
    const fix = c.status === 'ok' ? undefined : remoteFix(c, name, location);
    checks.push({ id: c.id, status: c.status, label: c.label, detail: c.detail, ...(fix ? { fix } : {}) });
  }
  const gpus = probe?.gpus ?? [];
  const processes = Math.max(1, numGpus ?? gpus.length);
  if (gpus.length > 0) {
    const used = Math.min(processes, gpus.length);
    checks.push({
      id: 'processes',
      status: (numGpus ?? 0) > gpus.length ? 'error' : 'ok',
      label: 'processes',
      detail: `${used > 1 ? `${used} accelerate processes, one per GPU (data-parallel: each step trains ${used} batches)` : '1 accelerate process'}${report.gpuProfile ? `, GPU profile ${report.gpuProfile.name} (smallest GPU ${Math.min(...gpus.map(gpuMemoryGiB)).toFixed(1)} GiB)` : ''}`,
      ...((numGpus ?? 0) > gpus.length ? { fix: `[train] num_gpus = ${numGpus}, but the remote has ${gpus.length} GPU(s).` } : {}),
    });
  }
  const ready = !checks.some((c) => c.status === 'error');
  return { info, location, ...(probe ? { probe } : {}), report, checks, ready, ...(report.gpuProfile ? { gpuProfile: report.gpuProfile } : {}), processes };
}
