/**
 * Writes a tack preset as a kohya_ss GUI LoRA preset (kohya_ss-gui.md 2a): every v24.1.4
 * LoRA-tab key, because the GUI keeps its current form value for any key a preset leaves out
 * (its 1600-step cap among them), with values chosen to survive the GUI's habit of dropping
 * 0/false/"" before it writes the engine's TOML.
 */
import type { TrainSettings } from '../settings.js';
import { allArgDests, argSpec } from './args-schema.js';
import { KOHYA_GUI_V24_DEFAULTS } from './kohya-gui-keys.js';

export interface KohyaExportPlan {
  readonly epochs: number;
  readonly batchSize: number;
  readonly gradientAccumulationSteps: number;
  readonly resolution: readonly [number, number];
  readonly enableBucket: boolean;
  readonly bucketNoUpscale: boolean;
  readonly minBucketReso: number;
  readonly maxBucketReso: number;
  readonly bucketResoSteps: number;
  readonly samplePrompts?: string;
  readonly sampleSampler?: string;
}

function parseExtra(extra: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const item of extra) {
    const at = item.indexOf('=');
    const key = item.slice(0, at);
    out.set(key, [...(out.get(key) ?? []), item.slice(at + 1)]);
  }
  return out;
}

/**
 * Writes a tack preset as a kohya_ss GUI LoRA preset JSON: every v24.1.4 key, sorted, indent 2,
 * as the GUI saves it. Values are chosen so the GUI's zero-dropping cannot change them.
 */
export function exportKohyaPreset(settings: TrainSettings, plan: KohyaExportPlan): { json: Record<string, unknown>; notes: string[] } {
  const notes: string[] = [];
  const out: Record<string, unknown> = { ...KOHYA_GUI_V24_DEFAULTS };
  const extra = parseExtra(settings.extra_args);
  const networkArgs = extra.get('network_args') ?? [];
  const conv = networkArgs.find((a) => a.startsWith('conv_dim='));
  Object.assign(out, {
    LoRA_type: conv ? 'Kohya LoCon' : 'Standard',
    sdxl: true,
    v2: false,
    network_dim: settings.network_dim,
    network_alpha: settings.network_alpha,
    learning_rate: settings.learning_rate,
    unet_lr: settings.unet_lr,
    text_encoder_lr: settings.train_text_encoder ? settings.text_encoder_lr : 0,
    optimizer: settings.optimizer,
    optimizer_args: settings.optimizer_args.join(' '),
    lr_scheduler: settings.lr_scheduler,
    lr_warmup: Math.round(settings.lr_warmup_ratio * 100),
    mixed_precision: settings.mixed_precision,
    save_precision: settings.save_precision,
    gradient_checkpointing: settings.gradient_checkpointing,
    cache_latents: settings.cache_latents,
    sdxl_cache_text_encoder_outputs: settings.cache_text_encoder_outputs,
    sdxl_no_half_vae: settings.no_half_vae,
    fp8_base: settings.fp8_base,
    xformers: settings.attention,
    min_snr_gamma: settings.min_snr_gamma,
    noise_offset: settings.noise_offset,
    noise_offset_type: 'Original',
    max_grad_norm: settings.max_grad_norm,
    seed: settings.seed,
    save_state: settings.save_state,
    clip_skip: 0,
    caption_extension: '.txt',
    epoch: plan.epochs,
    max_train_epochs: plan.epochs,
    max_train_steps: 0,
    train_batch_size: plan.batchSize,
    gradient_accumulation_steps: plan.gradientAccumulationSteps,
    max_resolution: `${plan.resolution[0]},${plan.resolution[1]}`,
    enable_bucket: plan.enableBucket,
    bucket_no_upscale: plan.bucketNoUpscale,
    min_bucket_reso: plan.minBucketReso,
    max_bucket_reso: plan.maxBucketReso,
    bucket_reso_steps: plan.bucketResoSteps,
    save_every_n_epochs: 1,
    sample_every_n_epochs: 1,
    sample_sampler: plan.sampleSampler ?? 'euler_a',
    sample_prompts: plan.samplePrompts ?? '',
    save_model_as: 'safetensors',
    save_as_bool: false,
  });
  notes.push('clip_skip = 0 so the GUI leaves it out (SDXL ignores it: P5); use clip skip 2 in the generator for Pony.');
  notes.push(`max_train_steps = 0 and max_train_epochs = ${plan.epochs}, so the GUI does not cap the run at its 1600-step default (P7).`);
  if (!settings.train_text_encoder) notes.push('text_encoder_lr = 0: in the GUI this means U-Net only, which is what this preset trains (P8).');
  if (conv) {
    out.conv_dim = Number(conv.split('=')[1]);
    const alpha = networkArgs.find((a) => a.startsWith('conv_alpha='));
    if (alpha) out.conv_alpha = Number(alpha.split('=')[1]);
  }
  const direct: Record<string, string> = { full_bf16: 'full_bf16', full_fp16: 'full_fp16', cache_latents_to_disk: 'cache_latents_to_disk', shuffle_caption: 'shuffle_caption', flip_aug: 'flip_aug', keep_tokens: 'keep_tokens', max_token_length: 'max_token_length', network_dropout: 'network_dropout', scale_weight_norms: 'scale_weight_norms', caption_dropout_rate: 'caption_dropout_rate', caption_tag_dropout_rate: 'caption_tag_dropout_rate', caption_dropout_every_n_epochs: 'caption_dropout_every_n_epochs', adaptive_noise_scale: 'adaptive_noise_scale', ip_noise_gamma: 'ip_noise_gamma', multires_noise_iterations: 'multires_noise_iterations', multires_noise_discount: 'multires_noise_discount', loss_type: 'loss_type', lr_scheduler_num_cycles: 'lr_scheduler_num_cycles', lr_scheduler_power: 'lr_scheduler_power', vae_batch_size: 'vae_batch_size', min_timestep: 'min_timestep', max_timestep: 'max_timestep', debiased_estimation_loss: 'debiased_estimation_loss' };
  const additional: string[] = [];
  for (const [dest, values] of extra) {
    if (dest === 'network_args') {
      const rest = values.filter((v) => !v.startsWith('conv_dim=') && !v.startsWith('conv_alpha='));
      for (const v of rest) {
        const [k, val] = v.split('=', 2) as [string, string];
        if (k === 'rank_dropout' || k === 'module_dropout') out[k] = Number(val);
        else additional.push(`--network_args "${v}"`);
      }
      continue;
    }
    const gui = direct[dest];
    const spec = argSpec(dest);
    if (gui) {
      const v = values[0] as string;
      out[gui] = spec?.action === 'store_true' ? v === 'true' : spec?.type === 'str' ? v : Number(v);
      if (dest.startsWith('multires')) out.noise_offset_type = 'Multires';
    } else if (allArgDests().includes(dest)) {
      additional.push(spec?.action === 'store_true' ? `--${dest}` : `--${dest} ${values.map((v) => (/\s/.test(v) ? `"${v}"` : v)).join(' ')}`);
    }
  }
  if (additional.length) {
    out.additional_parameters = additional.join(' ');
    notes.push(`additional_parameters carries ${additional.length} engine argument(s) the GUI has no field for.`);
  }
  const sorted = Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
  return { json: sorted, notes };
}
