/**
 * Would the common inference UIs load this LoRA's keys? Each loader builds a key map from the
 * model's modules and silently skips ("lora key not loaded") or, for diffusers, refuses what
 * it cannot map. The rules below follow each loader's key mapping as read in its source:
 *  - ComfyUI comfy/lora.py model_lora_keys_unet / model_lora_keys_clip (Forge loads LoRAs
 *    through ComfyUI's collection, backend/patcher/lora.py, so it follows the same map);
 *  - A1111 extensions-builtin/Lora/networks.py load_network + convert_diffusers_name_to_compvis;
 *  - diffusers loaders/lora_conversion_utils.py _convert_non_diffusers_lora_to_diffusers.
 * Known consequence (peers.md; ComfyUI #3163, #12452; SimpleTuner #898): diffusers/PEFT SDXL
 * files, whose U-Net attention keys look like `unet.….attn1.to_q.lora_A.weight`, lose those
 * modules in ComfyUI/Forge and everything in A1111; converting to kohya fixes it.
 */
import { layoutFor, type ArchId, type Layout, type LayoutModule } from './layout.js';
import type { ArchDetection, LoraModule, ModuleScan } from './modules.js';

export type LoaderId = 'comfyui' | 'a1111' | 'forge' | 'diffusers';

export interface LoaderVerdict {
  readonly loader: LoaderId;
  readonly label: string;
  /** loads: every module; partial: some are skipped; ignored: none load; fails: loading raises an error. */
  readonly status: 'loads' | 'partial' | 'ignored' | 'fails' | 'unknown';
  readonly loaded: number;
  readonly skipped: number;
  /** A few module names the loader would skip. */
  readonly examples: readonly string[];
  readonly note?: string;
}

const LABELS: Record<LoaderId, string> = { comfyui: 'ComfyUI', a1111: 'A1111 WebUI', forge: 'Forge', diffusers: 'diffusers' };

function us(p: string): string {
  return p.replace(/\./g, '_');
}

const comfyCache = new Map<ArchId, Set<string>>();

function comfyKeys(layout: Layout): Set<string> {
  let keys = comfyCache.get(layout.arch);
  if (keys) return keys;
  keys = new Set<string>();
  for (const m of layout.modules) {
    if (m.part === 'unet') {
      keys.add(`lora_unet_${us(m.sgm)}`);
      keys.add(`lora_unet_${us(m.diffusers)}`);
      keys.add(`lycoris_${us(m.diffusers)}`);
      keys.add(`diffusion_model.${m.sgm}`);
      let processor = m.diffusers.replace(/\.to_/g, '.processor.to_');
      if (processor.endsWith('.to_out.0')) processor = processor.slice(0, -2);
      keys.add(processor);
      keys.add(`unet.${processor}`);
    } else {
      const tail = m.diffusers.slice('text_model.encoder.layers.'.length);
      const [layer, ...rest] = tail.split('.');
      const kohyaTail = `text_model_encoder_layers_${layer}_${us(rest.join('.'))}`;
      if (m.part === 'te1') {
        keys.add(`lora_te_${kohyaTail}`);
        keys.add(`lora_te1_${kohyaTail}`);
        keys.add(`text_encoder.${m.diffusers}`);
      } else {
        keys.add(`lora_te2_${kohyaTail}`);
        keys.add(`text_encoder_2.${m.diffusers}`);
      }
    }
  }
  comfyCache.set(layout.arch, keys);
  return keys;
}

const SUFFIX_CONVERSION: Record<string, string> = { conv1: 'in_layers_2', conv2: 'out_layers_3', norm1: 'in_layers_0', norm2: 'out_layers_0', time_emb_proj: 'emb_layers_1', conv_shortcut: 'skip_connection' };

