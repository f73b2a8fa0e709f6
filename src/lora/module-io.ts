/** Finding a LoRA module's factors, with the checks every numeric operation needs. */
import { readSync } from 'node:fs';
import { fileReadError } from '../core/index.js';
import type { WritableDtype } from './dtypes.js';
import { loraErrors } from './errors.js';
import type { FactorBytes, FactorInput, TensorSlice } from './module-job.js';
import type { LoraModule, ModuleScan } from './modules.js';
import { numelOf, truncatedError, type SafetensorsFile, type TensorInfo } from './safetensors-read.js';

/** Refuses files whose modules tack cannot compute with, naming the first offender. */
export function requirePlainLora(scan: ModuleScan, file: string, operation: string): readonly LoraModule[] {
  if (scan.modules.length === 0) {
    throw loraErrors.create('LORA_NOT_A_LORA', `${file} holds no LoRA modules tack recognises (${scan.unrecognised.length} other tensors).`, 'Check that the file is a LoRA (not a checkpoint, VAE or embedding).', { details: { file } });
  }
  for (const m of scan.modules) {
    if (m.kind !== 'lora') {
      const count = scan.modules.filter((x) => x.kind === m.kind).length;
      throw loraErrors.create('LORA_UNSUPPORTED_NETWORK', `${file} is a ${m.kind === 'loha' ? 'LoHa' : m.kind === 'lokr' ? 'LoKr' : m.kind} network (${count} such modules, e.g. ${m.name}); tack can ${operation} plain LoRA/LoCon files only.`, 'Use the LyCORIS tools for this network type, or train a plain LoRA.', { details: { file, module: m.name, kind: m.kind } });
    }
    if (m.problem) {
      throw loraErrors.create('LORA_BAD_MODULE', `${file}: module ${m.name} ${m.problem}.`, 'The file is damaged or was written by a broken tool; export it again.', { details: { file, module: m.name } });
    }
    if (m.tensors.mid || m.tensors.dora) {
      throw loraErrors.create('LORA_UNSUPPORTED_NETWORK', `${file}: module ${m.name} is ${m.tensors.mid ? 'a Tucker (lora_mid) LoCon' : 'DoRA'} module; tack can ${operation} plain LoRA/LoCon modules only.`, 'Use the tool that trained it to change it.', { details: { file, module: m.name } });
    }
  }
  return scan.modules;
}

export async function readAlpha(st: SafetensorsFile, module: LoraModule): Promise<number | undefined> {
  const t = module.tensors.alpha;
  if (!t) return undefined;
  const values = await st.readFloats(t);
  return values[0];
}

/** Where a module's factors are in `st`, for a resize or merge job. */
export function factorInput(st: SafetensorsFile, module: LoraModule): FactorInput {
  const slice = (t: TensorInfo): TensorSlice => ({ name: t.name, dtype: t.dtype, offset: st.header.dataOffset + t.begin, length: t.end - t.begin });
  const down = module.tensors.down!;
  const rank = module.rank as number;
  return {
    file: st.file,
    ...(st.fd === undefined ? {} : { fd: st.fd }),
    module: module.name,
    down: slice(down),
    up: slice(module.tensors.up!),
    ...(module.tensors.alpha ? { alpha: slice(module.tensors.alpha) } : {}),
    rank,
    outFeatures: module.tensors.up!.shape[0] as number,
    inFlat: numelOf(down.shape) / rank,
  };
}

function readSliceSync(input: FactorInput, slice: TensorSlice): Uint8Array {
  const out = new Uint8Array(slice.length);
  let done = 0;
  while (done < slice.length) {
    let n: number;
    try {
      n = readSync(input.fd as number, out, done, slice.length - done, slice.offset + done);
    } catch (cause) {
      throw fileReadError(input.file, cause);
    }
    if (n === 0) throw truncatedError(input.file, slice.offset, done, slice.length);
    done += n;
  }
  return out;
}

/**
 * A job input's bytes, read with pread on its descriptor (`input.fd` must be set): used by the
 * worker threads, and by the calling thread, where a module's three small reads would
 * otherwise each wait for a thread-pool round trip.
 */
export function readFactorBytesSync(input: FactorInput): FactorBytes {
  return { down: readSliceSync(input, input.down), up: readSliceSync(input, input.up), ...(input.alpha ? { alpha: readSliceSync(input, input.alpha) } : {}) };
}

/** A job input's bytes, read through `st` on the calling thread. */
export async function readFactorBytes(st: SafetensorsFile, input: FactorInput): Promise<FactorBytes> {
  if (input.fd !== undefined) return readFactorBytesSync(input);
  const read = (slice: TensorSlice) => {
    const begin = slice.offset - st.header.dataOffset;
    return st.readBytes({ name: slice.name, dtype: slice.dtype, shape: [], begin, end: begin + slice.length });
  };
  return { down: await read(input.down), up: await read(input.up), ...(input.alpha ? { alpha: await read(input.alpha) } : {}) };
}

/** Throws LORA_OVERFLOW when values do not fit `dtype` (f16 tops out at 65504). */
export function checkFits(values: Float64Array, dtype: WritableDtype, file: string, module: string): void {
  const limit = dtype === 'F16' ? 65504 : 3.4028234663852886e38;
  for (let i = 0; i < values.length; i++) {
    if (Math.abs(values[i] as number) > limit) {
      throw loraErrors.create('LORA_OVERFLOW', `${file}: module ${module} has a value ${values[i]} that does not fit ${dtype}.`, 'Write the result as F32 (--dtype f32).', { details: { file, module, dtype } });
    }
  }
}
