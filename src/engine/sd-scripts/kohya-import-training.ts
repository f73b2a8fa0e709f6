/**
 * How the loss, noise, step, dataset and bucket keys and additional_parameters of a kohya_ss GUI
 * LoRA preset become tack settings, [plan]/[buckets] hints or extra engine arguments, read
 * through the GUI's own zero rule (kohya-gui-zero.ts).
 */
import { finding } from '../../core/index.js';
import { argSpec } from './args-schema.js';
import { MANAGED, SETTING_ARGS } from './build-config.js';
import { guiFlagOf } from './kohya-gui-zero.js';
import { Importer, parseAdditional, toBool, toNumber } from './kohya-importer.js';

/** A tack setting read with the GUI's rule: 0 the GUI leaves out becomes tack's "off" value. */
function importOffable(im: Importer, key: 'min_snr_gamma' | 'noise_offset'): void {
  const rule = im.guiRule(key);
  if (rule && 'off' in rule) im.set(key, 0, key, 'converted', `off: ${rule.off}`);
  else if (rule) im.set(key, rule.value, key, 'imported');
}

export function importLossAndNoise(im: Importer): void {
  importOffable(im, 'min_snr_gamma');
  const type = String(im.get('noise_offset_type') ?? 'Original');
  if (im.has('noise_offset_type')) im.note('noise_offset_type', type === 'Multires' ? 'converted' : 'ignored', type === 'Multires' ? 'Multires noise' : 'a GUI selector, not an engine argument', type === 'Multires' ? 'multires_noise_* in extra_args' : undefined);
  // Each noise key is written only with its own noise type (kohya-gui-zero.ts).
  importOffable(im, 'noise_offset');
  const iterations = im.guiNumber('multires_noise_iterations');
  const discount = im.guiNumber('multires_noise_discount');
  if (iterations !== undefined && iterations > 0) {
    im.addExtra('multires_noise_iterations', Math.round(iterations), 'multires_noise_iterations');
    if (discount !== undefined) im.addExtra('multires_noise_discount', discount, 'multires_noise_discount');
  }
  for (const k of ['adaptive_noise_scale', 'ip_noise_gamma', 'scale_weight_norms', 'v_pred_like_loss']) {
    const v = im.guiNumber(k);
    if (v !== undefined) im.addExtra(k, v, k);
  }
  for (const k of ['noise_offset_random_strength', 'ip_noise_gamma_random_strength', 'debiased_estimation_loss', 'scale_v_pred_loss_like_noise_pred', 'masked_loss', 'v_parameterization']) {
    im.get(k);
    if (guiFlagOf(im.json, k)) im.addExtra(k, true, k);
    else if (im.has(k)) im.note(k, 'ignored', toBool(im.json[k]) ? `the GUI writes it only with noise_offset_type "Original"` : 'off');
  }
  const loss = im.get('loss_type');
  if (typeof loss === 'string' && loss && loss !== 'l2') im.addExtra('loss_type', loss, 'loss_type');
  else if (im.has('loss_type')) im.note('loss_type', 'ignored', 'l2 is the engine default');
  for (const k of ['huber_c', 'huber_schedule', 'huber_scale']) if (im.has(k)) im.note(k, 'ignored', 'only used by the huber losses; engine defaults kept');
  const min = im.guiNumber('min_timestep');
  if (min !== undefined) im.addExtra('min_timestep', Math.round(min), 'min_timestep');
  const max = im.guiNumber('max_timestep');
  if (max === 1000) im.note('max_timestep', 'ignored', 'the engine default (the full range)');
  else if (max !== undefined) im.addExtra('max_timestep', Math.round(max), 'max_timestep');
}

/** Keys tack decides itself; the note says the GUI's reading when the value is an "off" 0. */
function noteTackDecides(im: Importer, key: string, why: string, actionWhenSet: 'ignored' | 'dropped' = 'ignored'): void {
  const rule = im.guiRule(key);
  if (!im.has(key)) return;
  if (rule && 'off' in rule) im.note(key, 'ignored', `${rule.off}; ${why}`);
  else im.note(key, actionWhenSet, why);
}

