/**
 * How each group of kohya_ss GUI keys becomes tack settings (kohya_ss-gui.md 2a key table), with
 * the pitfalls each group can carry.
 */
import { finding } from '../../core/index.js';
import { presetErrors } from '../errors.js';
import type { TrainSettings } from '../settings.js';
import { argSpec } from './args-schema.js';
import { Importer, parseAdditional, splitGuiArgs, toBool, toNumber } from './kohya-importer.js';

const SCHEDULERS = new Set(['constant', 'constant_with_warmup', 'cosine', 'cosine_with_restarts', 'linear', 'polynomial', 'adafactor']);

export function importNetwork(im: Importer): void {
  const type = String(im.get('LoRA_type') ?? 'Standard');
  if (type !== 'Standard' && type !== 'Kohya LoCon') {
    throw presetErrors.create('PRESET_UNSUPPORTED', `${im.file}: LoRA_type "${type}" is not a plain LoRA; tack trains networks.lora (Standard or Kohya LoCon) only.`, 'Pick a Standard LoRA preset, or train this one with the kohya_ss GUI.', {
      details: { file: im.file, LoRA_type: type },
    });
  }
  if (im.has('LoRA_type')) im.note('LoRA_type', 'imported', 'networks.lora', 'network_module = "networks.lora"');
  const dim = toNumber(im.get('network_dim'));
  if (dim !== undefined && dim >= 1) im.set('network_dim', Math.round(dim), 'network_dim', 'imported');
  if (im.has('network_alpha') || dim !== undefined) {
    const alpha = toNumber(im.get('network_alpha'));
    if (alpha === undefined || alpha === 0) {
      im.set('network_alpha', 1, 'network_alpha', 'converted', 'the GUI drops 0, so the engine trained with its default alpha 1');
      im.pitfall(
        'P6',
        'PRESET_ALPHA_ZERO',
        `network_alpha ${alpha === 0 ? '0' : 'is empty'}: the GUI drops it and the engine trains with alpha 1, a scale of 1/${dim ?? 'rank'} (not alpha = rank). Imported as network_alpha = 1, which is what this preset really trained with.`,
        `For the usual strength set network_alpha = ${dim ? dim / 2 : 'half the rank'} (half the rank) in the preset or [train].`,
        'network_alpha',
      );
    } else im.set('network_alpha', alpha, 'network_alpha', 'imported');
  }
  if (type === 'Kohya LoCon') {
    const convDim = toNumber(im.get('conv_dim'));
    const convAlpha = toNumber(im.get('conv_alpha'));
    if (convDim && convDim > 0) im.addExtra('network_args', `conv_dim=${convDim}`, 'conv_dim');
    if (convAlpha && convAlpha > 0) im.addExtra('network_args', `conv_alpha=${convAlpha}`, 'conv_alpha');
  } else {
    for (const k of ['conv_dim', 'conv_alpha']) if (im.has(k)) im.note(k, 'ignored', 'only used by LoCon networks');
  }
  for (const k of ['network_dropout', 'rank_dropout', 'module_dropout']) {
    const v = toNumber(im.get(k));
    if (v && v > 0) {
      if (k === 'network_dropout') im.addExtra('network_dropout', v, k);
      else im.addExtra('network_args', `${k}=${v}`, k);
    } else if (im.has(k)) im.note(k, 'ignored', 'off (0)');
  }
}

