/**
 * Remote training transfers, on a real OpenSSH server on loopback (test/helpers/sshd.ts):
 *
 *   1. Sync of a 40-photo prepared dataset (40 training JPEGs of 1024x1536 and their captions)
 *      the first time, against a plain `rsync -a` of the same folder over ssh (its own fresh
 *      connection, as a user would type it). tack's time includes opening the shared connection,
 *      hashing the files here (no cache) and asking the remote for its hashes; tack's helper is
 *      already on the remote (tack remote add put it there). Target: within 2x of rsync.
 *   2. The same sync when nothing changed (the shared connection is up). Target: < 1 s.
 *   3. How long after the remote finished writing a checkpoint it is complete at home: a
 *      stand-in trainer launched through tack's helper writes a 25 MB checkpoint every 3 s and
 *      logs the moment each write ended; tack follows the run and notes when each file landed.
 *      Target: < 2 s.
 *
 * Note: on this machine every ssh command pays for the remote login shell's start-up
 * (~0.3 s with pyenv in ~/.bashrc), for rsync and tack alike.
 *
 * Run: node --import tsx bench/remote.ts [repetitions, default 3]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { RemoteSession, RemoteTransport, syncToRemote, type RemoteEntry, type SyncEntry } from '../src/remote/index.js';
import { startSshd } from '../test/helpers/sshd.js';

const reps = Number(process.argv[2] ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function makeDataset(dir: string, n: number): Promise<SyncEntry[]> {
  const folder = path.join(dir, 'dataset', 'img', '8_xanrms woman');
  await mkdir(folder, { recursive: true });
  const entries: SyncEntry[] = [];
  for (let i = 0; i < n; i++) {
    const noise = Buffer.alloc(256 * 384 * 3);
    let s = i * 7919 + 1;
    for (let j = 0; j < noise.length; j++) {
      s = (Math.imul(s, 1103515245) + 12345) | 0;
      noise[j] = 64 + ((s >>> 16) % 128);
    }
    const jpeg = await sharp(noise, { raw: { width: 256, height: 384, channels: 3 } }).resize(1024, 1536, { kernel: 'cubic' }).blur(1).jpeg({ quality: 92 }).toBuffer();
    const name = `photo-${String(i).padStart(4, '0')}`;
    await writeFile(path.join(folder, `${name}.jpg`), jpeg);
    await writeFile(path.join(folder, `${name}.txt`), `xanrms woman, 1girl, solo, looking at viewer, photo ${i}`);
    for (const ext of ['.jpg', '.txt']) entries.push({ rel: `dataset/img/8_xanrms woman/${name}${ext}`, file: path.join(folder, `${name}${ext}`) });
  }
  return entries;
}

const STAND_IN = `
import os, sys, time
out = os.path.join(os.getcwd(), "output")
os.makedirs(out, exist_ok=True)
blob = os.urandom(25 * 1024 * 1024)
for i in range(1, int(sys.argv[1]) + 1):
    time.sleep(3)
    path = os.path.join(out, "bench-%06d.safetensors" % i)
    with open(path, "wb") as f:
        f.write(blob)
    print("wrote %s %.3f" % (os.path.basename(path), time.time()), flush=True)
time.sleep(1)
`;

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'tack-bench-remote-'));
  const sshd = await startSshd(root, 'bench');
  const env = { ...process.env, ...sshd.env(), TACK_CONFIG_DIR: path.join(root, 'config'), TACK_DATA_DIR: path.join(root, 'data') };
  try {
    const local = path.join(root, 'project');
    const files = await makeDataset(local, 40);
    const bytes = (await Promise.all(files.map((f) => stat(f.file)))).reduce((a, s) => a + s.size, 0);
    console.log(`dataset: ${files.length / 2} photos + captions, ${(bytes / 1048576).toFixed(1)} MB`);
    const remoteRoot = path.join(sshd.dir, 'root');
    const [user, hostPort] = sshd.target.split('@') as [string, string];
    const entry: RemoteEntry = { name: 'bench', host: '127.0.0.1', user, port: Number(hostPort.split(':')[1]), dir: remoteRoot, addedAt: new Date().toISOString() };
    const session = new RemoteSession(entry, env);
    await session.info();
    const plainSsh = `ssh -F ${sshd.sshConfig} -o BatchMode=yes -p ${entry.port} -l ${user}`;

    const rsyncTimes: number[] = [];
    const tackFirst: number[] = [];
    const tackAgain: number[] = [];
    for (let r = 0; r < reps; r++) {
      const dest = path.join(remoteRoot, `rsync-${r}`);
      const t0 = performance.now();
      const res = spawnSync('rsync', ['-a', '-e', plainSsh, `${path.join(local, 'dataset')}/`, `127.0.0.1:${dest}/`], { env, encoding: 'utf8' });
      rsyncTimes.push(performance.now() - t0);
      if (res.status !== 0) throw new Error(`rsync failed: ${res.stderr}`);

      await session.disconnect();
      await rm(path.join(local, 'hash-cache.json'), { force: true });
      const target = path.join(remoteRoot, 'projects', `bench-${r}`);
      const t1 = performance.now();
      await session.connect();
      const first = await syncToRemote(session, { localRoot: local, remoteRoot: target, files, mirror: ['dataset/img'], method: 'rsync', cacheFile: path.join(local, 'hash-cache.json') });
      tackFirst.push(performance.now() - t1);
      if (first.sent !== files.length) throw new Error(`sent ${first.sent} of ${files.length}`);
      const t2 = performance.now();
      const again = await syncToRemote(session, { localRoot: local, remoteRoot: target, files, mirror: ['dataset/img'], method: 'rsync', cacheFile: path.join(local, 'hash-cache.json') });
      tackAgain.push(performance.now() - t2);
      if (again.sent !== 0) throw new Error(`the unchanged sync sent ${again.sent}`);
    }
    const base = median(rsyncTimes);
    const first = median(tackFirst);
    console.log(`plain rsync -a (own connection):   median ${base.toFixed(0)} ms  [${rsyncTimes.map((t) => t.toFixed(0)).join(', ')}]`);
    console.log(`tack sync, first time:              median ${first.toFixed(0)} ms  [${tackFirst.map((t) => t.toFixed(0)).join(', ')}]  ratio ${(first / base).toFixed(2)}x (target <= 2x)`);
    console.log(`tack sync, nothing changed:         median ${median(tackAgain).toFixed(0)} ms  [${tackAgain.map((t) => t.toFixed(0)).join(', ')}]  (target < 1000 ms)`);

    // Checkpoint latency: a stand-in trainer there, followed here.
    const count = 5;
    const remoteRun = path.join(remoteRoot, 'projects', 'latency', 'runs', '1');
    const localRun = path.join(root, 'latency-run');
    await mkdir(localRun, { recursive: true });
    await session.makeDir(remoteRun);
    const landed = new Map<string, number>();
    const transport = new RemoteTransport(session, { remoteDir: remoteRun, localDir: localRun, method: 'rsync' });
    const started = await transport.start(
      { argv: ['python3', '-c', STAND_IN, String(count)], cwd: remoteRun, env: {} },
      {
        onChunk: () => undefined,
        onLines: () => undefined,
        onFiles: () => {
          const now = Date.now();
          for (let i = 1; i <= count; i++) {
            const name = `bench-${String(i).padStart(6, '0')}.safetensors`;
            if (!landed.has(name) && existsSync(path.join(localRun, 'output', name))) landed.set(name, now);
          }
        },
        onNotice: (m) => console.log(`  link: ${m}`),
      },
      { stallTimeoutMs: 600_000, stopGraceMs: 5000, attach: false },
    );
    await started.exited;
    const log = await readFile(path.join(remoteRun, 'log.txt'), 'utf8');
    const latencies: number[] = [];
    for (const m of log.matchAll(/^wrote (\S+) ([\d.]+)$/gm)) {
      const at = landed.get(m[1] as string);
      if (at !== undefined) latencies.push(at - Number(m[2]) * 1000);
    }
    if (latencies.length !== count) throw new Error(`only ${latencies.length} of ${count} checkpoints came home`);
    console.log(`checkpoint (25 MB) complete at home after it was written there: median ${median(latencies).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms  [${latencies.map((t) => t.toFixed(0)).join(', ')}]  (target < 2000 ms)`);
    console.log(`  pulled ${transport.stats.pulledFiles} files, ${(transport.stats.pulledBytes / 1048576).toFixed(0)} MB`);
    await session.disconnect();
  } finally {
    await sshd.stop();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