export function importSteps(im: Importer): void {
  const epoch = toNumber(im.get('epoch'));
  const maxEpochsRule = im.guiRule('max_train_epochs');
  const maxEpochs = maxEpochsRule && 'value' in maxEpochsRule && maxEpochsRule.value > 0 ? maxEpochsRule.value : undefined;
  const maxStepsRule = im.guiRule('max_train_steps');
  const maxSteps = maxStepsRule && 'value' in maxStepsRule && maxStepsRule.value > 0 ? maxStepsRule.value : undefined;
  const epochs = maxEpochs ?? epoch;
  if (epochs && epochs > 0) {
    im.planHints.epochs = Math.round(epochs);
    im.note(maxEpochs ? 'max_train_epochs' : 'epoch', 'plan-hint', 'tack plans epochs from your photos and [plan] target_steps', `[plan] epochs = ${Math.round(epochs)} if you want it fixed`);
  }
  if (im.has('epoch') && !maxEpochs) im.note('epoch', 'plan-hint', 'the GUI turns epoch into a step cap; it is not an engine argument');
  if (!maxEpochs) noteTackDecides(im, 'max_train_epochs', 'tack passes max_train_epochs from its plan');
  if (maxSteps && !maxEpochs) {
    im.note('max_train_steps', 'dropped', 'tack always passes max_train_epochs');
    im.pitfall(
      'P7',
      'PRESET_STEP_CAP',
      `max_train_steps = ${maxSteps}: in the GUI this caps the run at ${maxSteps} steps whatever epoch says${maxSteps === 1600 ? ' (1600 is the GUI and engine default, a known surprise: kohya_ss #2371)' : ''}. tack plans epochs from the photos and always passes max_train_epochs.`,
      'Nothing to do: tack ignores the cap. To aim for another length set [plan] target_steps.',
      'max_train_steps',
    );
  } else noteTackDecides(im, 'max_train_steps', 'tack always passes max_train_epochs');
  const batch = im.guiNumber('train_batch_size');
  if (batch && batch > 0) {
    im.planHints.batch_size = Math.round(batch);
    im.note('train_batch_size', 'plan-hint', 'batch size belongs to [plan] (capped by the GPU profile)', `[plan] batch_size = ${Math.round(batch)}`);
  }
  const accum = im.guiNumber('gradient_accumulation_steps');
  if (accum && accum > 0) {
    im.planHints.gradient_accumulation_steps = Math.round(accum);
    im.note('gradient_accumulation_steps', 'plan-hint', 'belongs to [plan]', `[plan] gradient_accumulation_steps = ${Math.round(accum)}`);
  }
  const seed = im.guiRule('seed');
  if (im.has('seed')) {
    if (!seed || 'off' in seed) {
      im.set('seed', 42, 'seed', 'converted', 'the GUI drops 0 and the engine picks a random seed');
      const spelled = im.json.seed === '' ? 'seed is empty' : 'seed 0';
      im.pitfall('P6', 'PRESET_SEED_ZERO', `${spelled}: the GUI drops it and every run gets a random seed, so two runs cannot be compared. Imported as seed = 42.`, 'Any fixed seed works; keep it fixed while comparing settings.', 'seed', 'info');
    } else im.set('seed', Math.round(seed.value), 'seed', 'imported');
  }
  const clipSkip = im.guiRule('clip_skip');
  if (im.has('clip_skip')) {
    im.note('clip_skip', 'dropped', clipSkip && 'off' in clipSkip ? clipSkip.off : 'SDXL ignores clip_skip');
    if (clipSkip && 'value' in clipSkip && clipSkip.value > 0) {
      im.pitfall(
        'P5',
        'PRESET_CLIP_SKIP',
        `clip_skip = ${clipSkip.value} does nothing for SDXL training (both text encoders always use the penultimate layer) but the engine writes it into the LoRA metadata as if applied. Dropped.`,
        'Use clip skip 2 in your generator for Pony (model card); it does not belong in training.',
        'clip_skip',
      );
    }
  }
  const saveEvery = im.guiRule('save_every_n_epochs');
  noteTackDecides(im, 'save_every_n_epochs', 'tack saves a checkpoint every epoch so epochs can be compared', saveEvery && 'value' in saveEvery && saveEvery.value === 1 ? 'ignored' : 'dropped');
  for (const k of ['sample_every_n_epochs', 'sample_every_n_steps']) noteTackDecides(im, k, 'tack renders samples every epoch from [samples]');
  if (im.has('sample_sampler')) im.note('sample_sampler', 'ignored', 'tack renders samples every epoch from [samples]');
  for (const k of ['save_every_n_steps', 'save_last_n_steps', 'save_last_n_steps_state', 'save_last_n_epochs', 'save_last_n_epochs_state']) noteTackDecides(im, k, 'tack keeps every epoch checkpoint and the last state');
  if (im.has('save_state_on_train_end')) im.note('save_state_on_train_end', 'ignored', 'tack keeps every epoch checkpoint and the last state');
  // The LoRA tab passes 0 for it whatever the form says ("not yet supported" for LoRA).
  noteTackDecides(im, 'stop_text_encoder_training', 'the LoRA tab does not use it (LoRA training cannot stop the text encoders early)');
  const format = im.get('save_model_as');
  if (format !== undefined) im.note('save_model_as', format === 'safetensors' ? 'ignored' : 'dropped', 'tack always saves .safetensors');
}