export function importRates(im: Importer): void {
  const lr = toNumber(im.get('learning_rate'));
  const unet = toNumber(im.get('unet_lr'));
  const te = toNumber(im.get('text_encoder_lr'));
  if (lr !== undefined && lr > 0) im.set('learning_rate', lr, 'learning_rate', 'imported');
  const teZero = te === undefined || te === 0;
  const unetZero = unet === undefined || unet === 0;
  if (!im.has('unet_lr') && !im.has('text_encoder_lr')) return;
  if (teZero && !unetZero) {
    im.set('unet_lr', unet as number, 'unet_lr', 'imported');
    im.set('train_text_encoder', false, 'text_encoder_lr', 'converted', 'a text-encoder rate of 0 makes the GUI train the U-Net only');
    im.pitfall(
      'P8',
      'PRESET_TE_LR_ZERO',
      'text_encoder_lr is 0: the GUI then trains the U-Net only (network_train_unet_only), which users reported costs likeness (kohya_ss #3388, #3430). Imported as train_text_encoder = false, said explicitly.',
      'To train the text encoders too, set train_text_encoder = true and text_encoder_lr = 1e-5 in [train].',
      'text_encoder_lr',
    );
  } else if (unetZero && !teZero) {
    throw presetErrors.create('PRESET_UNSUPPORTED', `${im.file}: unet_lr is 0 and text_encoder_lr is ${te}: the GUI would train the text encoders only, which tack does not do.`, 'Set unet_lr in the file (e.g. 1e-4) and import it again.', { details: { file: im.file } });
  } else if (unetZero && teZero) {
    const base = lr ?? 1e-4;
    im.set('unet_lr', base, 'unet_lr', 'converted', 'both rates 0: the engine trains both parts at learning_rate');
    im.set('text_encoder_lr', base, 'text_encoder_lr', 'converted', 'both rates 0: the engine trains both parts at learning_rate');
    im.set('train_text_encoder', true, 'text_encoder_lr', 'converted');
  } else {
    im.set('unet_lr', unet as number, 'unet_lr', 'imported');
    im.set('text_encoder_lr', te as number, 'text_encoder_lr', 'imported');
    im.set('train_text_encoder', true, 'text_encoder_lr', 'converted', 'both rates set: both parts trained');
  }
}

export function importOptimizer(im: Importer): void {
  let optimizer = im.get('optimizer');
  if (optimizer === undefined && toBool(im.get('use_8bit_adam'))) optimizer = 'AdamW8bit';
  if (typeof optimizer === 'string' && optimizer) im.set('optimizer', optimizer, 'optimizer', 'imported');
  const args = im.get('optimizer_args');
  if (typeof args === 'string' && args.trim()) {
    const list = splitGuiArgs(args);
    const bad = list.filter((a) => a.split('=').length !== 2);
    if (bad.length) {
      im.findings.push(finding('warning', 'PRESET_BAD_VALUE', `optimizer_args entries ${bad.join(' ')} are not key=value; they were left out.`, { subject: 'optimizer_args', fix: 'Write them as key=value.' }));
    }
    im.set('optimizer_args', list.filter((a) => !bad.includes(a)), 'optimizer_args', 'converted', 'split on spaces as the GUI does');
  }
  const scheduler = im.get('lr_scheduler');
  if (typeof scheduler === 'string' && scheduler) {
    if (SCHEDULERS.has(scheduler)) im.set('lr_scheduler', scheduler, 'lr_scheduler', 'imported');
    else im.note('lr_scheduler', 'dropped', `"${scheduler}" is not a scheduler tack knows (${[...SCHEDULERS].join(', ')})`);
  }
  const warmup = toNumber(im.get('lr_warmup'));
  if (warmup !== undefined) im.set('lr_warmup_ratio', Math.min(0.5, Math.max(0, warmup / 100)), 'lr_warmup', 'converted', `${warmup} % of the steps, kept as a ratio and written as a step count (P12)`);
  const warmupSteps = toNumber(im.get('lr_warmup_steps'));
  if (warmupSteps && warmupSteps > 0) im.note('lr_warmup_steps', 'dropped', 'an absolute warm-up depends on the run length; tack uses lr_warmup_ratio');
  for (const k of ['lr_scheduler_num_cycles', 'lr_scheduler_power']) {
    const v = toNumber(im.get(k));
    const relevant = (k === 'lr_scheduler_num_cycles' && scheduler === 'cosine_with_restarts') || (k === 'lr_scheduler_power' && scheduler === 'polynomial');
    if (v !== undefined && relevant) im.addExtra(k, k === 'lr_scheduler_num_cycles' ? Math.round(v) : v, k);
    else if (im.has(k)) im.note(k, 'ignored', 'no effect with this scheduler');
  }
  const argsText = im.get('lr_scheduler_args');
  if (typeof argsText === 'string' && argsText.trim()) for (const a of splitGuiArgs(argsText)) im.addExtra('lr_scheduler_args', a, 'lr_scheduler_args');
  const grad = toNumber(im.get('max_grad_norm'));
  if (grad !== undefined) im.set('max_grad_norm', grad, 'max_grad_norm', 'imported');
}

