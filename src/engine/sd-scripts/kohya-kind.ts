/**
 * What a kohya_ss GUI JSON file is, from its keys alone: which tab saved it (LoRA, Textual
 * Inversion, DreamBooth, fine-tuning; kohya-gui-tabs.ts), which network a LoRA-tab file trains
 * (LoRA_type -> network module, kohya_ss-gui.md 2a step 5) and which model family it is for
 * (the GUI's model checkboxes: sdxl, flux1_checkbox, sd3_checkbox ...). tack trains SDXL LoRAs
 * with networks.lora, so the importer refuses everything else by name before reading values.
 */
import { present, toBool } from './kohya-gui-zero.js';
import { isKohyaGuiKey, KOHYA_GUI_FINETUNE_KEYS, KOHYA_GUI_FULL_MODEL_RATE_KEYS, KOHYA_GUI_NETWORK_KEYS } from './kohya-gui-tabs.js';

export type KohyaTrainingKind = 'lora' | 'textual-inversion' | 'dreambooth' | 'fine-tune';
export type KohyaModelFamily = 'sdxl' | 'sd1' | 'sd2' | 'flux1' | 'sd3' | 'hunyuan-image' | 'anima' | 'lumina' | 'unknown';

export interface KohyaFileKind {
  readonly training: KohyaTrainingKind;
  readonly family: KohyaModelFamily;
  /** LoRA-tab files: LoRA_type as written (Standard when absent) and the engine module it selects. */
  readonly network?: { readonly type: string; readonly module: string };
  /** The keys and values that decided, e.g. "init_word", "flux1_checkbox: true". */
  readonly evidence: readonly string[];
  /** How many of the file's keys are kohya_ss GUI keys (0: not a GUI file). */
  readonly guiKeys: number;
}

export const TRAINING_WORDS: Readonly<Record<KohyaTrainingKind, string>> = {
  lora: 'LoRA',
  'textual-inversion': 'Textual Inversion',
  dreambooth: 'DreamBooth (full model)',
  'fine-tune': 'fine-tuning (full model)',
};

export const FAMILY_WORDS: Readonly<Record<KohyaModelFamily, string>> = {
  sdxl: 'SDXL',
  sd1: 'Stable Diffusion 1.x',
  sd2: 'Stable Diffusion 2.x',
  flux1: 'Flux.1',
  sd3: 'Stable Diffusion 3',
  'hunyuan-image': 'HunyuanImage',
  anima: 'Anima',
  lumina: 'Lumina',
  unknown: 'an unnamed model family',
};

/** LoRA_type -> network module (kohya_ss-gui.md 2a step 5; lora_gui.py). */
export function networkModuleFor(type: string): string {
  if (type === 'Standard' || type === 'Kohya LoCon') return 'networks.lora';
  if (type === 'LoCon' || type.startsWith('LyCORIS/')) return 'lycoris.kohya';
  if (type === 'Kohya DyLoRA') return 'networks.dylora';
  if (type === 'LoRA-FA') return 'networks.lora_fa';
  if (type === 'Flux1') return 'networks.lora_flux';
  if (type === 'Kohya LoHa') return 'networks.loha';
  if (type === 'Kohya LoKr') return 'networks.lokr';
  return `an unknown module (LoRA_type "${type}")`;
}

const TI_MARKERS = ['token_string', 'init_word', 'num_vectors_per_token'];
const FAMILY_CHECKBOXES: ReadonlyArray<[string, KohyaModelFamily]> = [
  ['flux1_checkbox', 'flux1'],
  ['sd3_checkbox', 'sd3'],
  ['hunyuan_image_checkbox', 'hunyuan-image'],
  ['anima_checkbox', 'anima'],
  ['lumina_checkbox', 'lumina'],
];
/** Model names in model_list / pretrained_model_name_or_path, for files without an sdxl key. */
const NAME_HINTS: ReadonlyArray<[RegExp, KohyaModelFamily]> = [
  [/flux/i, 'flux1'],
  [/sd3|stable-diffusion-3/i, 'sd3'],
  [/xl|pony/i, 'sdxl'],
  [/stable-diffusion-2|sd-?2[._-]?[01]|v2-1|768-v/i, 'sd2'],
  [/stable-diffusion-v1|v1-5|v1\.5|sd-?1[._-]?5|sd15/i, 'sd1'],
];

