/**
 * Synthetic LoRA and base-model files with the real key names and shapes of an architecture
 * (layout.ts) and seeded random weights: for tests, the benchmark and trying the commands
 * without a trained LoRA at hand. Tensor data is produced lazily, one tensor at a time.
 */
import { encodeFloats, type WritableDtype } from './dtypes.js';
import { layoutFor, type ArchId, type LayoutModule } from './layout.js';
import type { TensorToWrite } from './safetensors-write.js';

/** A small seeded PRNG (mulberry32) with normal samples by Box-Muller. */
export function seededRandom(seed: number): { uniform(): number; normal(): number } {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal() {
      const u = uniform() || 1e-12;
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
    },
  };
}

export interface SyntheticLoraOptions {
  readonly arch: ArchId;
  readonly rank: number;
  readonly alpha: number;
  readonly dtype: WritableDtype;
  readonly seed?: number;
  /** Include LoCon conv modules (default false, like sd-scripts without conv_dim). */
  readonly locon?: boolean;
  /** Keep only these modules (default: every module of the selected parts). */
  readonly filter?: (m: LayoutModule) => boolean;
  /** Use the other kohya spelling (diffusers-style U-Net names for SDXL). */
  readonly altNames?: boolean;
  /** Standard deviation of up (sd-scripts starts it at zero; the engine's resize test used 0.02). */
  readonly upStd?: number;
  /** Store alpha as this dtype (default: dtype). */
  readonly alphaDtype?: WritableDtype;
}

/** The modules a synthetic LoRA of these options has. */
export function syntheticModules(options: Pick<SyntheticLoraOptions, 'arch' | 'locon' | 'filter'>): LayoutModule[] {
  return layoutFor(options.arch).modules.filter((m) => (options.locon || !m.loconOnly) && (!options.filter || options.filter(m)));
}

/** Tensors of a random kohya-format LoRA (down ~ N(0, 1/in), up ~ N(0, upStd²)). */
export function syntheticLoraTensors(options: SyntheticLoraOptions): TensorToWrite[] {
  const tensors: TensorToWrite[] = [];
  const upStd = options.upStd ?? 0.02;
  syntheticModules(options).forEach((m, index) => {
    const name = options.altNames ? m.kohyaAlt : m.kohya;
    const inFlat = m.inFeatures * m.kernel * m.kernel;
    const seed = (options.seed ?? 1) * 100003 + index;
    const downShape = m.conv ? [options.rank, m.inFeatures, m.kernel, m.kernel] : [options.rank, m.inFeatures];
    const upShape = m.conv ? [m.outFeatures, options.rank, 1, 1] : [m.outFeatures, options.rank];
    const fill = (n: number, std: number, s: number) => {
      const rnd = seededRandom(s);
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = rnd.normal() * std;
      return encodeFloats(v, options.dtype);
    };
    tensors.push(
      { name: `${name}.lora_down.weight`, dtype: options.dtype, shape: downShape, data: () => fill(options.rank * inFlat, 1 / Math.sqrt(inFlat), seed) },
      { name: `${name}.lora_up.weight`, dtype: options.dtype, shape: upShape, data: () => fill(m.outFeatures * options.rank, upStd, seed + 7919) },
      { name: `${name}.alpha`, dtype: options.alphaDtype ?? options.dtype, shape: [], data: encodeFloats([options.alpha], options.alphaDtype ?? options.dtype) },
    );
  });
  return tensors;
}

/** sd-scripts-style minimal metadata for a synthetic LoRA. */
export function syntheticLoraMetadata(options: SyntheticLoraOptions, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ss_network_module: 'networks.lora',
    ss_network_dim: String(options.rank),
    ss_network_alpha: Number.isInteger(options.alpha) ? `${options.alpha}.0` : String(options.alpha),
    ss_base_model_version: options.arch === 'sdxl' ? 'sdxl_base_v1-0' : options.arch === 'sd1' ? 'sd_v1' : 'sd_v2',
    ...extra,
  };
}

/** A fake single-file base checkpoint holding the weights of `modules` (zeros), real names and shapes. */
export function syntheticBaseTensors(modules: readonly LayoutModule[], dtype: WritableDtype = 'F16'): TensorToWrite[] {
  const byKey = new Map<string, number[]>();
  for (const m of modules) {
    if (m.baseRows) {
      const shape = byKey.get(m.baseKey) ?? [0, m.inFeatures];
      shape[0] = Math.max(shape[0] as number, m.baseRows[1]);
      byKey.set(m.baseKey, shape);
    } else byKey.set(m.baseKey, m.kernel > 1 || m.conv ? [m.outFeatures, m.inFeatures, m.kernel, m.kernel] : [m.outFeatures, m.inFeatures]);
  }
  return [...byKey].map(([name, shape]) => ({ name, dtype, shape, data: () => new Uint8Array((shape.reduce((a, b) => a * b, 1) * (dtype === 'F32' ? 4 : 2))) }));
}
