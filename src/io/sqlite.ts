/**
 * SQLite through better-sqlite3 (a native module, so it is opened here and nowhere else). The
 * database is shared by several processes at once (the studio, job workers, CLI commands), so
 * it always runs in WAL mode (readers never block the writer) with a busy timeout: a writer
 * that finds the database locked waits and retries instead of failing with "database is
 * locked" (the failure that leaves other tools' jobs stuck).
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { coreErrors } from '../core/index.js';

// Loaded on first use: a command that never opens the database keeps working even when the
// native module could not be built on this machine.
const requireModule = createRequire(import.meta.url);

export type SqliteDatabase = Database.Database;
export type SqliteStatement = Database.Statement;

export interface OpenSqliteOptions {
  /** How long a writer waits for a lock before giving up (default 10 s). */
  readonly busyTimeoutMs?: number;
  readonly readonly?: boolean;
}

/**
 * Opens (creating if needed) the database file with WAL, a busy timeout and foreign keys.
 * Throws CORE_WRITE_FAILED naming the file when it cannot be opened or the native module is
 * missing (an install that skipped its build).
 */
export function openSqlite(file: string, options: OpenSqliteOptions = {}): SqliteDatabase {
  try {
    if (!options.readonly) mkdirSync(path.dirname(file), { recursive: true });
    const Sqlite = requireModule('better-sqlite3') as typeof Database;
    const db = new Sqlite(file, { readonly: options.readonly ?? false, timeout: options.busyTimeoutMs ?? 10_000 });
    if (!options.readonly) db.pragma('journal_mode = WAL');
    // NORMAL is safe with WAL (a power cut may lose the last commits, never corrupt the file).
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    return db;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw coreErrors.create('CORE_WRITE_FAILED', `Could not open the database ${file} (${reason}).`, 'Check that the folder is writable; if the message names better-sqlite3, reinstall tack (npm ci builds it).', {
      cause,
      details: { file },
    });
  }
}

/** True when `error` is SQLite saying another process holds the lock past the busy timeout. */
export function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT';
}
