/**
 * Worker thread that runs @vladmandic/human's face detector and face mesh on the tfjs WASM
 * backend, and (when started with an embedding model in workerData) a face-recognition graph
 * model on faces aligned to the five-point template. One worker uses one core (the WASM build
 * here is single-threaded), so face-human.ts starts one per core. Loading follows
 * npm-deps-tested.md 4:
 *   1. the package's `exports` map sends require('@vladmandic/human') to the tfjs-node build,
 *      so the WASM build is loaded by file path (dist/human.node-wasm.js);
 *   2. wasmPath defaults to a CDN, so it points at the installed @tensorflow/tfjs-backend-wasm;
 *   3. Human's models load through fetch, which in Node cannot read file:// URLs, so a made-up
 *      base URL is answered from the package's models/ folder (this thread's fetch only). The
 *      embedding model is read from its files directly.
 * cacheSensitivity 0 and skipFrames 0: Human otherwise reuses results between similar frames.
 *
 * Per image: pass 1 finds faces on the image padded to a square (the detector squashes
 * non-square input, which misplaces faces in tall images); pass 2 runs detector and mesh on a
 * square crop around each face (twice the face size, 256 px) for precise eyes, nose tip and
 * mouth corners; the face is then warped from the source pixels onto InsightFace's template
 * and embedded together with its mirror image (bench/likeness.ts: AUC 1.000 and d' 4.4 on the
 * labelled photos, against 0.994 and 3.9 for Human's own crop of the same model).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { alignFace, meanEmbedding } from './face-align.js';

interface HumanFace {
  box: [number, number, number, number];
  score: number;
  embedding?: number[];
  /** 468 face-mesh points [x, y, z] in the input's pixels. */
  mesh?: Array<[number, number, number]>;
}
interface TensorLike {
  dispose(): void;
  data(): Promise<Float32Array>;
}
interface HumanLike {
  load(): Promise<void>;
  detect(input: unknown, config?: unknown): Promise<{ face: HumanFace[] }>;
  tf: { tensor(data: Int32Array | Float32Array, shape: number[], dtype: string): TensorLike; ready(): Promise<void> };
}
interface GraphModelLike {
  execute(input: TensorLike, output?: string): TensorLike | TensorLike[];
}

/** workerData: the embedding model's files, or nothing for landmarks only (the ONNX route embeds itself). */
export interface FaceWorkerData {
  readonly embedding?: { readonly jsonFile: string; readonly binFile: string; readonly size: number; readonly output?: string };
}

export interface FaceWorkerRequest {
  readonly id: number;
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** false: detect and locate landmarks only (another model computes the embedding). */
  readonly embed: boolean;
}

export interface FaceWorkerFace {
  readonly box: [number, number, number, number];
  readonly score: number;
  /** Empty when the request asked for landmarks only. */
  readonly embedding: Float32Array;
  /** Five points in the source image: the eye on the image's left, the other eye, nose tip, mouth corners left and right (x, y pairs). */
  readonly landmarks: number[];
}

export type FaceWorkerReply =
  | { readonly kind: 'ready'; readonly loadMs: number }
  | { readonly kind: 'result'; readonly id: number; readonly faces: FaceWorkerFace[]; readonly modelMs: number }
  | { readonly kind: 'error'; readonly id: number; readonly message: string }
  | { readonly kind: 'fatal'; readonly message: string };

const MODEL_HOST = 'http://human-models.invalid/';
/** The detector's own input is 256 px; twice that keeps small faces without moving 1024² pixels. */
const DETECT_SIDE = 512;
const CROP_SIDE = 256;
const CROP_MARGIN = 2;
const MIN_FACE_PX = 24;
const MAX_FACES = 4;
// MediaPipe face-mesh indices (the mesh Human runs): eye corners, nose tip, mouth corners.
const EYE_IMAGE_LEFT = [33, 133];
const EYE_IMAGE_RIGHT = [362, 263];
const NOSE_TIP = 1;
const MOUTH_LEFT = 61;
const MOUTH_RIGHT = 291;

const require = createRequire(import.meta.url);

function quietConsole(): void {
  if (process.env.TACK_DEBUG) return;
  for (const method of ['log', 'info', 'warn', 'debug'] as const) console[method] = () => undefined;
}

function serveModelsFromPackage(modelsDir: string): void {
  const original = globalThis.fetch;
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith(MODEL_HOST)) {
      const file = path.join(modelsDir, path.basename(url.slice(MODEL_HOST.length)));
      return new Response(await fs.promises.readFile(file), { status: 200 });
    }
    return original(input, init);
  }) as typeof fetch;
}

