/**
 * How a run ended, as a typed value (never a free string): succeeded, failed with a reason,
 * cancelled by the user, or interrupted (the supervisor died). Each failure carries the
 * engine's own words and a hint that says what to do.
 */
import type { FailureKind } from '../engine/index.js';

export type FailureReason = FailureKind | 'stalled' | 'missing-output' | 'killed' | 'spawn-failed' | 'remote-gone';

export interface OutcomeCommon {
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly steps: { readonly done: number; readonly total: number };
  readonly epochs: { readonly done: number; readonly total: number };
  /** Checkpoint files in output/ (relative to the run folder), by epoch. */
  readonly checkpoints: ReadonlyArray<{ readonly epoch: number; readonly file: string; readonly final: boolean }>;
  readonly samples: number;
  readonly finalLoss: number | null;
  /** Warnings the engine printed that matter (ignored captions, clip_skip ...). */
  readonly warnings: readonly string[];
}

export type RunOutcome =
  | ({ readonly kind: 'succeeded'; readonly message: string } & OutcomeCommon)
  | ({
      readonly kind: 'failed';
      readonly reason: FailureReason;
      readonly message: string;
      readonly hint: string;
      /** The engine's own error line (its exception, else its last ERROR record), when it printed one. */
      readonly engineError?: string;
      readonly lastLines: readonly string[];
    } & OutcomeCommon)
  | ({ readonly kind: 'cancelled'; readonly message: string; readonly hint: string } & OutcomeCommon)
  | ({ readonly kind: 'interrupted'; readonly message: string; readonly hint: string } & Partial<OutcomeCommon>);

/** tack stopped following a remote run, which goes on there (not an end: run.json stays "running"). */
export interface RunDetached {
  readonly kind: 'detached';
  /** The remote's name. */
  readonly where: string;
  readonly message: string;
  readonly hint: string;
}

/** What following a launch ends with: the run's outcome, or a remote run left going. */
export type TrainResult = RunOutcome | RunDetached;

/** Which recognised failure explains a run best when several were seen. */
const PRIORITY: readonly FailureKind[] = ['out-of-memory', 'nan-loss', 'nan-latents', 'bad-arguments', 'dataset-config', 'config-not-found', 'model-not-found', 'device-unsupported', 'no-gpu', 'missing-module', 'no-data', 'assertion', 'crashed'];

/** Python packages of optional optimizers, as sd-scripts imports them (train_util.get_optimizer). */
const OPTIMIZER_PACKAGES: ReadonlyArray<readonly [RegExp, string, string]> = [
  [/bitsandbytes/i, 'bitsandbytes', '8-bit and paged optimizers'],
  [/prodigy/i, 'prodigyopt', 'Prodigy'],
  [/dadaptation/i, 'dadaptation', 'DAdaptation optimizers'],
  [/lion_pytorch/i, 'lion-pytorch', 'Lion'],
  [/schedulefree/i, 'schedulefree', 'schedule-free optimizers'],
];

function missingModuleHint(engineMessage: string | undefined): string {
  const optimizer = OPTIMIZER_PACKAGES.find(([pattern]) => pattern.test(engineMessage ?? ''));
  if (optimizer) {
    const [, pkg, what] = optimizer;
    return `The optimizer (${what}) needs the ${pkg} package in the engine's Python: pip install ${pkg}${pkg === 'bitsandbytes' ? ' (and a CUDA GPU)' : ''}, or set [train] optimizer = "AdamW".`;
  }
  return 'Run pip install -r requirements.txt with the sd-scripts Python, or tack engine install.';
}

function deviceHint(engineMessage: string | undefined): string {
  const m = engineMessage ?? '';
  if (m.includes("'Half'")) return 'fp16 does not work on the CPU: set [train] mixed_precision = "bf16" (tack chooses it on the CPU unless fp16 is set in extra_args or a full_fp16 option).';
  if (m.includes('scaled_dot_product_attention')) return 'sdpa needs torch 2: set [train] attention = "none", or upgrade torch in the engine\'s Python.';
  if (m.includes('mixed precision requires')) return 'This accelerate has no mixed precision on this device: set [train] mixed_precision = "no" (fp32), or upgrade accelerate and torch.';
  return 'tack engine doctor shows the device and what torch supports; change the setting named above in [train].';
}

export function pickFailure(seen: ReadonlyMap<FailureKind, string>): { kind: FailureKind; message: string } | undefined {
  for (const kind of PRIORITY) {
    const message = seen.get(kind);
    if (message !== undefined) return { kind, message };
  }
  return undefined;
}

