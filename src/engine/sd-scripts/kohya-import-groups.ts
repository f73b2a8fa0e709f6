/**
 * How the network, learning-rate, optimizer and precision keys of a kohya_ss GUI LoRA preset
 * become tack settings (kohya_ss-gui.md 2a key table), with the pitfalls each group can carry.
 * Numbers are read through the GUI's own rule (kohya-gui-zero.ts): a 0 the GUI leaves out is
 * imported as what the engine then does, never as 0. Loss, steps and dataset keys are in
 * kohya-import-training.ts.
 */
import { finding } from '../../core/index.js';
import { presetErrors } from '../errors.js';
import type { TrainSettings } from '../settings.js';
import { engineWithout } from './kohya-gui-zero.js';
import { Importer, splitGuiArgs, toBool, toNumber } from './kohya-importer.js';

const SCHEDULERS = new Set(['constant', 'constant_with_warmup', 'cosine', 'cosine_with_restarts', 'linear', 'polynomial', 'adafactor']);

/** Network keys; the file's LoRA_type was checked to be networks.lora (Standard or Kohya LoCon). */
export function importNetwork(im: Importer): void {
  const type = String(im.get('LoRA_type') ?? 'Standard');
  if (im.has('LoRA_type')) im.note('LoRA_type', 'imported', 'networks.lora', 'network_module = "networks.lora"');
  const dimRule = im.guiRule('network_dim');
  let dim: number | undefined;
  if (dimRule && 'off' in dimRule) {
    dim = 4;
    im.set('network_dim', 4, 'network_dim', 'converted', `the GUI leaves 0 out and the engine ${engineWithout('network_dim')}`);
  } else if (dimRule && dimRule.value >= 1) {
    dim = Math.round(dimRule.value);
    im.set('network_dim', dim, 'network_dim', 'imported');
  }
  if (im.has('network_alpha') || dim !== undefined) {
    const rule = im.guiRule('network_alpha');
    if (!rule || 'off' in rule) {
      const zero = toNumber(im.json.network_alpha) === 0;
      im.set('network_alpha', 1, 'network_alpha', 'converted', 'the GUI drops 0, so the engine trained with its default alpha 1');
      im.pitfall(
        'P6',
        'PRESET_ALPHA_ZERO',
        `network_alpha ${zero ? '0' : 'is empty'}: the GUI drops it and the engine trains with alpha 1, a scale of 1/${dim ?? 'rank'} (not alpha = rank). Imported as network_alpha = 1, which is what this preset really trained with.`,
        `For the usual strength set network_alpha = ${dim ? dim / 2 : 'half the rank'} (half the rank) in the preset or [train].`,
        'network_alpha',
      );
    } else im.set('network_alpha', rule.value, 'network_alpha', 'imported');
  }
  if (type === 'Kohya LoCon') {
    for (const k of ['conv_dim', 'conv_alpha']) {
      const v = im.guiNumber(k);
      if (v !== undefined && v > 0) im.addExtra('network_args', `${k}=${v}`, k);
    }
  } else {
    for (const k of ['conv_dim', 'conv_alpha']) if (im.has(k)) im.note(k, 'ignored', 'only used by LoCon networks');
  }
  for (const k of ['network_dropout', 'rank_dropout', 'module_dropout']) {
    const v = im.guiNumber(k);
    if (v === undefined || v <= 0) continue;
    if (k === 'network_dropout') im.addExtra('network_dropout', v, k);
    else im.addExtra('network_args', `${k}=${v}`, k);
  }
}

export function importRates(im: Importer): void {
  const lr = im.guiNumber('learning_rate');
  const unet = toNumber(im.get('unet_lr'));
  const te = toNumber(im.get('text_encoder_lr'));
  if (lr !== undefined && lr > 0) im.set('learning_rate', lr, 'learning_rate', 'imported');
  // unet_lr is written `unet_lr if unet_lr != 0 else None` and a text-encoder rate of 0 is left
  // out too; which rates are 0 decides what the GUI trains (kohya_ss-gui.md 0.6).
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
    im.set('unet_lr', base, 'unet_lr', 'converted', 'both rates 0: the GUI leaves both out and the engine trains both parts at learning_rate');
    im.set('text_encoder_lr', base, 'text_encoder_lr', 'converted', 'both rates 0: the GUI leaves both out and the engine trains both parts at learning_rate');
    im.set('train_text_encoder', true, 'text_encoder_lr', 'converted');
  } else {
    im.set('unet_lr', unet as number, 'unet_lr', 'imported');
    im.set('text_encoder_lr', te as number, 'text_encoder_lr', 'imported');
    im.set('train_text_encoder', true, 'text_encoder_lr', 'converted', 'both rates set: both parts trained');
  }
}

export function importOptimizer(im: Importer): void {
  let optimizer = im.get('optimizer');
  const eightBit = toBool(im.get('use_8bit_adam'));
  if (optimizer === undefined && eightBit) optimizer = 'AdamW8bit';
  if (im.has('use_8bit_adam')) im.note('use_8bit_adam', 'ignored', 'the option of older GUI versions; the optimizer key decides');
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
  // A warm-up of 0 % is 0 warm-up steps, which the GUI leaves out: the engine's default is no warm-up too.
  const warmup = toNumber(im.get('lr_warmup'));
  if (warmup !== undefined) im.set('lr_warmup_ratio', Math.min(0.5, Math.max(0, warmup / 100)), 'lr_warmup', 'converted', `${warmup} % of the steps, kept as a ratio and written as a step count (P12)`);
  const warmupSteps = im.guiNumber('lr_warmup_steps');
  if (warmupSteps && warmupSteps > 0) im.note('lr_warmup_steps', 'dropped', 'an absolute warm-up depends on the run length; tack uses lr_warmup_ratio');
  for (const k of ['lr_scheduler_num_cycles', 'lr_scheduler_power']) {
    const relevant = (k === 'lr_scheduler_num_cycles' && scheduler === 'cosine_with_restarts') || (k === 'lr_scheduler_power' && scheduler === 'polynomial');
    if (!relevant) {
      if (im.has(k)) im.note(k, 'ignored', 'no effect with this scheduler');
      continue;
    }
    const v = im.guiNumber(k);
    if (v !== undefined) im.addExtra(k, k === 'lr_scheduler_num_cycles' ? Math.round(v) : v, k);
  }
  const argsText = im.get('lr_scheduler_args');
  if (typeof argsText === 'string' && argsText.trim()) for (const a of splitGuiArgs(argsText)) im.addExtra('lr_scheduler_args', a, 'lr_scheduler_args');
  const grad = im.guiRule('max_grad_norm');
  if (grad && 'off' in grad) im.set('max_grad_norm', 1, 'max_grad_norm', 'converted', grad.off);
  else if (grad) im.set('max_grad_norm', grad.value, 'max_grad_norm', 'imported');
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