async function loadHuman(): Promise<HumanLike> {
  const humanDir = path.dirname(require.resolve('@vladmandic/human'));
  serveModelsFromPackage(path.join(humanDir, '..', 'models'));
  const { Human } = require(path.join(humanDir, 'human.node-wasm.js')) as { Human: new (config: unknown) => HumanLike };
  const wasmPath = `${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}${path.sep}`;
  const off = { enabled: false };
  const human = new Human({
    backend: 'wasm',
    wasmPath,
    modelBasePath: MODEL_HOST,
    debug: false,
    warmup: 'none',
    cacheSensitivity: 0,
    face: {
      enabled: true,
      // Rotation correction lets the mesh place landmarks on tilted heads; the alignment then
      // turns the face upright (bench/likeness.ts measures a copy turned 30 degrees).
      detector: { rotation: true, maxDetected: 10, minConfidence: 0.3, return: false, skipFrames: 0, skipTime: 0 },
      mesh: { enabled: true },
      description: { enabled: false },
      iris: off,
      emotion: off,
      antispoof: off,
      liveness: off,
      attention: off,
      gear: off,
    },
    body: off,
    hand: off,
    object: off,
    gesture: off,
    segmentation: off,
    filter: off,
  });
  await human.load();
  await human.tf.ready();
  return human;
}

async function loadEmbeddingModel(files: NonNullable<FaceWorkerData['embedding']>): Promise<GraphModelLike> {
  const converter = require('@tensorflow/tfjs-converter') as { loadGraphModel(handler: unknown): Promise<GraphModelLike> };
  const json = JSON.parse(await fs.promises.readFile(files.jsonFile, 'utf8')) as { modelTopology: unknown; weightsManifest: Array<{ weights: unknown[] }>; format?: string };
  const bin = await fs.promises.readFile(files.binFile);
  return converter.loadGraphModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      format: json.format,
    }),
  });
}

/** pass 'find': the detector alone (boxes for pass 2); 'refine': detector and mesh (landmarks). */
async function detect(human: HumanLike, data: Uint8Array, width: number, height: number, pass: 'find' | 'refine'): Promise<HumanFace[]> {
  const tensor = human.tf.tensor(Int32Array.from(data), [1, height, width, 3], 'int32');
  try {
    const result = await human.detect(tensor, { face: { mesh: { enabled: pass !== 'find' }, detector: { maxDetected: pass === 'find' ? 10 : 4 } } });
    return result.face;
  } finally {
    tensor.dispose();
  }
}

