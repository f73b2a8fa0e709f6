/**
 * The device a run trains on, and what changes there. SDXL LoRA training is made for a CUDA GPU;
 * accelerate (which sd-scripts trains through) also runs on Apple's MPS and on the CPU, which
 * is real but slow: good for tests, tiny runs and Macs. Settings of a preset that cannot work
 * on such a device are replaced here, each as a decision with its reason, so `tack train`
 * explains them like any other value. Facts, checked against the engine (sd-scripts 48d368fa,
 * accelerate 1.2.1, torch 1.13 on CPU) and accelerate's source:
 *   - bitsandbytes' 8-bit and paged optimizers need CUDA ("No bitsandbytes" elsewhere);
 *   - torch has no fp16 kernels for training on the CPU ('"LayerNormKernelImpl" not implemented
 *     for 'Half''); bf16 works there and is the fastest choice;
 *   - accelerate releases before autumn 2025 (sd-scripts pins 1.6) refuse fp16 and bf16 mixed
 *     precision on MPS ("fp16 mixed precision requires a GPU (not 'mps')");
 *   - --sdpa needs torch 2 (F.scaled_dot_product_attention), xformers and fp8 need CUDA.
 */
import { finding, type Finding } from '../core/index.js';
import type { SettingDecision } from './presets.js';
import type { SettingKey, TrainSettings } from './settings.js';

export type TrainDevice = 'cuda' | 'mps' | 'cpu';
export type DeviceSetting = 'auto' | TrainDevice;

/** What the engine's torch can do, as the probe found it (undefined: not known). */
export interface TorchAbilities {
  readonly version?: string;
  /** torch.nn.functional.scaled_dot_product_attention exists (torch 2). */
  readonly sdpa?: boolean;
}

/** How much slower than a CUDA GPU, for the warning printed before such a run. */
export function describeDeviceSpeed(device: TrainDevice): string {
  if (device === 'cpu') {
    return 'Training on the CPU is hundreds of times slower than on a CUDA GPU (measured on 2 cores: 13-25 s per step at 256 px; a 1024 px step takes minutes, so the recipe\'s 2500 steps would take weeks) and needs about 16 GB of RAM: use it for tests and tiny runs.';
  }
  if (device === 'mps') return 'Training on Apple MPS is several times slower than on a comparable CUDA GPU and runs in fp32 (no mixed precision in sd-scripts\' accelerate), so it needs more memory.';
  return '';
}

interface DeviceRule {
  readonly key: SettingKey;
  /** The value to use instead, or undefined when the current value works. */
  readonly replace: (settings: TrainSettings, device: TrainDevice, torch: TorchAbilities | undefined) => TrainSettings[SettingKey] | undefined;
  readonly why: (settings: TrainSettings, device: TrainDevice) => string;
  /** A value set in tack.toml [train] is replaced too (it cannot work); otherwise it is kept with a warning. */
  readonly evenIfExplicit: boolean;
}

const EIGHT_BIT = /8bit|^paged/i;

const RULES: readonly DeviceRule[] = [
  {
    key: 'optimizer',
    replace: (s, d) => (d !== 'cuda' && EIGHT_BIT.test(s.optimizer) ? 'AdamW' : undefined),
    why: (s, d) => `${s.optimizer} is a bitsandbytes optimizer, which needs a CUDA GPU; AdamW is the same optimizer with full-precision state (on ${d})`,
    evenIfExplicit: true,
  },
  {
    key: 'mixed_precision',
    replace: (s, d) => (d === 'cpu' && s.mixed_precision === 'fp16' ? 'bf16' : undefined),
    why: () => 'torch has no fp16 kernels for training on the CPU ("LayerNormKernelImpl" not implemented for \'Half\'); bf16 works and is the fastest there',
    evenIfExplicit: true,
  },
  {
    key: 'mixed_precision',
    replace: (s, d) => (d === 'mps' && s.mixed_precision !== 'no' ? 'no' : undefined),
    why: (s) => `accelerate before autumn 2025 (sd-scripts pins 1.6) refuses ${s.mixed_precision} mixed precision on MPS; fp32 is what trains there`,
    // A newer accelerate with torch 2.8 has it: a value set on purpose is kept, with a warning.
    evenIfExplicit: false,
  },
  {
    key: 'attention',
    replace: (s, d, torch) => {
      if (s.attention === 'xformers' && d !== 'cuda') return 'none';
      if (s.attention === 'sdpa' && (torch?.sdpa === false || (torch === undefined && d !== 'cuda'))) return 'none';
      return undefined;
    },
    why: (s, d) =>
      s.attention === 'xformers'
        ? `xformers is CUDA-only; plain attention on ${d}`
        : 'sdpa needs torch 2 (scaled_dot_product_attention), which this torch lacks or which is not known here; plain attention works with every torch',
    evenIfExplicit: true,
  },
  {
    key: 'fp8_base',
    replace: (s, d) => (d !== 'cuda' && s.fp8_base ? false : undefined),
    why: (_s, d) => `fp8 base weights save CUDA GPU memory and are not supported on ${d}`,
    evenIfExplicit: true,
  },
];