/** bucket_reso_steps for SDXL: a multiple of 32 (sdxl_train_network.py asserts it, sd-scripts.md 4.1). */
function bucketStepsHint(im: Importer, steps: number): number {
  if (steps % 32 === 0) return steps;
  const fixed = Math.max(32, Math.ceil(steps / 32) * 32);
  im.findings.push(
    finding('warning', 'PRESET_BUCKET_STEPS', `bucket_reso_steps = ${steps}: SDXL bucket sides must be multiples of 32 (sdxl_train_network.py stops at start: "bucket_reso_steps is ${steps}. it must be divisible by 32"). The [buckets] hint is ${fixed} instead.`, {
      subject: 'bucket_reso_steps',
      fix: `Use bucket_reso_steps = ${fixed} (or 64, the recipe's) in [buckets].`,
      data: { from: steps, to: fixed },
    }),
  );
  return fixed;
}

export function importDataset(im: Importer): void {
  const ext = im.get('caption_extension');
  if (ext !== undefined) {
    im.note('caption_extension', 'ignored', 'tack writes .txt captions and sets caption_extension = ".txt" itself (P3)');
    if (ext !== '.txt' && ext !== 'txt') im.pitfall('P3', 'PRESET_CAPTION_EXTENSION', `caption_extension "${String(ext)}": captions tagged by WD14 are .txt files; with another extension every caption is ignored.`, 'Nothing to do: tack always uses .txt.', 'caption_extension', 'info');
  }
  const res = im.get('max_resolution');
  if (typeof res === 'string' && res) {
    im.planHints.resolution = res;
    im.note('max_resolution', 'plan-hint', 'belongs to [buckets]', `[buckets] resolution = ${res.includes(',') ? `[${res}]` : res}`);
  }
  for (const k of ['enable_bucket', 'bucket_no_upscale']) {
    const v = toBool(im.get(k));
    if (v === undefined) continue;
    im.planHints[k] = v;
    im.note(k, 'plan-hint', 'belongs to [buckets]', `[buckets] ${k} = ${String(v)}`);
  }
  for (const k of ['min_bucket_reso', 'max_bucket_reso', 'bucket_reso_steps']) {
    const v = im.guiNumber(k);
    if (v === undefined) continue;
    const value = k === 'bucket_reso_steps' ? bucketStepsHint(im, Math.round(v)) : Math.round(v);
    im.planHints[k] = value;
    im.note(k, 'plan-hint', value === v ? 'belongs to [buckets]' : `belongs to [buckets]; ${v} is not a multiple of 32, which SDXL needs`, `[buckets] ${k} = ${value}`);
  }
  for (const k of ['shuffle_caption', 'flip_aug']) {
    if (toBool(im.get(k))) im.addExtra(k, true, k, k === 'flip_aug' ? 'mirrors faces: asymmetric features (parting, moles) blur' : undefined);
    else if (im.has(k)) im.note(k, 'ignored', 'off');
  }
  for (const k of ['color_aug', 'random_crop']) {
    if (toBool(im.get(k))) {
      im.note(k, 'dropped', 'cannot be used with latent caching (the engine asserts)');
      im.findings.push(finding('warning', 'PRESET_LATENT_CACHE_CONFLICT', `${k} is on, which the engine refuses while caching latents; dropped.`, { subject: k, fix: 'Leave it off.' }));
    } else if (im.has(k)) im.note(k, 'ignored', 'off');
  }
  for (const k of ['keep_tokens', 'caption_dropout_every_n_epochs', 'vae_batch_size']) {
    const v = im.guiNumber(k);
    if (v !== undefined && v > 0) im.addExtra(k, Math.round(v), k);
  }
  for (const k of ['caption_dropout_rate', 'caption_tag_dropout_rate']) {
    const v = im.guiNumber(k);
    if (v !== undefined && v > 0) im.addExtra(k, v, k);
  }
  if (im.has('prior_loss_weight')) im.note('prior_loss_weight', 'ignored', 'only used with regularisation images');
  if (toBool(im.get('weighted_captions'))) im.note('weighted_captions', 'dropped', 'not supported for SDXL');
  else if (im.has('weighted_captions')) im.note('weighted_captions', 'ignored', 'off');
}

