/**
 * Benchmark of WD14 tagging throughput: the whole `tack caption` path (the built CLI by default,
 * or captionProject() in this process with --in-process: photo decode, EXIF
 * orientation, the engine's pad + INTER_AREA preprocessing, batching, inference, tag
 * post-processing, rules, atomic caption + state writes) against the model alone on pre-made
 * tensors (the baseline), with the same session settings.
 *
 *   npm run build && node --import tsx bench/caption.ts [--n 200] [--gmacs 70] [--batch 2] [--threads 0] [--rounds 1] [--in-process]
 *
 * The model is generated: a plain convolutional network with the WD14 taggers' input/output
 * names and shapes ([N,448,448,3] -> [N,9083]) and about `--gmacs` billion multiply-adds per
 * image at 448x448: 70 by default, the compute of tack's default tagger, wd-v1-4-moat-tagger-v2
 * (a MOAT-2: 81 M weights as its 326 MB model.onnx shows; 17.2 GMAC at 224 in the MOAT paper,
 * x4 at 448), and ConvNeXt-Base at 448 (61.6) for the engine's default convnext tagger. Its
 * output layer is biased so that, like a real tagger's, a few dozen tags score above 0.35 and a
 * few hundred above 0.01 (the scores tack keeps per photo).
 * Photos: N JPEGs of 4000x3000 (blurred noise, every tenth stored sideways with EXIF 6).
 * Prints images/s of both, the ratio (target >= 85 %) and the peak RSS of the whole path
 * (target < 1.5 GB), plus CPU seconds per image of each (all threads), which other processes on
 * the machine disturb far less than wall time. `--rounds n` alternates the two phases n times
 * and compares the totals, so both see the same background load. Each phase runs in its own
 * process. Inputs are cached in bench/out/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBenchPhotos } from './photos.js';
import { formatSelectedTagsCsv, OnnxModelBuilder, seededRandom, type TaggerTag } from '../test/helpers/onnx.js';
import { BENCH_ARGS, benchArg } from './args.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = BENCH_ARGS;
const arg = benchArg;
const N = Number(arg('n', '200'));
const GMACS = Number(arg('gmacs', '70'));
const BATCH = Number(arg('batch', '2'));
const THREADS = Number(arg('threads', '0'));
const ROUNDS = Number(arg('rounds', '1'));
const IN_PROCESS = args.includes('--in-process');
const phase = arg('phase', 'main');
const out = path.join(here, 'out');
const photosDir = path.join(out, `caption-photos-v2-${N}`);
const modelDir = path.join(out, `caption-model-${GMACS}`);
const TAGS = 9083;
const SIZE = 448;

/** Conv widths of ConvNeXt-Base; 3x3 convs per stage scaled to reach the target compute. */
function buildBenchModel(gmacs: number): OnnxModelBuilder {
  const m = new OnnxModelBuilder();
  const rng = seededRandom(7);
  let x = m.transpose(m.input('input_1:0', 'float32', ['N', SIZE, SIZE, 3]), [0, 3, 1, 2]);
  const widths = [128, 256, 512, 1024];
  let spatial = SIZE / 4;
  x = m.relu(m.conv(x, { inChannels: 3, outChannels: widths[0] as number, kernel: 4, stride: 4, rng }, spatial));
  // Each 3x3 conv costs the same at every stage (channels double as the side halves).
  const perConv = spatial * spatial * 128 * 128 * 9;
  const convs = Math.max(4, Math.round((gmacs * 1e9) / perConv));
  const perStage = [Math.round(convs * 0.125), Math.round(convs * 0.125), 0, Math.round(convs * 0.125)];
  perStage[2] = convs - (perStage[0] as number) - (perStage[1] as number) - (perStage[3] as number);
  widths.forEach((w, stage) => {
    if (stage > 0) {
      spatial /= 2;
      x = m.relu(m.conv(x, { inChannels: widths[stage - 1] as number, outChannels: w, kernel: 2, stride: 2, rng }, spatial));
    }
    for (let i = 0; i < (perStage[stage] as number); i++) x = m.relu(m.conv(x, { inChannels: w, outChannels: w, kernel: 3, pad: 1, rng }, spatial));
  });
  x = m.flatten(m.globalAveragePool(x));
  // Small random weights plus a bias spread like a real tagger's scores: most tags near 0.
  const weights = new Float32Array(1024 * TAGS);
  for (let i = 0; i < weights.length; i++) weights[i] = (rng() * 2 - 1) * 1e-4;
  const bias = new Float32Array(TAGS);
  for (let i = 0; i < TAGS; i++) bias[i] = i % 200 === 0 ? 1 : i % 30 === 0 ? -3 : -8;
  m.output(m.sigmoid(m.linear(x, 1024, TAGS, { weights, bias })), 'float32', ['N', TAGS], 'predictions_sigmoid');
  return m;
}