export function importPrecisionAndMemory(im: Importer): void {
  const mp = im.get('mixed_precision');
  if (mp === 'bf16' || mp === 'fp16') im.set('mixed_precision', mp, 'mixed_precision', 'imported');
  else if (mp !== undefined) {
    im.note('mixed_precision', 'dropped', `"${String(mp)}" (fp32) doubles GPU memory; the preset's bf16 is kept`);
    im.pitfall('P13', 'PRESET_NO_MIXED_PRECISION', `mixed_precision "${String(mp)}" trains SDXL in fp32; kept bf16 instead.`, 'Set mixed_precision = "fp16" in [train] if your GPU has no bf16.', 'mixed_precision', 'info');
  }
  const sp = im.get('save_precision');
  if (sp === 'fp16' || sp === 'bf16' || sp === 'float') im.set('save_precision', sp, 'save_precision', 'imported');
  for (const k of ['full_bf16', 'full_fp16'] as const) {
    if (toBool(im.get(k))) im.addExtra(k, true, k);
    else if (im.has(k)) im.note(k, 'ignored', 'off');
  }
  const bools: Array<[string, keyof TrainSettings]> = [
    ['gradient_checkpointing', 'gradient_checkpointing'],
    ['cache_latents', 'cache_latents'],
    ['fp8_base', 'fp8_base'],
    ['sdxl_no_half_vae', 'no_half_vae'],
    ['save_state', 'save_state'],
  ];
  for (const [gui, key] of bools) {
    const v = toBool(im.get(gui));
    if (v !== undefined) im.set(key as 'cache_latents', v, gui, gui === key ? 'imported' : 'converted');
  }
  if (toBool(im.get('cache_latents_to_disk'))) im.addExtra('cache_latents_to_disk', true, 'cache_latents_to_disk');
  else if (im.has('cache_latents_to_disk')) im.note('cache_latents_to_disk', 'ignored', 'off');
  const cacheTe = toBool(im.get('sdxl_cache_text_encoder_outputs'));
  if (cacheTe !== undefined) {
    const trainsTe = im.values.train_text_encoder !== false;
    if (cacheTe && trainsTe) {
      im.set('cache_text_encoder_outputs', false, 'sdxl_cache_text_encoder_outputs', 'converted', 'turned off: the text encoders are trained');
      im.pitfall('P10', 'PRESET_TE_CACHE_CONFLICT', 'sdxl_cache_text_encoder_outputs is on while the text encoders are trained: the engine stops with an assertion. Imported with caching off.', 'Keep it off, or set train_text_encoder = false to cache.', 'sdxl_cache_text_encoder_outputs');
    } else im.set('cache_text_encoder_outputs', cacheTe, 'sdxl_cache_text_encoder_outputs', 'converted');
  }
  const xf = im.get('xformers');
  if (xf !== undefined) {
    const attention = xf === true || xf === 'xformers' ? 'xformers' : xf === 'sdpa' ? 'sdpa' : 'none';
    im.set('attention', attention, 'xformers', 'converted');
  }
  if (toBool(im.get('mem_eff_attn'))) im.note('mem_eff_attn', 'dropped', 'superseded by sdpa/xformers');
  const mtl = toNumber(im.get('max_token_length'));
  if (mtl === 150 || mtl === 225) im.addExtra('max_token_length', mtl, 'max_token_length');
  else if (im.has('max_token_length')) im.note('max_token_length', 'ignored', '75 is the engine default');
}