/** The image shrunk to fit DETECT_SIDE and padded (right and bottom) to a square. */
async function squareForDetection(data: Uint8Array, width: number, height: number): Promise<{ pixels: Uint8Array; side: number; scale: number }> {
  const longSide = Math.max(width, height);
  const side = Math.min(longSide, DETECT_SIDE);
  const scale = side / longSide;
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const pixels = await sharp(data, { raw: { width, height, channels: 3 } })
    .resize(w, h, { fit: 'fill' })
    .extend({ right: side - w, bottom: side - h, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer();
  return { pixels, side, scale };
}

/** A square of side `size` centred on (cx, cy), black outside the image, scaled to CROP_SIDE. */
async function squareCrop(data: Uint8Array, width: number, height: number, cx: number, cy: number, size: number): Promise<Uint8Array> {
  const left = Math.round(cx - size / 2);
  const top = Math.round(cy - size / 2);
  const x0 = Math.max(0, left);
  const y0 = Math.max(0, top);
  const x1 = Math.min(width, left + size);
  const y1 = Math.min(height, top + size);
  const k = CROP_SIDE / size;
  const w = Math.max(1, Math.round((x1 - x0) * k));
  const h = Math.max(1, Math.round((y1 - y0) * k));
  const padLeft = Math.min(CROP_SIDE - w, Math.max(0, Math.round((x0 - left) * k)));
  const padTop = Math.min(CROP_SIDE - h, Math.max(0, Math.round((y0 - top) * k)));
  return sharp(data, { raw: { width, height, channels: 3 } })
    .extract({ left: x0, top: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) })
    .resize(w, h, { fit: 'fill' })
    .extend({ left: padLeft, top: padTop, right: CROP_SIDE - w - padLeft, bottom: CROP_SIDE - h - padTop, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer();
}

function nearest(faces: HumanFace[], cx: number, cy: number, maxDistance: number): HumanFace | undefined {
  let best: HumanFace | undefined;
  let bestD = Infinity;
  for (const f of faces) {
    if (f.score < 0.5 || !f.mesh || f.mesh.length < 468) continue;
    const d = Math.hypot(f.box[0] + f.box[2] / 2 - cx, f.box[1] + f.box[3] / 2 - cy);
    if (d < bestD && d <= maxDistance) {
      best = f;
      bestD = d;
    }
  }
  return best;
}

function fivePoints(mesh: Array<[number, number, number]> | undefined): Array<[number, number]> | undefined {
  if (!mesh || mesh.length < 468) return undefined;
  const at = (i: number) => mesh[i] as [number, number, number];
  const avg = (ids: number[]): [number, number] => [ids.reduce((a, i) => a + at(i)[0], 0) / ids.length, ids.reduce((a, i) => a + at(i)[1], 0) / ids.length];
  return [avg(EYE_IMAGE_LEFT), avg(EYE_IMAGE_RIGHT), [at(NOSE_TIP)[0], at(NOSE_TIP)[1]], [at(MOUTH_LEFT)[0], at(MOUTH_LEFT)[1]], [at(MOUTH_RIGHT)[0], at(MOUTH_RIGHT)[1]]];
}

async function embedFace(human: HumanLike, model: GraphModelLike, files: NonNullable<FaceWorkerData['embedding']>, image: { data: Uint8Array; width: number; height: number }, landmarks: number[]): Promise<Float32Array> {
  const size = files.size;
  const input = human.tf.tensor(alignFace(image, landmarks, size, { layout: 'nhwc', range: 'byte', mirror: true }), [2, size, size, 3], 'float32');
  let output: TensorLike | TensorLike[] | undefined;
  try {
    output = model.execute(input, files.output);
    const first = Array.isArray(output) ? output[0] : output;
    return meanEmbedding(first ? await first.data() : new Float32Array(0), 2);
  } finally {
    input.dispose();
    for (const t of Array.isArray(output) ? output : output ? [output] : []) t.dispose();
  }
}

async function analyze(human: HumanLike, model: GraphModelLike | undefined, request: FaceWorkerRequest): Promise<FaceWorkerFace[]> {
  const { data, width, height } = request;
  const square = await squareForDetection(data, width, height);
  const found = (await detect(human, square.pixels, square.side, square.side, 'find'))
    .map((f) => ({ ...f, box: f.box.map((v) => v / square.scale) as [number, number, number, number] }))
    .filter((f) => Math.max(f.box[2], f.box[3]) >= MIN_FACE_PX)
    .sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3])
    .slice(0, MAX_FACES);
  const out: FaceWorkerFace[] = [];
  const files = (workerData as FaceWorkerData | undefined)?.embedding;
  for (const face of found) {
    const [x, y, w, h] = face.box;
    const size = Math.max(8, Math.round(Math.max(w, h) * CROP_MARGIN));
    const crop = await squareCrop(data, width, height, x + w / 2, y + h / 2, size);
    const refined = nearest(await detect(human, crop, CROP_SIDE, CROP_SIDE, 'refine'), CROP_SIDE / 2, CROP_SIDE / 2, CROP_SIDE / 3);
    // A face the mesh cannot confirm in its own crop is a false detection (patterned fabric, a hand).
    const points = refined ? fivePoints(refined.mesh) : undefined;
    if (!refined || !points) continue;
    // Landmarks mapped from the crop back to the source image.
    const k = size / CROP_SIDE;
    const x0 = Math.round(x + w / 2 - size / 2);
    const y0 = Math.round(y + h / 2 - size / 2);
    const landmarks = points.flatMap(([px, py]) => [x0 + px * k, y0 + py * k]);
    const score = Math.min(face.score, refined.score);
    const embedding = request.embed && model && files ? await embedFace(human, model, files, { data, width, height }, landmarks) : new Float32Array(0);
    out.push({ box: face.box, score, embedding, landmarks });
  }
  return out;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  quietConsole();
  sharp.concurrency(1);
  const started = performance.now();
  let human: HumanLike;
  let model: GraphModelLike | undefined;
  try {
    human = await loadHuman();
    const files = (workerData as FaceWorkerData | undefined)?.embedding;
    if (files) model = await loadEmbeddingModel(files);
  } catch (error) {
    port.postMessage({ kind: 'fatal', message: error instanceof Error ? error.message : String(error) } satisfies FaceWorkerReply);
    return;
  }
  port.postMessage({ kind: 'ready', loadMs: performance.now() - started } satisfies FaceWorkerReply);
  port.on('message', (request: FaceWorkerRequest) => {
    const t0 = performance.now();
    analyze(human, model, request).then(
      (faces) => {
        const reply: FaceWorkerReply = { kind: 'result', id: request.id, faces, modelMs: performance.now() - t0 };
        port.postMessage(reply, faces.map((f) => f.embedding.buffer as ArrayBuffer));
      },
      (error: unknown) => port.postMessage({ kind: 'error', id: request.id, message: error instanceof Error ? error.message : String(error) } satisfies FaceWorkerReply),
    );
  });
}

void main();
