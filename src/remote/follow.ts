/**
 * A run on a remote, followed from here: the transport that src/run's supervisor drives.
 *
 * The trainer runs there under tack's helper (`launch` starts it detached, so it outlives the
 * connection). Here, one `follow` stream over the shared ssh connection brings the log bytes
 * from where the local copy ends, announces every output file once it is finished, and beats
 * every 2 s; announced files are pulled home (rsync or tar) while the stream goes on. When the
 * stream breaks (a dropped connection, a silent link), tack reconnects with backoff and asks
 * again from the local state: the log offset is the local log's length and the files already
 * here with the same size and time are not announced again, so nothing is lost or pulled twice.
 * A stop asked while disconnected is sent after reconnecting; detaching just stops following.
 */
import type { ChildProcess } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { isTackError, sleep } from '../core/index.js';
import { NAN_LOSS_PATTERN, type LaunchCommand } from '../engine/index.js';
import { createLineReader, createLineSplitter, killGroup } from '../io/index.js';
import type { StartedTrainer, StopReason, TrainerExit, TrainerOutput, TrainerStartOptions, TrainerTransport } from '../run/index.js';
import { remoteErrors } from './errors.js';
import type { RemoteSession } from './session.js';
import { pullFiles } from './transfer.js';

export interface RemoteRunPlace {
  /** The run folder on the remote (absolute). */
  readonly remoteDir: string;
  /** The run folder here. */
  readonly localDir: string;
  readonly method: 'rsync' | 'tar';
}

export interface LinkStats {
  /** Files brought home (each counted once, when it landed whole). */
  pulledFiles: number;
  pulledBytes: number;
  /** Old optimizer-state files deleted here because the engine deleted them there. */
  removedFiles: number;
  reconnects: number;
}

export interface RemoteTransportOptions {
  /** Launch, then leave the run going without following it (tack train --detach). */
  readonly detachAfterLaunch?: boolean;
  /** Stop trying to reconnect after this long without the remote (the run goes on there). */
  readonly giveUpAfterMs?: number;
  /** No message for this long means the link is dead (the helper beats every 2 s). */
  readonly silenceMs?: number;
}

interface RemoteState {
  readonly supervisorPid: number;
  readonly trainerPid: number;
  readonly startedAt: string;
  readonly hostname: string;
}

type LaunchAnswer = (RemoteState & { readonly ok: true }) | { readonly error: string; readonly message?: string; readonly supervisorPid?: number };

type FollowMessage =
  | { k: 'hello'; state: RemoteState | null; logSize: number }
  | { k: 'log'; at: number; b64: string }
  | { k: 'files'; files: Array<{ p: string; s: number; m: number }> }
  | { k: 'removed'; paths: string[] }
  | { k: 'beat' }
  | { k: 'exit'; code: number | null; signal: string | null; stop: StopReason | 'remote-gone' | null; killedAfterGrace?: boolean; endedAt?: string; startedAt?: string; spawnError?: string }
  | { k: 'gone' }
  | { k: 'lost'; trainerAlive: boolean }
  | { k: 'log-shorter'; logSize: number; offset: number };

/** How many of the announced files ([size, mtime in s] there) are here whole: same size and time. */
async function countArrived(localDir: string, announced: ReadonlyMap<string, readonly [number, number]>): Promise<number> {
  const here = await localFiles(localDir);
  let n = 0;
  for (const [rel, [size, mtime]] of announced) {
    const have = here[rel];
    if (have && have[0] === size && have[1] === mtime) n++;
  }
  return n;
}

/** Files under the local run's output/ as [size, mtime in whole seconds], by POSIX relative path. */
async function localFiles(localDir: string): Promise<Record<string, [number, number]>> {
  const out: Record<string, [number, number]> = {};
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const stat = await fsp.stat(full).catch(() => undefined);
        if (stat) out[path.relative(localDir, full).split(path.sep).join('/')] = [stat.size, Math.floor(stat.mtimeMs / 1000)];
      }
    }
  };
  await walk(path.join(localDir, 'output'));
  return out;
}