export function importLossAndNoise(im: Importer): void {
  const snr = toNumber(im.get('min_snr_gamma'));
  if (snr !== undefined) im.set('min_snr_gamma', snr, 'min_snr_gamma', 'imported', snr === 0 ? 'off' : undefined);
  const type = String(im.get('noise_offset_type') ?? 'Original');
  const offset = toNumber(im.get('noise_offset'));
  if (type === 'Multires') {
    const it = toNumber(im.get('multires_noise_iterations'));
    const disc = toNumber(im.get('multires_noise_discount'));
    if (it && it > 0) im.addExtra('multires_noise_iterations', Math.round(it), 'multires_noise_iterations');
    if (it && it > 0 && disc !== undefined) im.addExtra('multires_noise_discount', disc, 'multires_noise_discount');
    im.note('noise_offset_type', 'converted', 'Multires noise', 'multires_noise_* in extra_args');
    if (im.has('noise_offset')) im.note('noise_offset', 'ignored', 'Multires noise is selected');
  } else {
    if (offset !== undefined) im.set('noise_offset', offset, 'noise_offset', 'imported', offset === 0 ? 'off' : undefined);
    if (im.has('noise_offset_type')) im.note('noise_offset_type', 'ignored', 'a GUI selector, not an engine argument');
    for (const k of ['multires_noise_iterations', 'multires_noise_discount']) if (im.has(k)) im.note(k, 'ignored', 'Original noise offset is selected');
  }
  for (const k of ['adaptive_noise_scale', 'ip_noise_gamma', 'scale_weight_norms', 'v_pred_like_loss']) {
    const v = toNumber(im.get(k));
    if (v && v !== 0) im.addExtra(k, v, k);
    else if (im.has(k)) im.note(k, 'ignored', 'off (0)');
  }
  for (const k of ['noise_offset_random_strength', 'ip_noise_gamma_random_strength', 'debiased_estimation_loss', 'scale_v_pred_loss_like_noise_pred', 'masked_loss', 'v_parameterization']) {
    if (toBool(im.get(k))) im.addExtra(k, true, k);
    else if (im.has(k)) im.note(k, 'ignored', 'off');
  }
  const loss = im.get('loss_type');
  if (typeof loss === 'string' && loss && loss !== 'l2') im.addExtra('loss_type', loss, 'loss_type');
  else if (im.has('loss_type')) im.note('loss_type', 'ignored', 'l2 is the engine default');
  for (const k of ['huber_c', 'huber_schedule', 'huber_scale']) if (im.has(k)) im.note(k, loss === 'huber' || loss === 'smooth_l1' ? 'ignored' : 'ignored', 'only used by the huber losses; engine defaults kept');
  for (const k of ['min_timestep', 'max_timestep']) {
    const v = toNumber(im.get(k));
    const isDefault = (k === 'min_timestep' && (v === undefined || v === 0)) || (k === 'max_timestep' && (v === undefined || v === 1000));
    if (!isDefault && v !== undefined) im.addExtra(k, Math.round(v), k);
    else if (im.has(k)) im.note(k, 'ignored', 'the engine default');
  }
}

