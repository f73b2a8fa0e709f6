/**
 * What a remote run is doing while no tack follows it (`tack runs`): one helper call per remote
 * for all its runs; the step comes from the tail of the run's log there, read by the same
 * parser as every log.
 */
import { EngineLogParser } from '../engine/index.js';
import type { RunRecord } from '../run/index.js';
import { findRemote } from './registry.js';
import { RemoteSession } from './session.js';

export type RemoteRunState = 'running' | 'ended' | 'gone' | 'lost' | 'unreachable';

export interface RemoteRunStatus {
  readonly remote: string;
  readonly state: RemoteRunState;
  /** Newest step in the log there. */
  readonly step?: number;
  readonly totalSteps?: number;
  /** Why the remote could not be asked. */
  readonly error?: string;
}

interface StatusAnswer {
  readonly runs: Record<string, { exists: boolean; exit: unknown; supervisorAlive: boolean; tail?: string }>;
}

function lastProgress(tailB64: string | undefined): { step?: number; totalSteps?: number } {
  if (!tailB64) return {};
  let found: { step?: number; totalSteps?: number } = {};
  const parser = new EngineLogParser((event) => {
    if (event.kind === 'progress') found = { step: event.step, totalSteps: event.totalSteps };
  });
  parser.push(Buffer.from(tailB64, 'base64').toString('utf8'));
  parser.end();
  return found;
}

/** The state of each remote run whose results are not all home (run.json still says running), by run id. */
export async function readRemoteRunStatus(records: readonly RunRecord[], env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<Map<string, RemoteRunStatus>> {
  const out = new Map<string, RemoteRunStatus>();
  const byRemote = new Map<string, RunRecord[]>();
  for (const r of records) {
    if (!r.meta.remote || r.meta.status !== 'running') continue;
    byRemote.set(r.meta.remote.name, [...(byRemote.get(r.meta.remote.name) ?? []), r]);
  }
  await Promise.all(
    [...byRemote.entries()].map(async ([name, runs]) => {
      try {
        const session = new RemoteSession(await findRemote(env, name), env);
        const answer = await session.helperJson<StatusAnswer>(['status'], { runs: runs.map((r) => r.meta.remote?.runDir) }, { timeoutMs: 60_000, doing: 'asking about runs', ...(signal ? { signal } : {}) });
        for (const r of runs) {
          const a = answer.runs[r.meta.remote?.runDir as string];
          const state: RemoteRunState = !a?.exists ? 'gone' : a.exit ? 'ended' : a.supervisorAlive ? 'running' : 'lost';
          const progress = lastProgress(a?.tail);
          // A resumed attempt's bar counts from 0; the attempt recorded where it started.
          const offset = r.meta.attempts.at(-1)?.stepOffset ?? 0;
          out.set(r.id, { remote: name, state, ...(progress.step !== undefined ? { step: progress.step + offset, totalSteps: r.meta.plan.totalSteps } : {}) });
        }
      } catch (error) {
        for (const r of runs) out.set(r.id, { remote: name, state: 'unreachable', error: error instanceof Error ? error.message : String(error) });
      }
    }),
  );
  return out;
}
