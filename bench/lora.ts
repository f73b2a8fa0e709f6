/**
 * LoRA file tools benchmark. Prints figures; not part of `npm test`.
 *   node --import tsx bench/lora.ts [--keep] [--runs <n>] [--no-dense]
 * Generates two random rank-32 LoRAs with the full SDXL key layout (2958 tensors, F16, like the
 * file of the engine's own resize timing in shared/fixtures/sd-scripts/MANIFEST.md) and measures,
 * printing the 1-minute load average next to every figure (the 2 cores are shared):
 *  - read and write throughput against `cat` on the same file, interleaved so both see the same
 *    load (target: read >= 50 % of `cat file > /dev/null`);
 *  - resize to rank 16: wall time, CPU time and peak RSS of a separate process, on one thread
 *    per core (the default) and on one thread (targets: < 10 s on 2 cores, peak RSS < 2 x the
 *    file size, >= 20 x faster than the dense baseline);
 *  - a dense-SVD baseline: one-sided Jacobi SVD (tack's own routine) of the full up·down product
 *    on a sample of small and medium modules, extrapolated to all modules by the
 *    m·n·min(m, n) cost of a dense SVD (an estimate, labelled as such);
 *  - merge of the two files: exact (ranks concatenated, rank 64) and SVD to rank 32.
 * The timed operations run the compiled library (dist/, built first) in child processes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { factorSvd, jacobiSvd, layoutFor, openSafetensors, seededRandom, syntheticLoraMetadata, syntheticLoraTensors, writeSafetensors, type LayoutModule } from '../src/lora/index.js';

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
const root = path.resolve(import.meta.dirname, '..');
const dir = path.join(os.tmpdir(), 'tack-lora-bench');
mkdirSync(dir, { recursive: true });
const fileA = path.join(dir, 'sdxl-r32-a.safetensors');
const fileB = path.join(dir, 'sdxl-r32-b.safetensors');
const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const load = () => `load ${os.loadavg()[0]?.toFixed(2)}`;

async function generate(file: string, seed: number) {
  if (existsSync(file)) return;
  const o = { arch: 'sdxl' as const, rank: 32, alpha: 16, dtype: 'F16' as const, seed };
  await writeSafetensors(file, syntheticLoraTensors(o), { metadata: syntheticLoraMetadata(o), sshsHashes: true });
}

function catMs(file: string): number {
  const t = performance.now();
  execFileSync('sh', ['-c', `cat "${file}" > /dev/null`]);
  return performance.now() - t;
}

/** Open (header parse and validation included) and read every tensor, as `tack lora inspect` does. */
async function readMs(file: string): Promise<number> {
  const t = performance.now();
  const st = await openSafetensors(file);
  let bytes = 0;
  for await (const { bytes: b } of st.iterate()) bytes += b.length;
  await st.close();
  if (bytes !== st.header.dataBytes) throw new Error('short read');
  return performance.now() - t;
}

interface ChildFigures {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssKb: number;
}

function child(childArgs: string[]): ChildFigures & { load: string } {
  const before = load();
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'lora-child.ts'), ...childArgs], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) throw new Error(r.stderr);
  return { ...(JSON.parse(r.stdout) as ChildFigures), load: `${before} -> ${load()}` };
}

const describe = (f: ChildFigures & { load: string }, size: number) =>
  `${(f.wallMs / 1000).toFixed(2)} s wall, ${(f.cpuMs / 1000).toFixed(1)} s CPU, peak RSS ${mb(f.maxRssKb * 1024)} MB = ${((f.maxRssKb * 1024) / size).toFixed(2)} x the file (${f.load})`;