export function importSteps(im: Importer): void {
  const epoch = toNumber(im.get('epoch'));
  const maxEpochs = toNumber(im.get('max_train_epochs'));
  const maxSteps = toNumber(im.get('max_train_steps'));
  const epochs = maxEpochs && maxEpochs > 0 ? maxEpochs : epoch;
  if (epochs && epochs > 0) {
    im.planHints.epochs = Math.round(epochs);
    im.note(maxEpochs && maxEpochs > 0 ? 'max_train_epochs' : 'epoch', 'plan-hint', 'tack plans epochs from your photos and [plan] target_steps', `[plan] epochs = ${Math.round(epochs)} if you want it fixed`);
  }
  if (im.has('epoch') && !(maxEpochs && maxEpochs > 0)) im.note('epoch', 'plan-hint', 'the GUI turns epoch into a step cap; it is not an engine argument');
  if (im.has('max_train_epochs') && !(maxEpochs && maxEpochs > 0)) im.note('max_train_epochs', 'ignored', '0: unset');
  if (maxSteps && maxSteps > 0 && !(maxEpochs && maxEpochs > 0)) {
    im.note('max_train_steps', 'dropped', 'tack always passes max_train_epochs');
    im.pitfall(
      'P7',
      'PRESET_STEP_CAP',
      `max_train_steps = ${maxSteps}: in the GUI this caps the run at ${maxSteps} steps whatever epoch says${maxSteps === 1600 ? ' (1600 is the GUI and engine default, a known surprise: kohya_ss #2371)' : ''}. tack plans epochs from the photos and always passes max_train_epochs.`,
      'Nothing to do: tack ignores the cap. To aim for another length set [plan] target_steps.',
      'max_train_steps',
    );
  } else if (im.has('max_train_steps')) im.note('max_train_steps', 'ignored', 'tack always passes max_train_epochs');
  const batch = toNumber(im.get('train_batch_size'));
  if (batch && batch > 0) {
    im.planHints.batch_size = Math.round(batch);
    im.note('train_batch_size', 'plan-hint', 'batch size belongs to [plan] (capped by the GPU profile)', `[plan] batch_size = ${Math.round(batch)}`);
  }
  const accum = toNumber(im.get('gradient_accumulation_steps'));
  if (accum && accum > 0) {
    im.planHints.gradient_accumulation_steps = Math.round(accum);
    im.note('gradient_accumulation_steps', 'plan-hint', 'belongs to [plan]', `[plan] gradient_accumulation_steps = ${Math.round(accum)}`);
  }
  const seed = toNumber(im.get('seed'));
  if (im.has('seed')) {
    if (!seed) {
      im.set('seed', 42, 'seed', 'converted', 'the GUI drops 0 and the engine picks a random seed');
      im.pitfall('P6', 'PRESET_SEED_ZERO', 'seed 0: the GUI drops it and every run gets a random seed, so two runs cannot be compared. Imported as seed = 42.', 'Any fixed seed works; keep it fixed while comparing settings.', 'seed', 'info');
    } else im.set('seed', Math.round(seed), 'seed', 'imported');
  }
  const clipSkip = toNumber(im.get('clip_skip'));
  if (im.has('clip_skip')) {
    im.note('clip_skip', 'dropped', 'SDXL ignores clip_skip');
    if (clipSkip && clipSkip > 0) {
      im.pitfall(
        'P5',
        'PRESET_CLIP_SKIP',
        `clip_skip = ${clipSkip} does nothing for SDXL training (both text encoders always use the penultimate layer) but the engine writes it into the LoRA metadata as if applied. Dropped.`,
        'Use clip skip 2 in your generator for Pony (model card); it does not belong in training.',
        'clip_skip',
      );
    }
  }
  const saveEvery = toNumber(im.get('save_every_n_epochs'));
  if (im.has('save_every_n_epochs')) im.note('save_every_n_epochs', saveEvery === 1 ? 'ignored' : 'dropped', 'tack saves a checkpoint every epoch so epochs can be compared');
  for (const k of ['sample_every_n_epochs', 'sample_every_n_steps', 'sample_sampler']) if (im.has(k)) im.note(k, 'ignored', 'tack renders samples every epoch from [samples]');
  for (const k of ['save_every_n_steps', 'save_last_n_steps', 'save_last_n_steps_state', 'save_state_on_train_end', 'save_last_n_epochs', 'save_last_n_epochs_state']) if (im.has(k)) im.note(k, 'ignored', 'tack keeps every epoch checkpoint and the last state');
  const format = im.get('save_model_as');
  if (format !== undefined) im.note('save_model_as', format === 'safetensors' ? 'ignored' : 'dropped', 'tack always saves .safetensors');
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
  for (const k of ['enable_bucket', 'bucket_no_upscale', 'min_bucket_reso', 'max_bucket_reso', 'bucket_reso_steps']) {
    const v = im.get(k);
    if (v === undefined) continue;
    const value = toNumber(v) ?? toBool(v);
    if (value !== undefined) im.planHints[k] = value;
    im.note(k, 'plan-hint', 'belongs to [buckets]', `[buckets] ${k} = ${String(value)}`);
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
  const keep = toNumber(im.get('keep_tokens'));
  if (keep && keep > 0) im.addExtra('keep_tokens', Math.round(keep), 'keep_tokens');
  else if (im.has('keep_tokens')) im.note('keep_tokens', 'ignored', '0');
  for (const k of ['caption_dropout_rate', 'caption_tag_dropout_rate']) {
    const v = toNumber(im.get(k));
    if (v && v > 0) im.addExtra(k, v, k);
    else if (im.has(k)) im.note(k, 'ignored', '0');
  }
  const every = toNumber(im.get('caption_dropout_every_n_epochs'));
  if (every && every > 0) im.addExtra('caption_dropout_every_n_epochs', Math.round(every), 'caption_dropout_every_n_epochs');
  else if (im.has('caption_dropout_every_n_epochs')) im.note('caption_dropout_every_n_epochs', 'ignored', '0');
  const prior = toNumber(im.get('prior_loss_weight'));
  if (prior !== undefined) im.note('prior_loss_weight', 'ignored', 'only used with regularisation images');
  const vaeBatch = toNumber(im.get('vae_batch_size'));
  if (vaeBatch && vaeBatch > 0) im.addExtra('vae_batch_size', Math.round(vaeBatch), 'vae_batch_size');
  else if (im.has('vae_batch_size')) im.note('vae_batch_size', 'ignored', '0');
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
    if (dest === 'optimizer_args') {
      const list = values.filter((v) => v.split('=').length === 2);
      im.values.optimizer_args = [...(im.values.optimizer_args ?? []), ...list];
      im.changes.push({ key: 'additional_parameters', guiValue: text, action: 'converted', result: `optimizer_args += ${JSON.stringify(list)}` });
    } else if (dest === 'clip_skip') {
      im.pitfall('P5', 'PRESET_CLIP_SKIP', 'additional_parameters: --clip_skip does nothing for SDXL but is recorded in the metadata. Dropped.', 'Use clip skip 2 in the generator instead.', 'additional_parameters');
    } else if (spec?.action === 'store_true') im.addExtra(dest, true, 'additional_parameters');
    else if (spec?.nargs === '*') for (const v of values) im.addExtra(dest, v, 'additional_parameters');
    else if (values[0] !== undefined) im.addExtra(dest, values[0], 'additional_parameters');
  }
}

export function checkModel(im: Importer): void {
  const sdxl = toBool(im.get('sdxl'));
  const v2 = toBool(im.get('v2'));
  if (sdxl === false || v2 === true) {
    throw presetErrors.create('PRESET_UNSUPPORTED', `${im.file} is a ${v2 ? 'Stable Diffusion 2.x' : 'Stable Diffusion 1.x'} preset (sdxl: false); tack trains SDXL and Pony LoRAs only.`, 'Use an SDXL preset (sdxl: true).', {
      details: { file: im.file },
    });
  }
  if (sdxl === undefined) im.findings.push(finding('info', 'PRESET_NO_SDXL_KEY', 'The file has no "sdxl" key; it is read as an SDXL preset.', { subject: 'sdxl' }));
}

