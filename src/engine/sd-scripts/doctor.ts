/**
 * `tack engine doctor`: each check says what it found and, when something is wrong, how to
 * fix it. Pure: it reads what locate, the probe and the model header found.
 */
import path from 'node:path';
import type { Finding } from '../../core/index.js';
import { chooseDevice, describeDeviceSpeed, type DeviceSetting, type TrainDevice } from '../device.js';
import { pickGpuProfile, type GpuProfile } from '../presets.js';
import type { BaseModelInfo } from './base-model.js';
import { checkBaseModel } from './base-model.js';
import { PINNED_SD_SCRIPTS_COMMIT, type EngineLocation } from './locate.js';
import { gpuMemoryGiB, OPTIONAL_MODULES, REQUIRED_MODULES, versionAtLeast, type ProbeResult } from './probe.js';

export type CheckStatus = 'ok' | 'warning' | 'error' | 'skipped';

export interface DoctorCheck {
  readonly id: 'sd-scripts' | 'commit' | 'python' | 'torch' | 'cuda' | 'device' | 'gpu' | 'accelerate' | 'dependencies' | 'bitsandbytes' | 'base-model';
  readonly status: CheckStatus;
  readonly label: string;
  /** What was found. */
  readonly detail: string;
  /** What to do (warnings and errors). */
  readonly fix?: string;
}

export interface DoctorInput {
  readonly location: EngineLocation;
  readonly sdScriptsOk: boolean;
  readonly probe?: ProbeResult;
  /** Why the probe gave no answer (python missing, crashed ...). */
  readonly probeError?: string;
  readonly model?: { readonly file: string; readonly info?: BaseModelInfo; readonly error?: string };
  /** The optimizer the project will use (8-bit ones need bitsandbytes). */
  readonly optimizer?: string;
  /** [train] device or --device (default auto). */
  readonly device?: DeviceSetting;
}

export interface DoctorReport {
  readonly checks: readonly DoctorCheck[];
  /** No check has status error. */
  readonly ready: boolean;
  readonly gpuProfile?: GpuProfile;
  readonly gpuCount: number;
  /** The device tack train would use (undefined: none, or the probe gave no answer). */
  readonly device?: TrainDevice;
}

const check = (id: DoctorCheck['id'], status: CheckStatus, label: string, detail: string, fix?: string): DoctorCheck => ({ id, status, label, detail, ...(fix ? { fix } : {}) });