function trainingKind(json: Record<string, unknown>, evidence: string[]): KohyaTrainingKind {
  const has = (keys: readonly string[]) => keys.filter((k) => present(json, k));
  const ti = has(TI_MARKERS);
  if (ti.length) {
    evidence.push(...ti);
    return 'textual-inversion';
  }
  // Network keys win: presets of some GUI versions carry stray keys of other tabs.
  if (has(KOHYA_GUI_NETWORK_KEYS).length) return 'lora';
  const finetune = has(KOHYA_GUI_FINETUNE_KEYS);
  if (finetune.length) {
    evidence.push(...finetune);
    return 'fine-tune';
  }
  const fullModel = has(KOHYA_GUI_FULL_MODEL_RATE_KEYS);
  if (fullModel.length) {
    evidence.push(...fullModel, 'no network keys');
    return 'dreambooth';
  }
  // A partial LoRA preset may hold only a few training keys (the GUI keeps the rest of its form).
  return 'lora';
}

function modelFamily(json: Record<string, unknown>, evidence: string[]): KohyaModelFamily {
  for (const [key, family] of FAMILY_CHECKBOXES) {
    if (toBool(json[key]) === true) {
      evidence.push(`${key}: true`);
      return family;
    }
  }
  if (json.LoRA_type === 'Flux1') {
    evidence.push('LoRA_type: Flux1');
    return 'flux1';
  }
  const sdxl = toBool(json.sdxl) ?? toBool(json.sdxl_checkbox);
  const sdxlKey = present(json, 'sdxl') ? 'sdxl' : 'sdxl_checkbox';
  if (sdxl === true) {
    evidence.push(`${sdxlKey}: true`);
    return 'sdxl';
  }
  if (toBool(json.v2) === true) {
    evidence.push('v2: true');
    return 'sd2';
  }
  if (sdxl === false) {
    evidence.push(`${sdxlKey}: false`);
    return 'sd1';
  }
  for (const key of ['model_list', 'pretrained_model_name_or_path']) {
    const name = json[key];
    if (typeof name !== 'string' || !name || name === 'custom') continue;
    const hint = NAME_HINTS.find(([re]) => re.test(name));
    if (hint) {
      evidence.push(`no sdxl key; ${key}: ${name}`);
      return hint[1];
    }
  }
  return 'unknown';
}

/** Recognises a kohya_ss GUI file from its keys (comment keys "===..." already removed). */
export function recogniseKohyaFile(json: Record<string, unknown>): KohyaFileKind {
  const evidence: string[] = [];
  const training = trainingKind(json, evidence);
  const family = modelFamily(json, evidence);
  const guiKeys = Object.keys(json).filter(isKohyaGuiKey).length;
  if (training !== 'lora') return { training, family, evidence, guiKeys };
  const type = typeof json.LoRA_type === 'string' && json.LoRA_type ? json.LoRA_type : 'Standard';
  if (present(json, 'LoRA_type')) evidence.push(`LoRA_type: ${type}`);
  return { training, family, network: { type, module: networkModuleFor(type) }, evidence, guiKeys };
}

/** "an SDXL Textual Inversion configuration", "a Flux.1 LoRA preset (LoRA_type Flux1)". */
export function describeKohyaFile(kind: KohyaFileKind): string {
  const family = kind.family === 'unknown' ? '' : `${FAMILY_WORDS[kind.family]} `;
  // Standard is the plain LoRA; Flux1 only repeats the family.
  const type = kind.network && kind.network.type !== 'Standard' && kind.network.type !== 'Flux1' ? `${kind.network.type} ` : '';
  const what = kind.training === 'lora' ? `${type}LoRA preset` : `${TRAINING_WORDS[kind.training]} configuration`;
  const text = `${family}${what}`;
  return `${/^(SDXL|[AEIOU])/.test(text) ? 'an' : 'a'} ${text}`;
}