async function generate(): Promise<void> {
  mkdirSync(out, { recursive: true });
  if (!existsSync(path.join(modelDir, 'model.onnx'))) {
    process.stderr.write(`generating a ${GMACS} GMAC tagger model...\n`);
    const m = buildBenchModel(GMACS);
    mkdirSync(modelDir, { recursive: true });
    writeFileSync(path.join(modelDir, 'model.onnx'), m.toBytes());
    const tags: TaggerTag[] = [
      ...['general', 'sensitive', 'questionable', 'explicit'].map((name) => ({ name, category: 9 as const })),
      ...Array.from({ length: TAGS - 4 - 2000 }, (_, i) => ({ name: `tag_${i}`, category: 0 as const })),
      ...Array.from({ length: 2000 }, (_, i) => ({ name: `character_${i}_(series)`, category: 4 as const })),
    ];
    writeFileSync(path.join(modelDir, 'selected_tags.csv'), formatSelectedTagsCsv(tags));
    writeFileSync(path.join(modelDir, 'macs.txt'), String(m.macs));
  }
  // 20 distinct photos, each hard-linked under several names: decoding cost is per file read,
  // and 200 distinct 4 MB files would only add disk use.
  await makeBenchPhotos(photosDir, N, { distinct: 20 });
}

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** CPU seconds used by this process (all threads) since `from`. */
function cpuSeconds(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
}

