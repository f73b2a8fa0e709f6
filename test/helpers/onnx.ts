/**
 * Writes small ONNX models for tests and benchmarks, with protobufjs and the subset of
 * onnx.proto that a model file needs (field numbers as in onnx/onnx.proto, IR version 8).
 *
 *   const m = new OnnxModelBuilder();
 *   const x = m.input('x', 'float32', ['N', 3, 32, 32]);
 *   const y = m.relu(m.conv(x, { inChannels: 3, outChannels: 8, kernel: 3, pad: 1, rng: seededRandom(1) }));
 *   m.output(m.linear(m.flatten(m.globalAveragePool(y)), 8, 10, { rng: seededRandom(2) }), 'float32', ['N', 10], 'logits');
 *   await m.write(file);
 *
 * `writeTaggerModel` builds a model with the WD14 taggers' input and output names and shapes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import protobuf from 'protobufjs';

const ONNX_PROTO = `
syntax = "proto2";
package onnx;
message AttributeProto {
  optional string name = 1; optional float f = 2; optional int64 i = 3; optional bytes s = 4;
  optional TensorProto t = 5; repeated float floats = 7; repeated int64 ints = 8; repeated bytes strings = 9;
  optional int32 type = 20;
}
message TensorProto {
  repeated int64 dims = 1; optional int32 data_type = 2; repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true]; repeated int64 int64_data = 7 [packed = true];
  optional string name = 8; optional bytes raw_data = 9;
}
message NodeProto {
  repeated string input = 1; repeated string output = 2; optional string name = 3; optional string op_type = 4;
  repeated AttributeProto attribute = 5; optional string domain = 7;
}
message TensorShapeProto {
  message Dimension { optional int64 dim_value = 1; optional string dim_param = 2; }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  optional Tensor tensor_type = 1;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message GraphProto {
  repeated NodeProto node = 1; optional string name = 2; repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12;
}
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message ModelProto {
  optional int64 ir_version = 1; optional string producer_name = 2; optional string producer_version = 3;
  optional GraphProto graph = 7; repeated OperatorSetIdProto opset_import = 8; repeated StringStringEntryProto metadata_props = 14;
}
`;

const ModelProto = protobuf.parse(ONNX_PROTO).root.lookupType('onnx.ModelProto');

export type OnnxDType = 'float32' | 'int64' | 'int32' | 'uint8' | 'bool';
const ELEM_TYPE: Record<OnnxDType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 };
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export type Dim = number | string;
export type AttrValue = number | readonly number[] | string | { readonly floats: readonly number[] } | { readonly int: number };

/** A deterministic random source (mulberry32) for reproducible weights. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function valueInfo(name: string, dtype: OnnxDType, dims: readonly Dim[]) {
  return {
    name,
    type: { tensorType: { elemType: ELEM_TYPE[dtype], shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function attribute(name: string, value: AttrValue) {
  if (typeof value === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') return Number.isInteger(value) ? { name, type: ATTR.INT, i: value } : { name, type: ATTR.FLOAT, f: value };
  if ('floats' in value) return { name, type: ATTR.FLOATS, floats: [...value.floats] };
  if ('int' in value) return { name, type: ATTR.INT, i: value.int };
  return { name, type: ATTR.INTS, ints: [...(value as readonly number[])] };
}

export interface ConvOptions {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride?: number;
  readonly pad?: number;
  /** [out, in, k, k] weights; random (He-scaled) from `rng` when omitted. */
  readonly weights?: Float32Array;
  readonly bias?: Float32Array;
  readonly rng?: () => number;
}