export interface DeviceAdaptation {
  readonly settings: TrainSettings;
  readonly decisions: readonly SettingDecision[];
  readonly findings: readonly Finding[];
}

/**
 * Replaces what cannot work on `device`, reporting each change as a decision (layer
 * "device <name>") and, when the value was set in tack.toml, as a warning too.
 */
export function adaptSettingsToDevice(settings: TrainSettings, decisions: readonly SettingDecision[], device: TrainDevice, torch?: TorchAbilities): DeviceAdaptation {
  let adapted: TrainSettings = settings;
  let out = [...decisions];
  const findings: Finding[] = [];
  for (const rule of RULES) {
    const value = rule.replace(adapted, device, torch);
    if (value === undefined || value === adapted[rule.key]) continue;
    const why = rule.why(adapted, device);
    const explicit = out.find((d) => d.key === rule.key)?.layer === 'tack.toml [train]';
    if (explicit && !rule.evenIfExplicit) {
      findings.push(
        finding('warning', 'RUN_DEVICE_SETTING_KEPT', `[train] ${rule.key} = ${JSON.stringify(adapted[rule.key])} is kept as you set it, but on ${device} ${why}.`, {
          subject: `train.${rule.key}`,
          fix: `Remove ${rule.key} from [train] to let tack choose ${JSON.stringify(value)} on ${device}.`,
        }),
      );
      continue;
    }
    if (explicit) {
      findings.push(
        finding('warning', 'RUN_DEVICE_SETTING_REPLACED', `[train] ${rule.key} = ${JSON.stringify(adapted[rule.key])} cannot work on ${device}: ${JSON.stringify(value)} is used instead (${why}).`, {
          subject: `train.${rule.key}`,
          fix: `Remove ${rule.key} from [train], or train on a CUDA GPU.`,
        }),
      );
    }
    adapted = { ...adapted, [rule.key]: value };
    out = out.map((d) => (d.key === rule.key ? { key: d.key, value, layer: `device ${device}`, reason: { why, source: 'tack' } } : d));
  }
  return { settings: adapted, decisions: out, findings };
}

/**
 * sdxl_gen_img.py's precision and attention flags for sweeping a run: the run's own mixed
 * precision (bf16 -> --bf16, fp16 -> --fp16, fp32 -> none), its attention where the torch that
 * renders has it, and --no_half_vae when the run kept the VAE in fp32.
 */
export function buildGenImgPrecisionArgs(run: { readonly mixedPrecision?: string; readonly attention?: string; readonly noHalfVae?: boolean; readonly device?: TrainDevice }, torch?: TorchAbilities & { readonly cuda?: boolean }): string[] {
  const args: string[] = [];
  // Rendering happens where torch is, not where the run trained: without CUDA there is no fp16.
  const noCuda = torch?.cuda === false || (torch?.cuda === undefined && (run.device === 'cpu' || run.device === 'mps'));
  const precision = run.mixedPrecision === 'fp16' && noCuda ? 'bf16' : (run.mixedPrecision ?? 'fp16');
  if (precision === 'bf16') args.push('--bf16');
  else if (precision === 'fp16') args.push('--fp16');
  const attention = run.attention ?? 'sdpa';
  if (attention === 'sdpa' && torch?.sdpa !== false) args.push('--sdpa');
  else if (attention === 'xformers' && !noCuda) args.push('--xformers');
  if (run.noHalfVae ?? true) args.push('--no_half_vae');
  return args;
}

/** What the probe tells about devices (a subset of ProbeResult). */
export interface DeviceProbe {
  readonly torch?: string;
  readonly cudaAvailable: boolean;
  readonly gpus: readonly unknown[];
  readonly mps: boolean;
}

export interface DeviceChoice {
  /** The device training would use; undefined when the setting cannot be met here. */
  readonly device?: TrainDevice;
  /** Why it cannot (the message of ENGINE_NO_GPU). */
  readonly problem?: string;
}

/**
 * auto = a CUDA GPU or nothing (an SDXL run on the CPU is a choice, never a surprise); cuda and
 * mps need that device; cpu always works. Without a probe (dry runs, bundles), auto means cuda.
 */
export function chooseDevice(setting: DeviceSetting, probe: DeviceProbe | undefined): DeviceChoice {
  if (!probe) return { device: setting === 'auto' ? 'cuda' : setting };
  const torch = probe.torch ?? '(not installed)';
  if (setting === 'cpu') return probe.torch ? { device: 'cpu' } : { problem: `torch is not installed in the engine's Python, so nothing can train.` };
  if (setting === 'mps') return probe.mps ? { device: 'mps' } : { problem: `torch ${torch} has no usable MPS (Apple GPU) device here.` };
  if (probe.cudaAvailable && probe.gpus.length > 0) return { device: 'cuda' };
  return { problem: `torch ${torch} sees no CUDA GPU, so SDXL training cannot start here.` };
}