async function modelPhase(): Promise<Record<string, number>> {
  const { openOnnxSession } = await import('../src/io/onnx-session.js');
  const session = await openOnnxSession(path.join(modelDir, 'model.onnx'), { threads: THREADS });
  const rng = seededRandom(3);
  const tensors = Array.from({ length: BATCH }, () => Float32Array.from({ length: SIZE * SIZE * 3 }, () => rng() * 255));
  const batch = new Float32Array(BATCH * SIZE * SIZE * 3);
  tensors.forEach((t, i) => batch.set(t, i * t.length));
  await session.run({ 'input_1:0': { data: batch, dims: [BATCH, SIZE, SIZE, 3] } }); // warm-up
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let images = 0;
  while (images < N) {
    const n = Math.min(BATCH, N - images);
    const data = n === BATCH ? batch : batch.subarray(0, n * SIZE * SIZE * 3);
    await session.run({ 'input_1:0': { data, dims: [n, SIZE, SIZE, 3] } });
    images += n;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  await session.close();
  return { seconds, imagesPerSecond: N / seconds, cpuPerImage: cpu / N, peakRssMb: peakRssMb() };
}

async function wholePhase(): Promise<Record<string, number>> {
  const { initProject, loadProject } = await import('../src/project/index.js');
  const { listPhotos } = await import('../src/dataset/index.js');
  const { captionProject } = await import('../src/caption/index.js');
  const { configureImageThreads } = await import('../src/io/image.js');
  const { openOnnxSession } = await import('../src/io/onnx-session.js');
  configureImageThreads(1);
  const root = path.join(os.tmpdir(), `tack-bench-caption-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  await initProject(root, { token: 'xanrms', className: 'woman' });
  for (const f of readdirSync(photosDir)) linkSync(path.join(photosDir, f), path.join(root, 'photos', f));
  const project = await loadProject(root, { tokenize: false });
  await listPhotos(project.paths); // the photo index is `tack add`'s work, not captioning's
  // Warm the runtime the same way the model-only phase does (one load + one run).
  const warm = await openOnnxSession(path.join(modelDir, 'model.onnx'), { threads: THREADS });
  await warm.run({ 'input_1:0': { data: new Float32Array(SIZE * SIZE * 3), dims: [1, SIZE, SIZE, 3] } });
  await warm.close();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await captionProject(project, { overrides: { modelDir, batchSize: BATCH, threads: THREADS } });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  rmSync(root, { recursive: true, force: true });
  if (result.counts.written !== N) throw new Error(`wrote ${result.counts.written} of ${N} captions`);
  return { seconds, imagesPerSecond: N / seconds, cpuPerImage: cpu / N, peakRssMb: peakRssMb() };
}

/**
 * The whole path as users run it: the built CLI (dist/, `npm run build`) on a project whose
 * photo index exists (indexing is `tack add`'s work), measured by GNU time when available.
 */
async function cliPhase(): Promise<Record<string, number>> {
  const { initProject, loadProject } = await import('../src/project/index.js');
  const { listPhotos } = await import('../src/dataset/index.js');
  const root = path.join(os.tmpdir(), `tack-bench-caption-cli-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  await initProject(root, { token: 'xanrms', className: 'woman' });
  for (const f of readdirSync(photosDir)) linkSync(path.join(photosDir, f), path.join(root, 'photos', f));
  await listPhotos((await loadProject(root, { tokenize: false })).paths);
  const tack = path.join(here, '..', 'bin', 'tack.js');
  const cli = [tack, 'caption', root, '--model-dir', modelDir, '--batch-size', String(BATCH), '--threads', String(THREADS), '--json'];
  const timed = existsSync('/usr/bin/time');
  const t0 = performance.now();
  const child = timed
    ? spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', process.execPath, ...cli], { encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(process.execPath, cli, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  rmSync(root, { recursive: true, force: true });
  if (child.status !== 0) throw new Error(`tack caption failed (exit ${child.status}): ${child.stderr.slice(-2000)}`);
  const written = (JSON.parse(child.stdout) as { counts: { written: number } }).counts.written;
  if (written !== N) throw new Error(`wrote ${written} of ${N} captions`);
  const time = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(child.stderr);
  return {
    seconds,
    imagesPerSecond: N / seconds,
    cpuPerImage: time ? (Number(time[2]) + Number(time[3])) / N : NaN,
    peakRssMb: time ? Number(time[4]) / 1024 : NaN,
  };
}

function runPhase(name: string): Record<string, number> {
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args, '--phase', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (child.status !== 0) throw new Error(`${name} phase failed (exit ${child.status})`);
  const line = child.stdout.trim().split('\n').at(-1) ?? '{}';
  return JSON.parse(line) as Record<string, number>;
}

async function main(): Promise<void> {
  if (phase === 'model') return void console.log(JSON.stringify(await modelPhase()));
  if (phase === 'whole') return void console.log(JSON.stringify(await wholePhase()));
  if (phase === 'cli') return void console.log(JSON.stringify(await cliPhase()));
  await generate();
  const macs = Number((await import('node:fs')).readFileSync(path.join(modelDir, 'macs.txt'), 'utf8'));
  console.log(`caption benchmark: ${N} photos 4000x3000, model ${(macs / 1e9).toFixed(1)} GMAC/image at ${SIZE}x${SIZE}, batch ${BATCH}, ${os.availableParallelism()} cores, load ${os.loadavg()[0]?.toFixed(2)}`);
  const line = (label: string, r: Record<string, number>) =>
    console.log(`${label} ${r.imagesPerSecond?.toFixed(3)} images/s (${r.seconds?.toFixed(1)} s), ${r.cpuPerImage?.toFixed(2)} CPU-s/image, peak RSS ${r.peakRssMb?.toFixed(0)} MB`);
  const models: Record<string, number>[] = [];
  const wholes: Record<string, number>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const model = runPhase('model');
    line(`model only (baseline, pre-made tensors):`, model);
    models.push(model);
    const whole = runPhase(IN_PROCESS ? 'whole' : 'cli');
    line(IN_PROCESS ? `whole path (captionProject, in-process):` : `whole path (the built tack caption CLI):`, whole);
    wholes.push(whole);
  }
  const total = (rs: Record<string, number>[], key: string) => rs.reduce((a, r) => a + (r[key] as number), 0);
  const ratio = total(models, 'seconds') / total(wholes, 'seconds');
  const cpuRatio = total(models, 'cpuPerImage') / total(wholes, 'cpuPerImage');
  const peak = Math.max(...wholes.map((w) => w.peakRssMb as number));
  console.log(`ratio whole/model: ${(ratio * 100).toFixed(1)} % of the baseline throughput${ROUNDS > 1 ? ` over ${ROUNDS} alternating rounds` : ''} (target >= 85 %)`);
  console.log(`CPU ratio: the model is ${(cpuRatio * 100).toFixed(1)} % of the whole path's CPU time (what the throughput ratio approaches on a machine with no other load)`);
  console.log(`peak RSS whole path: ${peak.toFixed(0)} MB (target < 1536 MB); load average after: ${os.loadavg()[0]?.toFixed(2)}`);
}

await main();