export interface HintContext {
  readonly stallMinutes: number;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly checkpoints: number;
  readonly projectArg: string;
}

/** The message and hint for a failure, in the user's terms. */
export function describeFailure(reason: FailureReason, engineMessage: string | undefined, ctx: HintContext): { message: string; hint: string } {
  const kept = ctx.checkpoints > 0 ? ` The ${ctx.checkpoints} checkpoint(s) saved before it are kept.` : '';
  const said = engineMessage ? ` The engine said: ${engineMessage}` : '';
  switch (reason) {
    case 'out-of-memory':
      return {
        message: `The GPU ran out of memory.${said}`,
        hint: `Use a smaller GPU profile ([train] gpu_profile = "12gb": U-Net only, cached text encoders), lower [plan] batch_size to 1, or lower network_dim.${kept}`,
      };
    case 'nan-loss':
      return {
        message: `The loss became NaN, so the LoRA stopped learning; tack stopped the run.${said}`,
        hint: `Use mixed_precision = "bf16" (fp16 overflows), keep no_half_vae, or lower the learning rates in [train].${kept}`,
      };
    case 'nan-latents':
      return { message: `The VAE produced NaN latents while caching.${said}`, hint: 'Keep no_half_vae = true (the SDXL VAE overflows in fp16) or use an fp16-fixed VAE via extra_args "vae=...".' };
    case 'bad-arguments':
      return {
        message: `The engine refused its arguments.${said}`,
        hint: 'Your sd-scripts version may differ from the one tack checks against (tack engine doctor shows the commit), or [train] extra_args names an argument it lacks.',
      };
    case 'dataset-config':
      return { message: `The engine refused the dataset config.${said}`, hint: 'Check [train] extra_args for dataset keys; run tack engine doctor to compare sd-scripts versions.' };
    case 'config-not-found':
      return { message: `The engine could not find its config file.${said}`, hint: 'The run folder was moved or deleted while starting; run tack train again.' };
    case 'model-not-found':
      return { message: `The engine could not load the base model.${said}`, hint: 'Check base_model in tack.toml: it must be an existing .safetensors file (tack engine doctor checks it).' };
    case 'no-gpu':
      return { message: `The engine found no usable GPU.${said}`, hint: 'tack engine doctor shows what torch sees; train on a machine with an NVIDIA GPU or use tack export --bundle.' };
    case 'missing-module':
      return { message: `A Python package sd-scripts needs is missing.${said}`, hint: missingModuleHint(engineMessage) };
    case 'device-unsupported':
      return { message: `The device cannot run a setting of this run.${said}`, hint: deviceHint(engineMessage) };
    case 'no-data':
      return {
        message: `The engine found no training images and exited as if nothing was wrong (exit code ${ctx.exitCode ?? '?'}).${said}`,
        hint: `Run tack prepare ${ctx.projectArg} and check that dataset/img holds the images (P4).`,
      };
    case 'assertion':
      return { message: `The engine stopped on a failed check: ${engineMessage ?? 'AssertionError'}`, hint: 'The message names the settings that cannot be combined; change them in [train] and run again.' };
    case 'stalled':
      return {
        message: `The trainer printed nothing for ${ctx.stallMinutes} minutes and was stopped.`,
        hint: `Check the GPU (nvidia-smi) and log.txt; raise [train] stall_timeout_minutes if a step really takes that long.${kept}`,
      };
    case 'missing-output':
      return { message: 'The trainer exited normally but wrote no final LoRA file.', hint: 'See log.txt in the run folder for what it did; this usually means it trained nothing.' };
    case 'killed':
      return { message: `The trainer was killed by ${ctx.signal ?? 'a signal'} (out of system memory, or killed from outside).`, hint: `Check dmesg for the out-of-memory killer; close other programs.${kept}` };
    case 'remote-gone':
      return {
        message: 'The run folder on the remote was deleted (or the machine replaced) while the run was going, so the trainer was stopped.',
        hint: `What was already brought home is kept.${ctx.checkpoints ? '' : ' Nothing was saved before it.'} Start a new run: tack train ${ctx.projectArg} --on <remote>`,
      };
    case 'spawn-failed':
      return { message: `The trainer could not be started.${said}`, hint: 'Run tack engine doctor.' };
    case 'crashed':
    default:
      return {
        message: `The trainer stopped with exit code ${ctx.exitCode ?? '?'}${ctx.signal ? ` (${ctx.signal})` : ''}.${said}`,
        hint: `The last lines of log.txt are shown below; tack engine doctor checks the installation.${kept}`,
      };
  }
}
