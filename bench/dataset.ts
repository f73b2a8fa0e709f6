/**
 * Benchmark of the prepare half: `tack add` + `tack doctor` + `tack prepare` on N photos of
 * 4000x3000 (a tenth stored sideways with EXIF orientation 6), against a floor: plain sharp
 * decode + resize to 1024 of the same files at the same concurrency.
 *
 *   node --import tsx bench/dataset.ts [--n 200] [--concurrency 2]
 *
 * Prints images/s for each stage and the whole pipeline, the ratio to the floor (target >= 50 %),
 * the doctor rerun time with nothing changed (target < 1 s for 200 photos) and the peak RSS of
 * each measured process (target < 1 GB, not growing with N). Each phase runs in its own process
 * so generation and the floor do not inflate the pipeline's RSS. Photos are cached in bench/out/.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBenchPhotos } from './photos.js';
import sharp from 'sharp';
import { benchArg } from './args.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = benchArg;
const N = Number(arg('n', '200'));
const CONCURRENCY = Number(arg('concurrency', '2'));
const phase = arg('phase', 'main');
const photosDir = path.join(here, 'out', `photos-v2-${N}`);

async function generate(): Promise<void> {
  await makeBenchPhotos(photosDir, N, { onProgress: (done, total) => process.stderr.write(`  generated ${done}/${total}\n`) });
}

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

async function floorPhase(): Promise<Record<string, number>> {
  const { mapConcurrent } = await import('../src/core/index.js');
  const files = readdirSync(photosDir).map((f) => path.join(photosDir, f));
  sharp.concurrency(1);
  const t0 = performance.now();
  await mapConcurrent(files, CONCURRENCY, async (f) => {
    await sharp(f).resize({ width: 1024, height: 1024, fit: 'inside' }).raw().toBuffer();
  });
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, imagesPerSecond: files.length / seconds, peakRssMb: peakRssMb() };
}

async function pipelinePhase(): Promise<Record<string, number>> {
  const { configureImageThreads } = await import('../src/io/index.js');
  const { initProject, loadProject } = await import('../src/project/index.js');
  const { importPhotos } = await import('../src/dataset/index.js');
  const { prepareDataset, runDoctor } = await import('../src/pipeline/index.js');
  configureImageThreads(1);
  const dir = path.join(os.tmpdir(), `tack-bench-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  await initProject(dir, { token: 'xanrms', className: 'woman' });
  const project = await loadProject(dir);
  const t0 = performance.now();
  const added = await importPhotos(project.paths, [photosDir]);
  const t1 = performance.now();
  const report = await runDoctor(project);
  const t2 = performance.now();
  const prepared = await prepareDataset(project);
  const t3 = performance.now();
  const rerun = await runDoctor(project);
  const t4 = performance.now();
  const fresh = await loadProject(dir);
  const t5 = performance.now();
  await runDoctor(fresh);
  const t6 = performance.now();
  rmSync(dir, { recursive: true, force: true });
  if (added.added.length !== N || report.photos.length !== N || prepared.manifest.images.length !== N) throw new Error(`the pipeline did not process every photo: added ${added.added.length} (skipped ${added.skipped.length}, failed ${added.failed.length}: ${JSON.stringify(added.failed.slice(0, 3))}), checked ${report.photos.length}, prepared ${prepared.manifest.images.length} (excluded ${JSON.stringify(prepared.excluded.slice(0, 3))})`);
  return {
    addSeconds: (t1 - t0) / 1000,
    doctorSeconds: (t2 - t1) / 1000,
    prepareSeconds: (t3 - t2) / 1000,
    pipelineSeconds: (t3 - t0) / 1000,
    imagesPerSecond: N / ((t3 - t0) / 1000),
    doctorRerunSeconds: (t4 - t3) / 1000,
    doctorRerunWithProjectLoadSeconds: (t6 - t4) / 1000,
    converted: prepared.manifest.images.filter((i) => i.transform === 'converted').length,
    rerunVerdictSame: rerun.verdict === report.verdict ? 1 : 0,
    peakRssMb: peakRssMb(),
  };
}

function runPhase(name: string): Record<string, number> {
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--phase', name, '--n', String(N), '--concurrency', String(CONCURRENCY)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Error(`phase ${name} failed (${child.status})`);
  return JSON.parse(child.stdout.trim().split('\n').pop() as string) as Record<string, number>;
}

if (phase === 'floor') {
  console.log(JSON.stringify(await floorPhase()));
} else if (phase === 'pipeline') {
  console.log(JSON.stringify(await pipelinePhase()));
} else {
  console.error(`bench/dataset: N=${N} photos of 4000x3000 (every tenth EXIF-rotated), concurrency ${CONCURRENCY}, ${os.cpus().length} cores`);
  await generate();
  // The floor is measured before and after the pipeline and averaged, so load from other
  // processes during the run weighs on both sides alike.
  const floorBefore = runPhase('floor');
  const pipeline = runPhase('pipeline');
  const floorAfter = runPhase('floor');
  const floor = {
    imagesPerSecond: (floorBefore.imagesPerSecond! + floorAfter.imagesPerSecond!) / 2,
    seconds: (floorBefore.seconds! + floorAfter.seconds!) / 2,
    peakRssMb: Math.max(floorBefore.peakRssMb!, floorAfter.peakRssMb!),
  };
  const f = (x: number, d = 2) => x.toFixed(d);
  console.log(`load average at the end:                 ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`floor (sharp decode + resize to 1024):   ${f(floor.imagesPerSecond)} images/s   (before ${f(floorBefore.imagesPerSecond!)}, after ${f(floorAfter.imagesPerSecond!)}; peak RSS ${f(floor.peakRssMb, 0)} MB)`);
  console.log(`tack add:                                ${f(N / pipeline.addSeconds!)} images/s   (${f(pipeline.addSeconds!)} s)`);
  console.log(`tack doctor (first run):                 ${f(N / pipeline.doctorSeconds!)} images/s   (${f(pipeline.doctorSeconds!)} s)`);
  console.log(`tack prepare (${pipeline.converted} re-encoded):            ${f(N / pipeline.prepareSeconds!)} images/s   (${f(pipeline.prepareSeconds!)} s)`);
  console.log(`add + doctor + prepare:                  ${f(pipeline.imagesPerSecond!)} images/s   (${f(pipeline.pipelineSeconds!)} s)`);
  console.log(`ratio to the floor:                      ${f((100 * pipeline.imagesPerSecond!) / floor.imagesPerSecond, 1)} %   (target >= 50 %)`);
  console.log(`doctor rerun, nothing changed:           ${f(pipeline.doctorRerunSeconds!, 3)} s   (with a fresh project load: ${f(pipeline.doctorRerunWithProjectLoadSeconds!, 3)} s; target < 1 s)`);
  console.log(`pipeline peak RSS:                       ${f(pipeline.peakRssMb!, 0)} MB   (target < 1024 MB)`);
}
