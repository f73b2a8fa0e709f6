/**
 * Supervision overhead: how much CPU tack's supervisor (log file, parser, metrics.jsonl, output
 * watcher, heartbeat, live progress line) takes while the trainer runs.
 *
 * The trainer is played by a child process that replays the genuine engine log from the shared
 * fixtures (run.log: rich log records, tqdm carriage-return updates, sampling bars) with the
 * step pace of a real GPU run, looping it for the measured time. Real rate: 1.2 s per step, as
 * kohya_ss users report for SDXL LoRA on an RTX 4090 (peers.md, kohya_ss #1288; the recipe's
 * GPU), i.e. two tqdm updates per 1.2 s. The target is under 1 % of one core at that rate; it is
 * measured at 10x and at 1x the real rate, plus the parser and display alone at full speed.
 *
 * Run: node --import tsx bench/supervision.ts [seconds per measurement, default 20]
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrainDisplay } from '../src/cli/commands/train-display.js';
import { sdScriptsEngine, EngineLogParser, type TrainSettings } from '../src/engine/index.js';
import { runPaths, superviseRun, type RunMeta } from '../src/run/index.js';
import { projectPaths } from '../src/project/index.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const LOG = path.resolve(HERE, '..', 'test', 'fixtures', 'sd-scripts', 'run.log');
const REAL_SECONDS_PER_STEP = 1.2;
const seconds = Number(process.argv[2] ?? 20);

/** The replayer: writes the log unit by unit, sleeping between tqdm updates of new steps. */
const REPLAYER = `
const fs = require('fs');
const [log, stepMs, durationMs] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const text = fs.readFileSync(log, 'utf8');
const units = text.match(/[^\\r\\n]*[\\r\\n]|[^\\r\\n]+$/g);
const start = Date.now();
let lastStep = -1, index = 0, due = start;
function next() {
  while (Date.now() - start < durationMs) {
    const unit = units[index];
    index = (index + 1) % units.length;
    const m = /^steps:.*?\\| *(\\d+)\\//.exec(unit);
    process.stderr.write(unit);
    if (m && Number(m[1]) !== lastStep) {
      lastStep = Number(m[1]);
      due += stepMs;
      return setTimeout(next, Math.max(0, due - Date.now()));
    }
  }
  process.exit(0);
}
next();
`;

function nullTty(): { write(text: string): void; isTTY: boolean; columns: number; bytes: number } {
  const out = { bytes: 0, isTTY: true, columns: 120, write(text: string) { out.bytes += text.length; } };
  return out;
}

async function measureSupervised(rateFactor: number, durationMs: number): Promise<{ cpuShare: number; lines: number; linesPerSec: number; draws: number; events: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tack-bench-sup-'));
  try {
    const paths = projectPaths(dir);
    const run = runPaths(paths, '20260101-000000');
    const replayer = path.join(dir, 'replay.cjs');
    await writeFile(replayer, REPLAYER);
    const meta: RunMeta = {
      version: 1, id: '20260101-000000', project: 'bench', createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), status: 'prepared', outputName: 'test_lora',
      preset: { name: 'pony-realism', gpuProfile: '24gb', settings: {} as TrainSettings },
      plan: { images: 6, repeats: 1, epochs: 2, batchSize: 1, gradientAccumulationSteps: 1, numProcesses: 1, totalSteps: 12, stepsPerEpoch: 6, batchesPerEpoch: 6, recipeSteps: 12 },
      engine: { name: 'sd-scripts' }, baseModel: '', attempts: [],
    };
    const display = nullTty();
    const view = new TrainDisplay(display);
    let events = 0;
    const stepMs = (REAL_SECONDS_PER_STEP * 1000) / rateFactor;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await superviseRun({
      engine: sdScriptsEngine,
      command: { argv: [process.execPath, replayer, LOG, String(stepMs), String(durationMs)], cwd: dir, env: {} },
      run,
      meta,
      stallTimeoutMs: 60_000,
      stopGraceMs: 1000,
      projectArg: 'bench',
      onEvent: (e) => {
        events++;
        view.handle(e);
      },
    });
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    const log = await readFile(run.logFile, 'utf8');
    const lines = log.split(/\r\n|\r|\n/).length;
    return { cpuShare: (cpu.user + cpu.system) / 1000 / wallMs, lines, linesPerSec: lines / (wallMs / 1000), draws: view.draws, events };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function measureParser(text: string, repeats: number): { linesPerSec: number; mbPerSec: number; lines: number } {
  const display = new TrainDisplay(nullTty(), { intervalMs: 100 });
  let lines = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < repeats; i++) {
    const parser = new EngineLogParser((e) => {
      if (e.kind === 'progress') display.handle({ kind: 'progress', progress: { step: e.step, totalSteps: e.totalSteps, epoch: 1, totalEpochs: 2, loss: e.loss, itPerSec: e.itPerSec, phase: 'training' }, etaSec: e.remainingSec });
    });
    for (let at = 0; at < text.length; at += 4096) parser.push(text.slice(at, at + 4096));
    parser.end();
    lines += parser.stats.lines;
  }
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  return { linesPerSec: lines / sec, mbPerSec: (text.length * repeats) / 1e6 / sec, lines };
}

/** The same Node process doing nothing for the same time: its CPU share is the floor. */
async function measureIdle(durationMs: number): Promise<number> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, durationMs));
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000 / (Number(process.hrtime.bigint() - t0) / 1e6);
}

const text = await readFile(LOG, 'utf8');
console.log(`Supervision benchmark: genuine engine log ${path.basename(LOG)} (${text.length} chars), real rate ${REAL_SECONDS_PER_STEP} s/step (RTX 4090, SDXL LoRA), ${seconds} s per measurement, ${os.cpus().length} CPU(s)`);
const parse = measureParser(text, 400);
console.log(`parser + progress display alone: ${Math.round(parse.linesPerSec).toLocaleString('en')} lines/s (${parse.mbPerSec.toFixed(1)} MB/s of log)`);
const idle = (await measureIdle(seconds * 1000)) * 100;
console.log(`baseline: an idle Node process uses ${idle.toFixed(2)} % of one core`);
for (const factor of [10, 1]) {
  const r = await measureSupervised(factor, seconds * 1000);
  const pct = r.cpuShare * 100;
  const verdict = factor === 1 ? ` (target < 1 % of one core at the real rate: ${(pct / 1).toFixed(2)}x the target)` : ' (the target applies at 1x)';
  console.log(`${String(factor).padStart(2)}x real rate: ${r.linesPerSec.toFixed(1)} log lines/s through the supervisor, ${r.events} events, ${r.draws} redraws; supervisor CPU ${pct.toFixed(2)} % of one core, ${(pct - idle).toFixed(2)} % above the idle baseline${verdict}`);
}