export class RemoteTransport implements TrainerTransport {
  readonly where: string;
  readonly filesArriveWhole = true;
  readonly watchesStall = true;
  readonly writesLog = true;
  readonly onHangup = 'detach' as const;
  readonly stats: LinkStats = { pulledFiles: 0, pulledBytes: 0, removedFiles: 0, reconnects: 0 };

  constructor(
    private readonly session: RemoteSession,
    private readonly place: RemoteRunPlace,
    private readonly options: RemoteTransportOptions = {},
  ) {
    this.where = session.remote.name;
  }

  async start(command: LaunchCommand, output: TrainerOutput, options: TrainerStartOptions): Promise<StartedTrainer> {
    let state: RemoteState;
    if (options.attach) {
      const status = await this.session.helperJson<{ runs: Record<string, { exists: boolean; state: RemoteState | null }> }>(['status'], { runs: [this.place.remoteDir] }, { doing: 'looking at the run' });
      const run = status.runs[this.place.remoteDir];
      if (!run?.exists) {
        throw remoteErrors.create('REMOTE_RUN_GONE', `The run folder ${this.place.remoteDir} no longer exists on ${this.session.label}.`, 'The remote was replaced or the folder deleted; what was brought home before is kept. Start a new run with tack train --on.', { details: { dir: this.place.remoteDir } });
      }
      state = run.state ?? { supervisorPid: 0, trainerPid: 0, startedAt: new Date().toISOString(), hostname: this.session.remote.host };
    } else {
      const answer = await this.session.helperJson<LaunchAnswer>(
        ['launch', this.place.remoteDir],
        {
          argv: command.argv,
          cwd: command.cwd,
          env: { ...command.env, ...(this.session.remote.env ?? {}) },
          stallTimeoutSec: options.stallTimeoutMs / 1000,
          stopGraceSec: options.stopGraceMs / 1000,
          stopPatterns: [{ reason: 'nan-loss', pattern: NAN_LOSS_PATTERN }],
          ...(options.banner ? { banner: options.banner } : {}),
        },
        { doing: 'starting the run', accept: [3, 4] },
      );
      if ('error' in answer) {
        if (answer.error === 'already-running') {
          throw remoteErrors.create('REMOTE_RUN_BUSY', `A run is already going in ${this.place.remoteDir} on ${this.session.label} (supervisor pid ${answer.supervisorPid}).`, 'Follow it with tack attach <project>, or wait for it to end.', { details: { dir: this.place.remoteDir } });
        }
        throw remoteErrors.create('REMOTE_LAUNCH_FAILED', `Could not start the trainer on ${this.session.label}: ${answer.message ?? answer.error}`, `Run tack remote doctor ${this.session.remote.name}: it checks the Python and sd-scripts there.`, { details: { error: answer.error, argv: command.argv } });
      }
      state = answer;
    }
    const follower = new RunFollower(this.session, this.place, output, this.stats, this.options);
    if (this.options.detachAfterLaunch && !options.attach) follower.detach();
    else await follower.begin();
    return {
      pid: state.trainerPid,
      supervisor: { pid: state.supervisorPid, hostname: state.hostname },
      startedAt: state.startedAt,
      exited: follower.exited,
      stop: (reason) => follower.stop(reason),
      detach: () => follower.detach(),
      get killedAfterGrace() {
        return follower.killedAfterGrace;
      },
    };
  }
}

class RunFollower {
  readonly exited: Promise<TrainerExit>;
  killedAfterGrace = false;
  private resolveExit!: (exit: TrainerExit) => void;
  private delivered = 0;
  private child: ChildProcess | undefined;
  private detaching = false;
  private finished = false;
  private pendingStop: StopReason | undefined;
  private stopAsked = false;
  private readonly queue = new Map<string, [number, number]>();
  private pulling: Promise<void> | undefined;
  private pullFailed = false;
  private readonly quiet = new AbortController();
  private readonly lines: ReturnType<typeof createLineSplitter>;

  constructor(
    private readonly session: RemoteSession,
    private readonly place: RemoteRunPlace,
    private readonly output: TrainerOutput,
    private readonly stats: LinkStats,
    private readonly options: RemoteTransportOptions,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    this.lines = createLineSplitter(
      (text) => output.onLines(text),
      (text) => output.onPartial?.(text),
    );
  }