/** A1111's convert_diffusers_name_to_compvis, for the architectures tack knows. */
function a1111Convert(key: string, sd2: boolean): string {
  let m: RegExpExecArray | null;
  if ((m = /^lora_unet_conv_in(.*)$/.exec(key))) return `diffusion_model_input_blocks_0_0${m[1]}`;
  if ((m = /^lora_unet_conv_out(.*)$/.exec(key))) return `diffusion_model_out_2${m[1]}`;
  if ((m = /^lora_unet_time_embedding_linear_(\d+)(.*)$/.exec(key))) return `diffusion_model_time_embed_${Number(m[1]) * 2 - 2}${m[2]}`;
  if ((m = /^lora_unet_down_blocks_(\d+)_(attentions|resnets)_(\d+)_(.+)$/.exec(key))) {
    const suffix = m[2] === 'resnets' ? (SUFFIX_CONVERSION[m[4] as string] ?? m[4]) : m[4];
    return `diffusion_model_input_blocks_${1 + Number(m[1]) * 3 + Number(m[3])}_${m[2] === 'attentions' ? 1 : 0}_${suffix}`;
  }
  if ((m = /^lora_unet_mid_block_(attentions|resnets)_(\d+)_(.+)$/.exec(key))) {
    const suffix = m[1] === 'resnets' ? (SUFFIX_CONVERSION[m[3] as string] ?? m[3]) : m[3];
    return `diffusion_model_middle_block_${m[1] === 'attentions' ? 1 : Number(m[2]) * 2}_${suffix}`;
  }
  if ((m = /^lora_unet_up_blocks_(\d+)_(attentions|resnets)_(\d+)_(.+)$/.exec(key))) {
    const suffix = m[2] === 'resnets' ? (SUFFIX_CONVERSION[m[4] as string] ?? m[4]) : m[4];
    return `diffusion_model_output_blocks_${Number(m[1]) * 3 + Number(m[3])}_${m[2] === 'attentions' ? 1 : 0}_${suffix}`;
  }
  if ((m = /^lora_unet_down_blocks_(\d+)_downsamplers_0_conv$/.exec(key))) return `diffusion_model_input_blocks_${3 + Number(m[1]) * 3}_0_op`;
  if ((m = /^lora_unet_up_blocks_(\d+)_upsamplers_0_conv$/.exec(key))) return `diffusion_model_output_blocks_${2 + Number(m[1]) * 3}_${Number(m[1]) > 0 ? 2 : 1}_conv`;
  const openclip = (b: string, rest: string, prefix: string) => `${prefix}model_transformer_resblocks_${b}_${rest.replace('mlp_fc1', 'mlp_c_fc').replace('mlp_fc2', 'mlp_c_proj').replace('self_attn', 'attn')}`;
  if ((m = /^lora_te_text_model_encoder_layers_(\d+)_(.+)$/.exec(key))) return sd2 ? openclip(m[1] as string, m[2] as string, '') : `transformer_text_model_encoder_layers_${m[1]}_${m[2]}`;
  if ((m = /^lora_te2_text_model_encoder_layers_(\d+)_(.+)$/.exec(key))) return openclip(m[1] as string, m[2] as string, '1_');
  return key;
}

const a1111Cache = new Map<ArchId, Set<string>>();

/** The names A1111 gives the model's modules (network_layer_mapping). */
function a1111Modules(layout: Layout): Set<string> {
  let names = a1111Cache.get(layout.arch);
  if (names) return names;
  names = new Set<string>();
  for (const m of layout.modules) {
    if (m.part === 'unet') names.add(`diffusion_model_${us(m.sgm)}`);
    else {
      const layer = /layers\.(\d+)\./.exec(m.diffusers)?.[1] as string;
      const target = m.diffusers.split('.').slice(-2).join('_');
      if (layout.arch === 'sdxl' && m.part === 'te1') names.add(`0_transformer_text_model_encoder_layers_${layer}_${target}`);
      else if (layout.arch === 'sd1') names.add(`transformer_text_model_encoder_layers_${layer}_${target}`);
      else {
        const prefix = layout.arch === 'sdxl' ? '1_' : '';
        const base = `${prefix}model_transformer_resblocks_${layer}`;
        names.add(`${base}_attn`);
        names.add(`${base}_attn_out_proj`);
        names.add(`${base}_mlp_c_fc`);
        names.add(`${base}_mlp_c_proj`);
      }
    }
  }
  a1111Cache.set(layout.arch, names);
  return names;
}

