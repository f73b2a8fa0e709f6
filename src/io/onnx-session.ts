/**
 * ONNX Runtime (onnxruntime-node, CPU) behind a small interface: open a model file, read its
 * input/output names and shapes, run float32 tensors. The runtime is loaded on first use so
 * commands that never run a model do not pay for loading its native library.
 */
import os from 'node:os';
import { modelIoErrors } from './model-errors.js';

export interface OnnxValueInfo {
  readonly name: string;
  readonly type: string;
  /** Fixed sizes as numbers, symbolic ones ("N", "batch_size") as strings. */
  readonly shape: readonly (number | string)[];
}

export interface FloatTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export interface OnnxSession {
  readonly file: string;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  /** Runs the model; blocks the event loop while the runtime computes. */
  run(feeds: Readonly<Record<string, FloatTensor>>): Promise<Record<string, FloatTensor>>;
  close(): Promise<void>;
}

export interface OpenOnnxOptions {
  /** Threads for one operator (0 or absent: one per CPU core). */
  readonly threads?: number;
}

type Ort = typeof import('onnxruntime-node');
let runtime: Promise<Ort> | undefined;

function loadRuntime(): Promise<Ort> {
  runtime ??= import('onnxruntime-node').then((m) => ((m as unknown as { default?: Ort }).default ?? m) as Ort);
  return runtime;
}

function describe(meta: readonly unknown[]): OnnxValueInfo[] {
  return meta.map((m) => {
    const v = m as { name: string; isTensor?: boolean; type?: string; shape?: (number | string)[] };
    return { name: v.name, type: v.type ?? 'unknown', shape: v.shape ?? [] };
  });
}

export async function openOnnxSession(file: string, options: OpenOnnxOptions = {}): Promise<OnnxSession> {
  const ort = await loadRuntime();
  const threads = options.threads && options.threads > 0 ? options.threads : os.availableParallelism();
  let session: import('onnxruntime-node').InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      // Spinning threads would take the CPU from the image decoding that overlaps inference.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
  } catch (cause) {
    const reason = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0];
    throw modelIoErrors.create('ONNX_LOAD_FAILED', `${file} cannot be loaded as an ONNX model: ${reason}.`, 'The file is probably incomplete or damaged: delete it so tack downloads it again, or point to a good copy.', {
      cause,
      details: { file },
    });
  }
  const inputs = describe(session.inputMetadata as unknown as unknown[]);
  const outputs = describe(session.outputMetadata as unknown as unknown[]);
  return {
    file,
    inputs,
    outputs,
    async run(feeds) {
      const ortFeeds: Record<string, import('onnxruntime-node').Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, [...t.dims]);
      let result: Awaited<ReturnType<typeof session.run>>;
      try {
        result = await session.run(ortFeeds);
      } catch (cause) {
        const reason = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0];
        throw modelIoErrors.create('ONNX_RUN_FAILED', `Running ${file} failed: ${reason}.`, 'The model does not accept this input; check that it is the model tack expects (see docs/captions.md).', { cause, details: { file } });
      }
      const out: Record<string, FloatTensor> = {};
      for (const [name, t] of Object.entries(result)) {
        if (t.type !== 'float32') continue;
        out[name] = { data: t.data as Float32Array, dims: t.dims.map(Number) };
      }
      return out;
    },
    async close() {
      await session.release();
    },
  };
}