  async begin(): Promise<void> {
    this.delivered = await fsp.stat(path.join(this.place.localDir, 'log.txt')).then((s) => s.size, () => 0);
    void this.loop();
  }

  stop(reason: StopReason): void {
    this.stopAsked = true;
    this.pendingStop ??= reason;
    void this.sendStop();
  }

  detach(): void {
    // Once a stop was asked for, tack sees it through (and brings the results home).
    if (this.finished || this.stopAsked) return;
    this.detaching = true;
    this.quiet.abort();
    if (this.child) killGroup(this.child);
    if (!this.child && !this.pulling) this.finish({ code: null, signal: null, detached: true });
  }

  private finish(exit: TrainerExit): void {
    if (this.finished) return;
    this.finished = true;
    this.lines.end();
    this.resolveExit(exit);
  }

  private async sendStop(): Promise<void> {
    const reason = this.pendingStop;
    if (!reason || this.finished) return;
    try {
      await this.session.helperJson(['stop', this.place.remoteDir, reason], undefined, { timeoutMs: 30_000, doing: 'stopping the run' });
      if (this.pendingStop === reason) this.pendingStop = undefined;
    } catch {
      /* sent again after reconnecting */
    }
  }

  private async loop(): Promise<void> {
    const giveUpAfterMs = this.options.giveUpAfterMs ?? 10 * 60_000;
    let failingSince: number | undefined;
    let attempt = 0;
    while (!this.finished) {
      if (this.detaching) {
        await this.pulling;
        return this.finish({ code: null, signal: null, detached: true });
      }
      let final: TrainerExit | undefined;
      let problem: string | undefined;
      try {
        if (attempt > 0) await this.session.connect();
        if (this.pendingStop) await this.sendStop();
        if (attempt > 0) {
          this.stats.reconnects++;
          this.output.onNotice(`reconnected to ${this.session.remote.name}`);
        }
        final = await this.followOnce();
        if (final) {
          await this.drain();
          if (!this.pullFailed || this.detaching) return this.finish(final);
          problem = 'some files could not be brought home yet';
        } else problem = 'the connection dropped';
        failingSince = undefined;
      } catch (error) {
        problem = error instanceof Error ? error.message : String(error);
        // A refused key or a changed host key will not mend by waiting.
        if (isTackError(error) && ['REMOTE_AUTH_REFUSED', 'REMOTE_HOST_KEY_CHANGED', 'REMOTE_HOST_KEY_UNKNOWN', 'REMOTE_SSH_MISSING'].includes(error.code)) {
          this.output.onNotice(`stopped following: ${error.message}`);
          return this.finish({ code: null, signal: null, detached: true });
        }
      }
      if (this.detaching) continue;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > giveUpAfterMs) {
        this.output.onNotice(`${this.session.remote.name} has been unreachable for ${Math.round(giveUpAfterMs / 60_000)} min; the run may still be going there`);
        return this.finish({ code: null, signal: null, detached: true });
      }
      const waitMs = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
      attempt++;
      this.output.onNotice(`link to ${this.session.remote.name} lost (${problem}); reconnecting in ${(waitMs / 1000).toFixed(1)} s`);
      await sleep(waitMs, this.quiet.signal);
    }
  }

  /** One follow stream; resolves with the run's end, or undefined when the stream broke first. */
  private async followOnce(): Promise<TrainerExit | undefined> {
    // Files still landing from the last stream count as here, or they would be announced again.
    await this.drain();
    const known = await localFiles(this.place.localDir);
    this.queue.clear();
    this.pullFailed = false;
    const child = this.session.spawnHelper(['follow', this.place.remoteDir], 'pipe');
    this.child = child;
    let final: TrainerExit | undefined;
    let lastHeard = Date.now();
    let stderr = '';
    const silenceMs = this.options.silenceMs ?? 15_000;
    const watchdog = setInterval(() => {
      if (Date.now() - lastHeard > silenceMs) killGroup(child);
    }, 1000);
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(JSON.stringify({ offset: this.delivered, known }));
    const messages = createLineReader((line) => {
      if (!line) return;
      let msg: FollowMessage;
      try {
        msg = JSON.parse(line) as FollowMessage;
      } catch {
        return;
      }
      const end = this.handle(msg, known);
      if (end) final = end;
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      lastHeard = Date.now();
      messages.push(chunk);
    });
    if (this.detaching) killGroup(child);
    await new Promise<void>((resolve) => child.once('close', () => resolve()));
    clearInterval(watchdog);
    this.child = undefined;
    if (!final && /can't open file/.test(stderr)) await this.session.ensureHelper();
    return final;
  }

  private handle(msg: FollowMessage, known: Record<string, [number, number]>): TrainerExit | undefined {
    switch (msg.k) {
      case 'log': {
        let data = Buffer.from(msg.b64, 'base64');
        if (msg.at + data.length <= this.delivered) return undefined;
        if (msg.at < this.delivered) data = data.subarray(this.delivered - msg.at);
        this.delivered += data.length;
        this.output.onChunk(data);
        this.lines.push(data);
        return undefined;
      }
      case 'files':
        for (const f of msg.files) {
          const have = known[f.p];
          if (have && have[0] === f.s && have[1] === f.m) continue;
          this.queue.set(f.p, [f.s, f.m]);
        }
        this.pull();
        return undefined;
      case 'removed':
        void this.removeLocal(msg.paths);
        return undefined;
      case 'exit':
        this.killedAfterGrace = msg.killedAfterGrace === true;
        return {
          code: msg.code,
          signal: msg.signal,
          ...(msg.stop ? { stopReason: msg.stop } : {}),
          killedAfterGrace: this.killedAfterGrace,
          ...(msg.endedAt ? { endedAt: msg.endedAt } : {}),
          ...(msg.startedAt ? { startedAt: msg.startedAt } : {}),
        };
      case 'gone':
      case 'log-shorter':
        return { code: null, signal: null, stopReason: 'remote-gone' };
      case 'lost':
        return { code: null, signal: null, lost: { message: `The run on ${this.session.remote.name} ended without a record of how (its supervisor there vanished: the machine restarted, or it was killed)` } };
      default:
        return undefined;
    }
  }

  /** Old optimizer states the engine deleted there go here too, so the run folder matches a local run's. */
  private async removeLocal(rels: readonly string[]): Promise<void> {
    await this.pulling;
    for (const rel of rels) {
      if (!/^output\/[^/]+-state\//.test(rel)) continue;
      const file = path.join(this.place.localDir, ...rel.split('/'));
      if (await fsp.rm(file).then(() => true, () => false)) this.stats.removedFiles++;
      await fsp.rmdir(path.dirname(file)).catch(() => undefined);
    }
  }

  private pull(): void {
    if (this.pulling || !this.queue.size) return;
    this.pulling = (async () => {
      while (this.queue.size && !this.detaching) {
        const announced = new Map(this.queue);
        const batch = [...announced.keys()];
        this.queue.clear();
        try {
          const written = await pullFiles(this.session, this.place.method, this.place.remoteDir, this.place.localDir, batch, {
            signal: this.quiet.signal,
            onBytes: (n) => (this.stats.pulledBytes += n),
          });
          this.stats.pulledFiles += written.length;
          this.output.onFiles();
        } catch (error) {
          // A transfer cut by a dropped link may have put some files in place whole (rsync moves
          // each finished file in); the next follow stream will not announce those again, so they
          // are counted now.
          this.stats.pulledFiles += await countArrived(this.place.localDir, announced);
          if (this.detaching) return;
          // The next follow stream announces again whatever is still missing here.
          this.pullFailed = true;
          this.output.onNotice(`could not bring files home yet: ${error instanceof Error ? error.message : String(error)}`);
          if (this.child) killGroup(this.child);
          return;
        }
      }
    })().finally(() => {
      this.pulling = undefined;
      if (this.queue.size && !this.pullFailed && !this.detaching) this.pull();
    });
  }

  private async drain(): Promise<void> {
    while (this.pulling) await this.pulling;
  }
}