export function importAdditional(im: Importer): void {
  const text = im.get('additional_parameters');
  if (typeof text !== 'string' || !text.trim()) {
    if (im.has('additional_parameters')) im.note('additional_parameters', 'ignored', 'empty');
    return;
  }
  const { args, unknown } = parseAdditional(text);
  for (const flag of unknown) {
    const p9 = flag === '--text_encoder_lr1' || flag === '--text_encoder_lr2';
    im.findings.push(
      finding('warning', 'PRESET_UNKNOWN_ARG', `additional_parameters: ${flag} is not an argument of sdxl_train_network.py; the engine would stop with "unrecognized arguments".${p9 ? ' (It appears in the engine\'s own SDXL doc but does not exist: use text_encoder_lr.)' : ''} Dropped.`, {
        subject: 'additional_parameters',
        fix: p9 ? 'Use text_encoder_lr (one rate for both encoders).' : 'Check the flag name.',
        data: { pitfall: p9 ? 'P9' : 'P11', flag },
      }),
    );
  }
  for (const { dest, values } of args) {
    const spec = argSpec(dest);
    const number = toNumber(values[0]);
    if (dest === 'optimizer_args') {
      const list = values.filter((v) => v.split('=').length === 2);
      im.values.optimizer_args = [...(im.values.optimizer_args ?? []), ...list];
      im.changes.push({ key: 'additional_parameters', guiValue: text, action: 'converted', result: `optimizer_args += ${JSON.stringify(list)}` });
    } else if (dest === 'clip_skip') {
      im.pitfall('P5', 'PRESET_CLIP_SKIP', 'additional_parameters: --clip_skip does nothing for SDXL but is recorded in the metadata. Dropped.', 'Use clip skip 2 in the generator instead.', 'additional_parameters');
    } else if ((dest === 'max_grad_norm' || dest === 'min_snr_gamma' || dest === 'noise_offset') && number !== undefined) {
      // An engine flag with its own tack setting goes to that setting (extra_args may not set it).
      im.set(dest, number, 'additional_parameters', 'converted', `--${dest} ${values[0]}`);
    } else if (SETTING_ARGS[dest] || MANAGED.has(dest)) {
      im.changes.push({ key: 'additional_parameters', guiValue: text, action: 'dropped', note: `--${dest}: ${SETTING_ARGS[dest] ? `set [train] ${SETTING_ARGS[dest]} instead` : 'tack writes it from the project and plan'}` });
    } else if (spec?.action === 'store_true') im.addExtra(dest, true, 'additional_parameters');
    else if (spec?.nargs === '*') for (const v of values) im.addExtra(dest, v, 'additional_parameters');
    else if (values[0] !== undefined) im.addExtra(dest, values[0], 'additional_parameters');
  }
}
