/**
 * The job store: one SQLite file in tack's data folder, written by every process that runs or
 * watches jobs. Each method is one short statement or one IMMEDIATE transaction, so a writer
 * never holds the lock for long and the busy timeout (io/sqlite.ts) absorbs the rest.
 */
import { openSqlite, type SqliteDatabase } from '../io/index.js';
import { jobErrors } from './errors.js';
import { jobStoreFile } from './paths.js';
import { migrateJobStore } from './schema.js';
import { DEFAULT_RESOURCE, JOB_KINDS, LOCAL_MACHINE, type JobFinalEnd, type JobError, type JobEvent, type JobProgress, type JobRecord, type JobSpec, type JobStatus, type WorkerRecord } from './types.js';

interface JobRow {
  id: number;
  kind: string;
  project: string | null;
  machine: string;
  resource: 'gpu' | 'cpu';
  inputs: string;
  title: string;
  origin: string;
  state: JobStatus;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  updated_at: string;
  progress: string | null;
  result: string | null;
  error: string | null;
  run_id: string | null;
  worker: string | null;
  cancel_requested_at: string | null;
}

interface EventRow {
  seq: number;
  job_id: number;
  at: string;
  type: string;
  data: string;
}

function parse<T>(text: string | null): T | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

function fromRow(row: JobRow): JobRecord {
  return {
    id: row.id,
    kind: row.kind as JobRecord['kind'],
    project: row.project,
    machine: row.machine,
    resource: row.resource,
    inputs: parse<Record<string, unknown>>(row.inputs) ?? {},
    title: row.title,
    origin: row.origin,
    state: row.state,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    updatedAt: row.updated_at,
    progress: parse<JobProgress>(row.progress),
    result: parse<unknown>(row.result),
    error: parse<JobError>(row.error),
    runId: row.run_id,
    worker: parse<WorkerRecord>(row.worker),
    cancelRequestedAt: row.cancel_requested_at,
  };
}

const now = () => new Date().toISOString();

export interface JobListFilter {
  readonly project?: string;
  readonly kinds?: readonly string[];
  readonly states?: readonly JobStatus[];
  readonly machine?: string;
  /** Newest first, at most this many. */
  readonly limit?: number;
}

