/**
 * The job store's tables, versioned with SQLite's user_version: migration n brings a database
 * from version n to n + 1, inside one IMMEDIATE transaction, so two processes opening a new
 * store at once cannot both apply it. A store from a newer tack is refused, not rewritten.
 */
import type { SqliteDatabase } from '../io/index.js';
import { jobErrors } from './errors.js';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     kind TEXT NOT NULL,
     project TEXT,
     machine TEXT NOT NULL DEFAULT 'local',
     resource TEXT NOT NULL CHECK (resource IN ('gpu', 'cpu')),
     inputs TEXT NOT NULL DEFAULT '{}',
     title TEXT NOT NULL DEFAULT '',
     origin TEXT NOT NULL DEFAULT 'cli',
     state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
     created_at TEXT NOT NULL,
     started_at TEXT,
     ended_at TEXT,
     updated_at TEXT NOT NULL,
     progress TEXT,
     result TEXT,
     error TEXT,
     run_id TEXT,
     worker TEXT,
     cancel_requested_at TEXT
   );
   CREATE INDEX jobs_by_state ON jobs (state, machine, resource);
   CREATE INDEX jobs_by_project ON jobs (project, id);
   CREATE TABLE job_events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
     at TEXT NOT NULL,
     type TEXT NOT NULL,
     data TEXT NOT NULL DEFAULT '{}'
   );
   CREATE INDEX job_events_by_job ON job_events (job_id, seq);`,
];

/** The schema version this tack writes. */
export const JOB_STORE_VERSION = MIGRATIONS.length;

export function migrateJobStore(db: SqliteDatabase, file: string): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  const tooNew = (v: number) =>
    jobErrors.create('JOBS_STORE_UNAVAILABLE', `The job store ${file} has version ${v}, newer than this tack understands (${JOB_STORE_VERSION}).`, 'Update tack, or point TACK_DATA_DIR at another folder.', { details: { file, version: v } });
  if (version() > JOB_STORE_VERSION) throw tooNew(version());
  if (version() === JOB_STORE_VERSION) return;
  db.transaction(() => {
    const current = version();
    if (current > JOB_STORE_VERSION) throw tooNew(current);
    for (let v = current; v < JOB_STORE_VERSION; v++) db.exec(MIGRATIONS[v] as string);
    db.pragma(`user_version = ${JOB_STORE_VERSION}`);
  }).immediate();
}