console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model}, ${execFileSync('uptime').toString().trim()} (other processes share these cores)`);
// The timed children run dist/, so build it (type errors elsewhere do not stop the emit).
const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
if (build.status !== 0) console.log('note: the build reported type errors (in any area); dist/ was emitted anyway');
let t = performance.now();
await generate(fileA, 1);
await generate(fileB, 2);
const size = statSync(fileA).size;
const st0 = await openSafetensors(fileA);
console.log(`input: ${st0.header.tensors.length} tensors, ${mb(size)} MB F16 rank 32 (generated or reused in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
await st0.close();

// Read: page cache warm; cat and tack interleaved, 9 rounds.
catMs(fileA);
await readMs(fileA);
const cats: number[] = [];
const reads: number[] = [];
const readLoad = load();
for (let i = 0; i < 9; i++) {
  cats.push(catMs(fileA));
  reads.push(await readMs(fileA));
}
const cat = median(cats);
const read = median(reads);
const rate = (ms: number) => (size / 1048576 / (ms / 1000)).toFixed(0);
console.log(`read:  ${read.toFixed(0)} ms = ${rate(read)} MB/s (open + header checks + every tensor); cat > /dev/null ${cat.toFixed(0)} ms = ${rate(cat)} MB/s; ratio ${((cat / read) * 100).toFixed(0)} % of cat (target >= 50 %); medians of 9 interleaved runs, best ${((Math.min(...cats) / Math.min(...reads)) * 100).toFixed(0)} % (${readLoad} -> ${load()})`);

// Write: the same tensors and metadata, temp + fsync + rename with the sshs hashes.
const st = await openSafetensors(fileA);
const tensors = await Promise.all(st.header.tensors.map(async (x) => ({ name: x.name, dtype: x.dtype, shape: x.shape, data: await st.readBytes(x) })));
const meta = st.header.metadata;
await st.close();
const copy = path.join(dir, 'copy.safetensors');
const writes: number[] = [];
const catCopies: number[] = [];
const writeLoad = load();
for (let i = 0; i < 3; i++) {
  t = performance.now();
  await writeSafetensors(copy, tensors, { metadata: meta, sshsHashes: true });
  writes.push(performance.now() - t);
  t = performance.now();
  execFileSync('sh', ['-c', `cat "${fileA}" > "${copy}" && sync "${copy}"`]);
  catCopies.push(performance.now() - t);
}
const write = median(writes);
const catCopy = median(catCopies);
console.log(`write: ${write.toFixed(0)} ms = ${rate(write)} MB/s (temp + fsync + rename, sha256 for sshs_model_hash); ${((cat / write) * 100).toFixed(0)} % of cat > /dev/null; ${((catCopy / write) * 100).toFixed(0)} % of 'cat > file && sync file' (${catCopy.toFixed(0)} ms) (${writeLoad} -> ${load()})`);
tensors.length = 0;

// Resize to rank 16, each run in its own process.
const resizes: Array<ChildFigures & { load: string }> = [];
for (let i = 0; i < RUNS; i++) {
  const f = child(['resize', fileA, path.join(dir, 'r16.safetensors'), '16']);
  resizes.push(f);
  console.log(`resize to rank 16, one thread per core, run ${i + 1}: ${describe(f, size)}`);
}
const serial = child(['resize', fileA, path.join(dir, 'r16-serial.safetensors'), '16', '1']);
console.log(`resize to rank 16, one thread: ${describe(serial, size)}`);
const same = execFileSync('sh', ['-c', `cmp -s "${path.join(dir, 'r16.safetensors')}" "${path.join(dir, 'r16-serial.safetensors')}" && echo same || echo DIFFERENT`]).toString().trim();
const resizeMs = median(resizes.map((r) => r.wallMs));
console.log(`resize summary: median ${(resizeMs / 1000).toFixed(2)} s (target < 10 s); worst peak RSS ${((Math.max(...resizes.map((r) => r.maxRssKb)) * 1024) / size).toFixed(2)} x the file (target < 2 x); threaded and one-thread outputs ${same === 'same' ? 'are byte-identical' : 'DIFFER'}`);

// Dense baseline on a sample of small and medium modules, extrapolated by cost m·n·min(m,n).
if (!args.includes('--no-dense')) {
  const modules = layoutFor('sdxl').modules.filter((m) => !m.loconOnly);
  const sampleNames = ['lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q', 'lora_unet_output_blocks_5_1_transformer_blocks_0_attn1_to_k', 'lora_te1_text_model_encoder_layers_0_self_attn_q_proj'];
  const sample = sampleNames.map((n) => modules.find((m) => m.kohya === n) as LayoutModule);
  const cost = (m: LayoutModule) => m.outFeatures * m.inFeatures * Math.min(m.outFeatures, m.inFeatures);
  const rnd = seededRandom(3);
  let unit = 0;
  let factoredMs = 0;
  let denseMs = 0;
  const denseLoad = load();
  for (const m of sample) {
    const up = Float64Array.from({ length: m.outFeatures * 32 }, () => rnd.normal() * 0.02);
    const down = Float64Array.from({ length: 32 * m.inFeatures }, () => rnd.normal() / Math.sqrt(m.inFeatures));
    t = performance.now();
    factorSvd(up, down, m.outFeatures, m.inFeatures, 32).factors(16);
    factoredMs += performance.now() - t;
    const tall = m.outFeatures >= m.inFeatures;
    const rows = tall ? m.outFeatures : m.inFeatures;
    const cols = tall ? m.inFeatures : m.outFeatures;
    const w = new Float64Array(rows * cols);
    t = performance.now();
    for (let i = 0; i < m.outFeatures; i++) {
      for (let j = 0; j < m.inFeatures; j++) {
        let s = 0;
        for (let q = 0; q < 32; q++) s += (up[i * 32 + q] as number) * (down[q * m.inFeatures + j] as number);
        if (tall) w[j * rows + i] = s;
        else w[i * rows + j] = s;
      }
    }
    jacobiSvd(w, rows, cols);
    const ms = performance.now() - t;
    denseMs += ms;
    unit += ms / cost(m);
    console.log(`  dense SVD of ${m.kohya} (${m.outFeatures}x${m.inFeatures}): ${(ms / 1000).toFixed(1)} s (${load()})`);
  }
  unit /= sample.length;
  const denseAll = modules.reduce((s, m) => s + cost(m) * unit, 0);
  console.log(`dense-SVD baseline: ${(denseMs / 1000).toFixed(1)} s measured on ${sample.length} sampled modules (tack's factored SVD of the same modules: ${factoredMs.toFixed(0)} ms); ESTIMATE for all ${modules.length} modules, extrapolated by m·n·min(m,n): ${(denseAll / 3600000).toFixed(1)} h, vs tack's measured ${(resizeMs / 1000).toFixed(1)} s whole-file resize = ${(denseAll / resizeMs).toFixed(0)} x faster (target >= 20 x) (${denseLoad} -> ${load()})`);
}
console.log(`  for reference, MANIFEST.md: the engine's resize_lora.py (torch dense SVD, CPU) took 44 min 07 s for rank 32 -> 8 of such a file on the same kind of machine = ${((44 * 60 + 7) * 1000 / resizeMs).toFixed(0)} x tack's resize time`);

// Merge of the two files.
const concat = child(['merge', fileA, fileB, path.join(dir, 'merged.safetensors'), '-']);
console.log(`merge, exact (ranks concatenated to 64, output ${mb(statSync(path.join(dir, 'merged.safetensors')).size)} MB): ${describe(concat, size)}`);
const svd = child(['merge', fileA, fileB, path.join(dir, 'merged-r32.safetensors'), '32']);
console.log(`merge, SVD to rank 32: ${describe(svd, size)}`);
if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