export interface OpenJobStoreOptions {
  /** The SQLite file (default: jobs.sqlite in tack's data folder). */
  readonly file?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export class JobStore {
  private constructor(
    readonly db: SqliteDatabase,
    readonly file: string,
  ) {}

  /** Opens (and creates or migrates) the store. Throws JOBS_STORE_UNAVAILABLE when it cannot. */
  static open(options: OpenJobStoreOptions = {}): JobStore {
    const file = options.file ?? jobStoreFile(options.env);
    let db: SqliteDatabase;
    try {
      db = openSqlite(file);
    } catch (cause) {
      throw jobErrors.create('JOBS_STORE_UNAVAILABLE', `The job store ${file} cannot be opened: ${(cause as Error).message}`, 'Check that tack\'s data folder is writable (TACK_DATA_DIR sets another one).', { cause, details: { file } });
    }
    try {
      migrateJobStore(db, file);
    } catch (error) {
      db.close();
      throw error;
    }
    return new JobStore(db, file);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `fn` in an IMMEDIATE transaction: it holds the write lock from the start, so reads inside it cannot go stale. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Adds a job (queued unless `initial` says it already runs in the calling process). */
  insert(spec: JobSpec, initial: { readonly state: 'queued' } | { readonly state: 'running'; readonly worker: WorkerRecord } = { state: 'queued' }): JobRecord {
    if (!(JOB_KINDS as readonly string[]).includes(spec.kind)) {
      throw jobErrors.create('JOBS_BAD_INPUT', `"${spec.kind}" is not a kind of job.`, `Kinds: ${JOB_KINDS.join(', ')}.`, { details: { kind: spec.kind } });
    }
    const at = now();
    const info = this.db
      .prepare(
        `INSERT INTO jobs (kind, project, machine, resource, inputs, title, origin, state, created_at, started_at, updated_at, worker)
         VALUES (@kind, @project, @machine, @resource, @inputs, @title, @origin, @state, @at, @startedAt, @at, @worker)`,
      )
      .run({
        kind: spec.kind,
        project: spec.project ?? null,
        machine: spec.machine ?? LOCAL_MACHINE,
        resource: spec.resource ?? DEFAULT_RESOURCE[spec.kind],
        inputs: JSON.stringify(spec.inputs ?? {}),
        title: spec.title ?? spec.kind,
        origin: spec.origin ?? 'cli',
        state: initial.state,
        at,
        startedAt: initial.state === 'running' ? at : null,
        worker: initial.state === 'running' ? JSON.stringify(initial.worker) : null,
      });
    const id = Number(info.lastInsertRowid);
    this.appendEvent(id, 'state', { state: initial.state });
    return this.require(id);
  }

  get(id: number): JobRecord | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  require(id: number): JobRecord {
    const job = this.get(id);
    if (!job) throw jobErrors.create('JOBS_NOT_FOUND', `There is no job ${id} in ${this.file}.`, 'List the jobs with: tack jobs', { details: { id } });
    return job;
  }

  list(filter: JobListFilter = {}): JobRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.project !== undefined) {
      where.push('project = ?');
      params.push(filter.project);
    }
    if (filter.machine !== undefined) {
      where.push('machine = ?');
      params.push(filter.machine);
    }
    if (filter.kinds?.length) {
      where.push(`kind IN (${filter.kinds.map(() => '?').join(', ')})`);
      params.push(...filter.kinds);
    }
    if (filter.states?.length) {
      where.push(`state IN (${filter.states.map(() => '?').join(', ')})`);
      params.push(...filter.states);
    }
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC ${filter.limit ? `LIMIT ${Math.floor(filter.limit)}` : ''}`;
    return (this.db.prepare(sql).all(...params) as JobRow[]).map(fromRow);
  }

  /** Queued -> running for the caller that wins the race; false when someone else took it. */
  claim(id: number, worker: WorkerRecord): boolean {
    const at = now();
    const changed = this.db.prepare(`UPDATE jobs SET state = 'running', started_at = ?, updated_at = ?, worker = ? WHERE id = ? AND state = 'queued'`).run(at, at, JSON.stringify(worker), id).changes;
    if (changed === 1) this.appendEvent(id, 'state', { state: 'running' });
    return changed === 1;
  }

  /** Records which process now runs the job (the worker replaces the dispatcher's placeholder). */
  setWorker(id: number, worker: WorkerRecord): void {
    this.db.prepare('UPDATE jobs SET worker = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(worker), now(), id);
  }

  /** Refreshes the worker's heartbeat; returns whether a stop was asked for. */
  heartbeat(id: number): { cancelRequested: boolean } {
    const at = now();
    this.db.prepare(`UPDATE jobs SET worker = json_set(worker, '$.heartbeatAt', ?), updated_at = ? WHERE id = ? AND worker IS NOT NULL`).run(at, at, id);
    const row = this.db.prepare('SELECT cancel_requested_at FROM jobs WHERE id = ?').get(id) as { cancel_requested_at: string | null } | undefined;
    return { cancelRequested: Boolean(row?.cancel_requested_at) };
  }

  setProgress(id: number, progress: JobProgress): void {
    this.db.prepare('UPDATE jobs SET progress = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(progress), now(), id);
    this.appendEvent(id, 'progress', progress as unknown as Record<string, unknown>);
  }

  setRunId(id: number, runId: string): void {
    this.db.prepare('UPDATE jobs SET run_id = ?, updated_at = ? WHERE id = ?').run(runId, now(), id);
    this.appendEvent(id, 'run', { runId });
  }

  /** Records the end of a running job. False when it had already ended (the first end wins). */
  finish(id: number, end: JobFinalEnd): boolean {
    return this.transaction(() => {
      const at = now();
      const error = 'error' in end && end.error ? JSON.stringify(end.error) : null;
      const result = 'result' in end && end.result !== undefined ? JSON.stringify(end.result) : null;
      const changed = this.db.prepare(`UPDATE jobs SET state = ?, ended_at = ?, updated_at = ?, result = ?, error = ? WHERE id = ? AND state IN ('running', 'queued')`).run(end.status, at, at, result, error, id).changes;
      if (changed !== 1) return false;
      this.pruneProgressEvents(id);
      this.appendEvent(id, 'state', { state: end.status, ...(error ? { error: JSON.parse(error) as unknown } : {}) });
      return true;
    });
  }

  /** Writes a status worked out from a dead worker (interrupted, or what the run folder says). */
  markEnded(id: number, status: JobStatus, reason: string, error?: JobError): boolean {
    return this.transaction(() => {
      const at = now();
      const changed = this.db.prepare(`UPDATE jobs SET state = ?, ended_at = COALESCE(ended_at, ?), updated_at = ?, error = COALESCE(?, error) WHERE id = ? AND state = 'running'`).run(status, at, at, error ? JSON.stringify(error) : null, id).changes;
      if (changed !== 1) return false;
      this.pruneProgressEvents(id);
      this.appendEvent(id, 'state', { state: status, reason });
      return true;
    });
  }

  /** A queued job is taken off the queue at once; a running one is asked to stop. */
  requestCancel(id: number): 'removed' | 'requested' | 'ended' {
    return this.transaction(() => {
      const job = this.require(id);
      const at = now();
      if (job.state === 'queued') {
        this.db.prepare(`UPDATE jobs SET state = 'cancelled', ended_at = ?, updated_at = ?, cancel_requested_at = ? WHERE id = ?`).run(at, at, at, id);
        this.appendEvent(id, 'state', { state: 'cancelled', reason: 'removed from the queue' });
        return 'removed';
      }
      if (job.state !== 'running') return 'ended';
      this.db.prepare('UPDATE jobs SET cancel_requested_at = COALESCE(cancel_requested_at, ?), updated_at = ? WHERE id = ?').run(at, at, id);
      this.appendEvent(id, 'cancel-requested', {});
      return 'requested';
    });
  }

  appendEvent(jobId: number, type: string, data: Readonly<Record<string, unknown>>): number {
    const info = this.db.prepare('INSERT INTO job_events (job_id, at, type, data) VALUES (?, ?, ?, ?)').run(jobId, now(), type, JSON.stringify(data));
    return Number(info.lastInsertRowid);
  }

  /** Events after `seq`, oldest first. */
  eventsSince(seq: number, options: { readonly jobId?: number; readonly limit?: number } = {}): JobEvent[] {
    const limit = Math.floor(options.limit ?? 1000);
    const rows = (
      options.jobId === undefined
        ? this.db.prepare('SELECT * FROM job_events WHERE seq > ? ORDER BY seq LIMIT ?').all(seq, limit)
        : this.db.prepare('SELECT * FROM job_events WHERE seq > ? AND job_id = ? ORDER BY seq LIMIT ?').all(seq, options.jobId, limit)
    ) as EventRow[];
    return rows.map((r) => ({ seq: r.seq, jobId: r.job_id, at: r.at, type: r.type, data: parse<Record<string, unknown>>(r.data) ?? {} }));
  }

  lastEventSeq(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM job_events').get() as { seq: number }).seq;
  }

  /** A finished job keeps its last progress event only: the history lives in its result and the run folder. */
  private pruneProgressEvents(id: number): void {
    this.db.prepare(`DELETE FROM job_events WHERE job_id = ? AND type = 'progress' AND seq < (SELECT COALESCE(MAX(seq), 0) FROM job_events WHERE job_id = ? AND type = 'progress')`).run(id, id);
  }
}
