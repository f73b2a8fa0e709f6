/**
 * Worker thread that runs @vladmandic/human (blazeface + facemesh + faceres 1024-d embedding) on
 * the tfjs WASM backend. One worker uses one core (the WASM build here is single-threaded), so
 * face-human.ts starts one per core. Loading follows npm-deps-tested.md 4:
 *   1. the package's `exports` map sends require('@vladmandic/human') to the tfjs-node build,
 *      so the WASM build is loaded by file path (dist/human.node-wasm.js);
 *   2. wasmPath defaults to a CDN, so it points at the installed @tensorflow/tfjs-backend-wasm;
 *   3. models load through fetch, which in Node cannot read file:// URLs, so a made-up base URL
 *      is answered from the package's models/ folder (this thread's fetch only).
 * cacheSensitivity 0 and skipFrames 0: Human otherwise reuses results between similar frames.
 *
 * Per image: pass 1 finds faces on the image padded to a square (the detector squashes
 * non-square input, which misplaces faces in tall images); pass 2 re-detects each face in a
 * square crop around it (twice the face size, scaled to 256 px) placed next to its mirror image, and averages the
 * two embeddings. On the bundled test photos (bench/likeness.ts) the mirror pass raised the
 * separation of same-person and different-person pairs (d') from about 2.7 to about 3.4.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';

interface HumanFace {
  box: [number, number, number, number];
  score: number;
  embedding?: number[];
  /** 468 face-mesh points [x, y, z] in the input's pixels. */
  mesh?: Array<[number, number, number]>;
}
interface HumanLike {
  load(): Promise<void>;
  detect(input: unknown, config?: unknown): Promise<{ face: HumanFace[] }>;
  tf: { tensor(data: Int32Array, shape: number[], dtype: string): { dispose(): void }; ready(): Promise<void> };
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
      // Rotation correction costs about a third of the throughput (bench/likeness.ts: 3.2 images/s
      // without, 2.1-2.7 with) but keeps tilted heads recognisable: a copy turned 30 degrees
      // keeps a similarity of 0.94-0.96 to its upright photo with it, 0.82-0.87 without.
      detector: { rotation: true, maxDetected: 10, minConfidence: 0.3, return: false, skipFrames: 0, skipTime: 0 },
      mesh: { enabled: true },
      description: { enabled: true, crop: 0.1, skipFrames: 0, skipTime: 0 },
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

/**
 * pass 'find': the detector alone (boxes for pass 2, which confirms each face with the mesh);
 * 'refine': detector and mesh; 'embed': detector, mesh and the faceres embedding.
 */
async function detect(human: HumanLike, data: Uint8Array, width: number, height: number, pass: 'find' | 'refine' | 'embed'): Promise<HumanFace[]> {
  const tensor = human.tf.tensor(Int32Array.from(data), [1, height, width, 3], 'int32');
  try {
    const result = await human.detect(tensor, { face: { mesh: { enabled: pass !== 'find' }, description: { enabled: pass === 'embed' }, detector: { maxDetected: pass === 'find' ? 10 : 4 } } });
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

/** [crop | mirrored crop] in the top half of a square canvas (the detector wants squares). */
function pairCanvas(crop: Uint8Array): Uint8Array {
  const c = CROP_SIDE;
  const canvas = new Uint8Array(2 * c * 2 * c * 3);
  const rowBytes = c * 3;
  for (let y = 0; y < c; y++) {
    const src = y * rowBytes;
    const dst = y * 2 * rowBytes;
    canvas.set(crop.subarray(src, src + rowBytes), dst);
    for (let x = 0; x < c; x++) {
      const from = src + (c - 1 - x) * 3;
      const to = dst + rowBytes + x * 3;
      canvas[to] = crop[from] as number;
      canvas[to + 1] = crop[from + 1] as number;
      canvas[to + 2] = crop[from + 2] as number;
    }
  }
  return canvas;
}

function nearest(faces: HumanFace[], cx: number, cy: number, maxDistance: number, requireEmbedding: boolean): HumanFace | undefined {
  let best: HumanFace | undefined;
  let bestD = Infinity;
  for (const f of faces) {
    if ((requireEmbedding && (!f.embedding || f.embedding.length === 0)) || f.score < 0.5) continue;
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

async function analyze(human: HumanLike, request: FaceWorkerRequest): Promise<FaceWorkerFace[]> {
  const { data, width, height } = request;
  const square = await squareForDetection(data, width, height);
  const found = (await detect(human, square.pixels, square.side, square.side, 'find'))
    .map((f) => ({ ...f, box: f.box.map((v) => v / square.scale) as [number, number, number, number] }))
    .filter((f) => Math.max(f.box[2], f.box[3]) >= MIN_FACE_PX)
    .sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3])
    .slice(0, MAX_FACES);
  const out: FaceWorkerFace[] = [];
  for (const face of found) {
    const [x, y, w, h] = face.box;
    const size = Math.max(8, Math.round(Math.max(w, h) * CROP_MARGIN));
    const crop = await squareCrop(data, width, height, x + w / 2, y + h / 2, size);
    const refined = await detect(human, pairCanvas(crop), 2 * CROP_SIDE, 2 * CROP_SIDE, request.embed ? 'embed' : 'refine');
    const left = nearest(refined, CROP_SIDE / 2, CROP_SIDE / 2, CROP_SIDE / 3, request.embed);
    const right = nearest(refined, 1.5 * CROP_SIDE, CROP_SIDE / 2, CROP_SIDE / 3, request.embed);
    const parts = [left, right].filter((f): f is HumanFace => f !== undefined);
    // A face the mesh cannot confirm in its own crop is a false detection (patterned fabric, a hand).
    if (parts.length === 0) continue;
    // Landmarks from the unmirrored crop, mapped back to the source image.
    const k = size / CROP_SIDE;
    const x0 = Math.round(x + w / 2 - size / 2);
    const y0 = Math.round(y + h / 2 - size / 2);
    const points = fivePoints(left?.mesh) ?? [];
    const landmarks = points.flatMap(([px, py]) => [x0 + px * k, y0 + py * k]);
    if (!request.embed) {
      out.push({ box: face.box, score: Math.min(face.score, Math.max(...parts.map((p) => p.score))), embedding: new Float32Array(0), landmarks });
      continue;
    }
    const sum = new Float32Array(parts[0]?.embedding?.length ?? 0);
    for (const p of parts) p.embedding?.forEach((v, i) => (sum[i] = (sum[i] as number) + v));
    let norm = 0;
    for (const v of sum) norm += v * v;
    norm = Math.sqrt(norm) || 1;
    out.push({ box: face.box, score: Math.min(face.score, Math.max(...parts.map((p) => p.score))), embedding: sum.map((v) => v / norm), landmarks });
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
  try {
    human = await loadHuman();
  } catch (error) {
    port.postMessage({ kind: 'fatal', message: error instanceof Error ? error.message : String(error) } satisfies FaceWorkerReply);
    return;
  }
  port.postMessage({ kind: 'ready', loadMs: performance.now() - started } satisfies FaceWorkerReply);
  port.on('message', (request: FaceWorkerRequest) => {
    const t0 = performance.now();
    analyze(human, request).then(
      (faces) => {
        const reply: FaceWorkerReply = { kind: 'result', id: request.id, faces, modelMs: performance.now() - t0 };
        port.postMessage(reply, faces.map((f) => f.embedding.buffer as ArrayBuffer));
      },
      (error: unknown) => port.postMessage({ kind: 'error', id: request.id, message: error instanceof Error ? error.message : String(error) } satisfies FaceWorkerReply),
    );
  });
}

void main();