function a1111Loads(name: string, layout: Layout): boolean {
  if (name.includes('.')) return false; // A1111 splits the key at its first "."
  const mapping = a1111Modules(layout);
  const key = a1111Convert(name, layout.arch === 'sd2');
  if (mapping.has(key)) return true;
  const x = /^(.*)_([qkv]_proj)$/.exec(key);
  if (x && mapping.has(x[1] as string)) return true;
  if (name.includes('lora_unet')) return mapping.has(name.replace('lora_unet', 'diffusion_model'));
  if (name.includes('lora_te1_text_model')) return mapping.has(name.replace('lora_te1_text_model', '0_transformer_text_model')) || mapping.has(name.replace('lora_te1_text_model', 'transformer_text_model'));
  return false;
}

function comfySuffixOk(m: LoraModule): boolean {
  return m.kind !== 'ia3';
}

function a1111SuffixOk(m: LoraModule): boolean {
  if (m.kind !== 'lora') return true;
  return m.style === 'kohya' || m.style === 'peft';
}

function verdict(loader: LoaderId, modules: readonly LoraModule[], ok: (m: LoraModule) => boolean, note?: string): LoaderVerdict {
  const skipped = modules.filter((m) => !ok(m));
  const loaded = modules.length - skipped.length;
  const status = skipped.length === 0 ? 'loads' : loaded === 0 ? 'ignored' : 'partial';
  return { loader, label: LABELS[loader], status, loaded, skipped: skipped.length, examples: skipped.slice(0, 5).map((m) => m.name), ...(note ? { note } : {}) };
}

/** Verdicts for ComfyUI, A1111, Forge and diffusers for an SDXL, SD1 or SD2 LoRA. */
export function checkLoaders(scan: ModuleScan, detection: ArchDetection): LoaderVerdict[] {
  const arch = detection.arch;
  if (arch !== 'sdxl' && arch !== 'sd1' && arch !== 'sd2') {
    return (['comfyui', 'a1111', 'forge', 'diffusers'] as const).map((loader) => ({ loader, label: LABELS[loader], status: 'unknown', loaded: 0, skipped: 0, examples: [], note: 'tack knows the key maps of SDXL, SD 1.x and SD 2.x only' }));
  }
  const layout = layoutFor(arch);
  const modules = scan.modules;
  const comfy = comfyKeys(layout);
  const matched = (m: LoraModule): LayoutModule | undefined => detection.matched.get(m.name);
  const comfyOk = (m: LoraModule) => comfySuffixOk(m) && comfy.has(m.name) && matched(m) !== undefined;
  const diffusersResult = diffusersVerdict(modules, matched);
  return [
    verdict('comfyui', modules, comfyOk),
    verdict('a1111', modules, (m) => a1111SuffixOk(m) && a1111Loads(m.name, layout) && matched(m) !== undefined),
    verdict('forge', modules, comfyOk, 'Forge uses ComfyUI\'s LoRA key map'),
    diffusersResult,
  ];
}

function diffusersVerdict(modules: readonly LoraModule[], matched: (m: LoraModule) => LayoutModule | undefined): LoaderVerdict {
  const kohyaPath = modules.some((m) => m.nameForm === 'kohya');
  if (kohyaPath) {
    // Every key must be lora_down/lora_up/alpha of a lora_unet_/lora_te*_ module, or
    // _convert_non_diffusers_lora_to_diffusers raises "keys have not been correctly renamed".
    const bad = modules.filter((m) => m.kind !== 'lora' || m.style !== 'kohya' || m.nameForm !== 'kohya' || /^lora_prior/.test(m.name) || !matched(m));
    if (bad.length > 0) {
      return { loader: 'diffusers', label: LABELS.diffusers, status: 'fails', loaded: 0, skipped: modules.length, examples: bad.slice(0, 5).map((m) => m.name), note: 'load_lora_weights raises an error on keys it cannot convert, so nothing loads' };
    }
    return verdict('diffusers', modules, () => true);
  }
  return verdict('diffusers', modules, (m) => m.kind === 'lora' && (m.nameForm === 'diffusers' || m.nameForm === 'diffusers-bare') && matched(m) !== undefined);
}