/** Builds one ONNX graph node by node; names are generated unless given. */
export class OnnxModelBuilder {
  private readonly nodes: object[] = [];
  private readonly inits: object[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private readonly metadata: { key: string; value: string }[] = [];
  private counter = 0;

  constructor(private readonly options: { readonly opset?: number; readonly producer?: string } = {}) {}

  /** Estimated multiply-accumulates per image of the Conv and MatMul nodes added through the helpers. */
  macs = 0;

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, dtype: OnnxDType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, dtype, dims));
    return name;
  }

  /** Declares `value` a graph output; renames it through an Identity when `name` differs. */
  output(value: string, dtype: OnnxDType, dims: readonly Dim[], name = value): string {
    if (name !== value) this.node('Identity', [value], [name]);
    this.outputs.push(valueInfo(name, dtype, dims));
    return name;
  }

  initializer(dtype: OnnxDType, dims: readonly number[], data: Float32Array | Int32Array | BigInt64Array | Uint8Array, name = this.fresh('w')): string {
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.inits.push({ name, dataType: ELEM_TYPE[dtype], dims: [...dims], rawData: raw });
    return name;
  }

  constFloat(values: readonly number[] | Float32Array, dims: readonly number[] = [values.length]): string {
    return this.initializer('float32', dims, Float32Array.from(values));
  }

  constInt64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.initializer('int64', dims, BigInt64Array.from(values.map((v) => BigInt(v))));
  }

  node(opType: string, inputs: readonly string[], outputs: readonly string[] = [this.fresh(opType.toLowerCase())], attrs: Readonly<Record<string, AttrValue>> = {}): string {
    this.nodes.push({ opType, input: [...inputs], output: [...outputs], name: this.fresh(`n_${opType}`), attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return outputs[0] as string;
  }

  meta(key: string, value: string): void {
    this.metadata.push({ key, value });
  }

  // ---- layer helpers (NCHW like ONNX Conv) ----

  transpose(x: string, perm: readonly number[]): string {
    return this.node('Transpose', [x], undefined, { perm });
  }

  conv(x: string, o: ConvOptions, spatialOut?: number): string {
    const k = o.kernel;
    const count = o.outChannels * o.inChannels * k * k;
    let w = o.weights;
    if (!w) {
      const rng = o.rng ?? seededRandom(this.counter + 1);
      const scale = Math.sqrt(2 / (o.inChannels * k * k));
      w = new Float32Array(count);
      for (let i = 0; i < count; i++) w[i] = (rng() * 2 - 1) * scale * Math.sqrt(3);
    }
    const inputs = [x, this.initializer('float32', [o.outChannels, o.inChannels, k, k], w)];
    inputs.push(this.initializer('float32', [o.outChannels], o.bias ?? new Float32Array(o.outChannels)));
    const pad = o.pad ?? 0;
    if (spatialOut) this.macs += spatialOut * spatialOut * count;
    return this.node('Conv', inputs, undefined, { kernel_shape: [k, k], strides: [o.stride ?? 1, o.stride ?? 1], pads: [pad, pad, pad, pad] });
  }

  relu(x: string): string {
    return this.node('Relu', [x]);
  }

  sigmoid(x: string, name?: string): string {
    return this.node('Sigmoid', [x], name ? [name] : undefined);
  }

  globalAveragePool(x: string): string {
    return this.node('GlobalAveragePool', [x]);
  }

  flatten(x: string): string {
    return this.node('Flatten', [x], undefined, { axis: 1 });
  }

  /** x[N, inFeatures] @ W[inFeatures, outFeatures] + b. */
  linear(x: string, inFeatures: number, outFeatures: number, o: { readonly weights?: Float32Array; readonly bias?: Float32Array; readonly rng?: () => number } = {}): string {
    let w = o.weights;
    if (!w) {
      const rng = o.rng ?? seededRandom(this.counter + 7);
      const scale = 1 / Math.sqrt(inFeatures);
      w = new Float32Array(inFeatures * outFeatures);
      for (let i = 0; i < w.length; i++) w[i] = (rng() * 2 - 1) * scale;
    }
    this.macs += inFeatures * outFeatures;
    const mm = this.node('MatMul', [x, this.initializer('float32', [inFeatures, outFeatures], w)]);
    return this.node('Add', [mm, this.initializer('float32', [outFeatures], o.bias ?? new Float32Array(outFeatures))]);
  }

  /** Mean over `axes` (opset 13: axes is an attribute). */
  reduceMean(x: string, axes: readonly number[], keepdims = false): string {
    return this.node('ReduceMean', [x], undefined, { axes, keepdims: keepdims ? 1 : 0 });
  }

  toBytes(): Uint8Array {
    const model = ModelProto.fromObject({
      irVersion: 8,
      producerName: this.options.producer ?? 'tack-tests',
      producerVersion: '1',
      opsetImport: [{ domain: '', version: this.options.opset ?? 13 }],
      metadataProps: this.metadata,
      graph: { name: 'g', node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    });
    return ModelProto.encode(model).finish();
  }

  async write(file: string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, this.toBytes());
  }
}

export interface TaggerModelOptions {
  /** Square input side (the real taggers use 448). */
  readonly size?: number;
  /** Number of outputs: 4 ratings + general + character tags (rows of selected_tags.csv). */
  readonly tagCount: number;
  /** Batch dimension: a symbolic name (real v3 taggers) or a fixed number. */
  readonly batch?: Dim;
  /**
   * Scores = [meanB, meanG, meanR] @ weights[3, tagCount] + bias, where the means are over the
   * whole input in its 0-255 range and BGR order; then a sigmoid unless `sigmoid` is false, so
   * tests can set exact scores through `bias` alone.
   */
  readonly weights?: Float32Array;
  readonly bias?: Float32Array;
  readonly sigmoid?: boolean;
}

/**
 * A model shaped like SmilingWolf's WD14 taggers: input "input_1:0" float32 [N, S, S, 3]
 * (BGR, 0-255, NHWC) and output "predictions_sigmoid" float32 [N, tags].
 */
export function buildTaggerModel(o: TaggerModelOptions): OnnxModelBuilder {
  const size = o.size ?? 448;
  const batch = o.batch ?? 'N';
  const m = new OnnxModelBuilder();
  const x = m.input('input_1:0', 'float32', [batch, size, size, 3]);
  const means = m.reduceMean(x, [1, 2]);
  const scores = m.linear(means, 3, o.tagCount, { weights: o.weights ?? new Float32Array(3 * o.tagCount), bias: o.bias ?? new Float32Array(o.tagCount) });
  const out = o.sigmoid === false ? scores : m.sigmoid(scores);
  m.output(out, 'float32', [batch, o.tagCount], 'predictions_sigmoid');
  return m;
}

export async function writeTaggerModel(file: string, o: TaggerModelOptions): Promise<void> {
  await buildTaggerModel(o).write(file);
}

export interface TaggerTag {
  readonly name: string;
  /** 9 rating, 0 general, 4 character (the SmilingWolf CSV categories). */
  readonly category: 0 | 4 | 9;
}

/** selected_tags.csv as the taggers ship it: header tag_id,name,category,count. */
export function formatSelectedTagsCsv(tags: readonly TaggerTag[]): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return ['tag_id,name,category,count', ...tags.map((t, i) => `${9999000 + i},${quote(t.name)},${t.category},${1000 - i}`)].join('\n') + '\n';
}