export function buildDoctorReport(input: DoctorInput): DoctorReport {
  const { location, probe } = input;
  const setting = input.device ?? 'auto';
  const checks: DoctorCheck[] = [];
  if (!location.sdScriptsDir) {
    checks.push(check('sd-scripts', 'error', 'sd-scripts', 'no checkout found', `Run \`tack engine install\` (into ${location.installDir}), or point TACK_SD_SCRIPTS at an existing kohya sd-scripts folder.`));
  } else if (!input.sdScriptsOk) {
    checks.push(check('sd-scripts', 'error', 'sd-scripts', `${location.sdScriptsDir} (from ${location.sdScriptsSource}) has no sdxl_train_network.py and library/`, 'Point TACK_SD_SCRIPTS (or [train] sd_scripts) at the sd-scripts checkout itself, not its parent; or run `tack engine install`.'));
  } else {
    checks.push(check('sd-scripts', 'ok', 'sd-scripts', `${location.sdScriptsDir} (from ${location.sdScriptsSource})`));
    if (!location.commit) {
      checks.push(check('commit', 'warning', 'commit', 'not a git checkout: the commit is unknown', `tack checks arguments against sd-scripts ${PINNED_SD_SCRIPTS_COMMIT.slice(0, 8)}; install with \`tack engine install\` for that exact version.`));
    } else if (location.commit !== PINNED_SD_SCRIPTS_COMMIT) {
      checks.push(check('commit', 'warning', 'commit', `${location.commit.slice(0, 8)}, not the ${PINNED_SD_SCRIPTS_COMMIT.slice(0, 8)} tack's argument table was taken from`, `Arguments added or removed since may be misjudged. \`git -C ${location.sdScriptsDir} checkout ${PINNED_SD_SCRIPTS_COMMIT}\` to match.`));
    } else {
      checks.push(check('commit', 'ok', 'commit', `${location.commit.slice(0, 8)} (the version tack was built against)`));
    }
  }
  if (!probe) {
    checks.push(check('python', 'error', 'python', `${location.python} (from ${location.pythonSource}) did not run: ${input.probeError ?? 'no answer'}`, 'Set TACK_PYTHON to the Python of the sd-scripts venv (e.g. sd-scripts/venv/bin/python), or run `tack engine install`.'));
  } else {
    const old = !versionAtLeast(probe.python, '3.10');
    checks.push(check('python', old ? 'error' : 'ok', 'python', `${probe.python} at ${probe.executable}`, old ? 'sd-scripts needs Python 3.10 or newer (its README recommends 3.10).' : undefined));
    if (!probe.torch) {
      checks.push(check('torch', 'error', 'torch', `not importable (${probe.torchError ?? 'missing'})`, 'Install PyTorch with CUDA into this Python: `tack engine install` does it, or see sd-scripts\' README (torch 2.6.0, cu124).'));
    } else {
      const tooOld = !versionAtLeast(probe.torch, '2.6');
      checks.push(check('torch', tooOld ? 'warning' : 'ok', 'torch', probe.torch, tooOld ? 'sd-scripts says PyTorch 2.6.0 or later is required; upgrade torch.' : undefined));
      if (!probe.cudaAvailable || probe.gpus.length === 0) {
        const detail = `torch ${probe.torch} sees no CUDA GPU${probe.cudaVersion ? '' : ' (a CPU-only torch build)'}`;
        if (setting === 'cpu' || setting === 'mps') checks.push(check('cuda', 'skipped', 'CUDA', `${detail}; not needed for device ${setting}`));
        else checks.push(check('cuda', 'error', 'CUDA', detail, 'SDXL training needs an NVIDIA GPU with CUDA torch; on this machine, use `tack export --bundle` and train on a rented GPU.'));
      } else {
        checks.push(check('cuda', 'ok', 'CUDA', `CUDA ${probe.cudaVersion ?? '?'}${probe.bf16 === false ? ', no bf16 (fp16 will be used)' : ''}`));
      }
    }
  }
  const choice = probe?.torch ? chooseDevice(setting, probe) : {};
  if (probe?.torch) checks.push(deviceCheck(setting, choice, probe));
  let gpuProfile: GpuProfile | undefined;
  const gpus = probe?.gpus ?? [];
  if (gpus.length > 0) {
    const smallest = Math.min(...gpus.map(gpuMemoryGiB));
    gpuProfile = pickGpuProfile(smallest);
    const list = gpus.map((g) => `${g.name} ${gpuMemoryGiB(g).toFixed(1)} GiB`).join(', ');
    if (!gpuProfile) checks.push(check('gpu', 'error', 'GPU', `${list}: below 7 GiB`, 'SDXL LoRA training does not fit; rent a GPU with 16-24 GB (tack export --bundle).'));
    else if (gpuProfile.name === '8gb') checks.push(check('gpu', 'warning', 'GPU', `${list} -> profile ${gpuProfile.name}`, `Below kohya's 12 GB guideline: ${gpuProfile.why}.`));
    else checks.push(check('gpu', 'ok', 'GPU', `${list} -> profile ${gpuProfile.name} (${gpuProfile.why})`));
  }
  if (probe) {
    const accelerate = probe.modules.accelerate;
    checks.push(accelerate ? check('accelerate', 'ok', 'accelerate', accelerate) : check('accelerate', 'error', 'accelerate', `not importable (${probe.missing.accelerate ?? 'missing'})`, 'Run `pip install -r requirements.txt` in the sd-scripts checkout with its Python.'));
    const missing = REQUIRED_MODULES.filter((m) => m !== 'accelerate' && probe.missing[m] !== undefined);
    const present = REQUIRED_MODULES.filter((m) => m !== 'accelerate' && probe.modules[m] !== undefined);
    if (missing.length) checks.push(check('dependencies', 'error', 'dependencies', `missing: ${missing.map((m) => `${m} (${probe.missing[m]})`).join('; ')}`, 'Run `pip install -r requirements.txt` in the sd-scripts checkout with its Python.'));
    else if (present.length) checks.push(check('dependencies', 'ok', 'dependencies', present.map((m) => `${m} ${probe.modules[m]}`).join(', ')));
    // Off CUDA, tack train replaces 8-bit optimizers with AdamW (device.ts).
    const eightBit = /8bit/i.test(input.optimizer ?? 'AdamW8bit') && (choice.device === undefined || choice.device === 'cuda');
    if (OPTIONAL_MODULES.includes('bitsandbytes') && probe.modules.bitsandbytes === undefined && probe.missing.bitsandbytes !== undefined) {
      checks.push(check('bitsandbytes', eightBit ? 'error' : 'warning', 'bitsandbytes', 'not importable', `The ${input.optimizer ?? 'AdamW8bit'} optimizer needs it: pip install bitsandbytes (or set [train] optimizer = "AdamW").`));
    } else if (probe.modules.bitsandbytes) {
      checks.push(check('bitsandbytes', 'ok', 'bitsandbytes', probe.modules.bitsandbytes));
    }
  }
  if (input.model) {
    const { file, info, error } = input.model;
    if (!file) checks.push(check('base-model', 'error', 'base model', 'base_model is not set in tack.toml', 'Set base_model = "/path/to/ponyRealism.safetensors" in tack.toml.'));
    else if (error || !info) checks.push(check('base-model', 'error', 'base model', `${file}: ${error ?? 'unreadable'}`, 'Check the base_model path in tack.toml.'));
    else {
      const findings: Finding[] = checkBaseModel(info);
      const bad = findings.find((f) => f.severity === 'error');
      const warn = findings.find((f) => f.severity === 'warning');
      const detail = `${path.basename(file)}: ${info.kind === 'sdxl' ? `SDXL (${info.evidence})` : info.evidence}`;
      checks.push(check('base-model', bad ? 'error' : warn ? 'warning' : 'ok', 'base model', detail, bad?.fix ?? warn?.fix));
    }
  }
  return { checks, ready: !checks.some((c) => c.status === 'error'), ...(gpuProfile ? { gpuProfile } : {}), gpuCount: gpus.length, ...(choice.device ? { device: choice.device } : {}) };
}

function deviceCheck(setting: DeviceSetting, choice: { device?: TrainDevice; problem?: string }, probe: ProbeResult): DoctorCheck {
  const from = setting === 'auto' ? 'auto' : `device = "${setting}"`;
  if (!choice.device) {
    const fix =
      setting === 'mps'
        ? 'MPS needs a Mac with Apple silicon and torch built with MPS; use device = "cpu" or a CUDA GPU instead.'
        : 'Train on a machine with an NVIDIA GPU (tack export --bundle for a rented one), or set [train] device = "cpu" (--device cpu) for a slow test run.';
    return check('device', 'error', 'device', `none (${from}): ${choice.problem ?? 'no device'}`, fix);
  }
  if (choice.device === 'cuda') return check('device', 'ok', 'device', `cuda (${from}): ${probe.gpus.map((g) => g.name).join(', ')}`);
  return check('device', 'warning', 'device', `${choice.device} (${from})${choice.device === 'cpu' ? `, ${probe.sdpa === false ? 'plain attention (this torch has no sdpa)' : 'sdpa attention'}` : ''}`, describeDeviceSpeed(choice.device));
}
