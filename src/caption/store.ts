/**
 * What tack keeps about captions under .tack/captions/ (safe to delete; captions/ itself is
 * the user's):
 *   state.json           per photo: who wrote its caption file (tack or the user) and from what
 *   raw/<stem>.json      the models' raw output per photo, so rules and thresholds can be
 *                        re-applied without running a model again
 *   history/<id>.json    every change to caption files (tack caption, tack tags), with the
 *                        previous text, for `tack tags undo`
 *   edits.json           the tag edits (remove/replace/add) re-applied to regenerated captions
 * Every file is written atomically; a run interrupted mid-way leaves consistent files.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { hashBytes, readJson, writeFileAtomic, writeJsonAtomic } from '../core/index.js';
import type { ProjectPaths } from '../project/index.js';

export interface CaptionStorePaths {
  readonly dir: string;
  readonly stateFile: string;
  readonly rawDir: string;
  readonly historyDir: string;
  readonly editsFile: string;
}

export function captionStorePaths(paths: ProjectPaths): CaptionStorePaths {
  const dir = path.join(paths.stateDir, 'captions');
  return { dir, stateFile: path.join(dir, 'state.json'), rawDir: path.join(dir, 'raw'), historyDir: path.join(dir, 'history'), editsFile: path.join(dir, 'edits.json') };
}

export type CaptionOrigin = 'wd14' | 'sentence' | 'default';

/** How tack wrote a photo's caption file. A file whose hash differs was edited by hand. */
export interface PhotoCaptionState {
  readonly photo: string;
  readonly photoSha256: string;
  readonly origin: CaptionOrigin;
  /** The model output the caption came from (raw/<stem>.json key), absent for defaults. */
  readonly modelKey?: string;
  /** Hash of the settings and rules the caption was derived with. */
  readonly settingsKey: string;
  /** sha256 of the caption file's bytes as tack wrote them. */
  readonly writtenSha256: string;
  /**
   * The hash of tack's previous text of the file. State is saved before the file is written,
   * so after a crash in between the file still holds this text and is still tack's.
   */
  readonly previousSha256?: string;
  readonly writtenAt: string;
}

interface StateFile {
  readonly version: 1;
  readonly photos: Record<string, PhotoCaptionState>;
}

export async function readCaptionState(store: CaptionStorePaths): Promise<Map<string, PhotoCaptionState>> {
  const file = await readJson<StateFile>(store.stateFile, { version: 1, photos: {} });
  return new Map(Object.entries(file.photos ?? {}));
}

export async function writeCaptionState(store: CaptionStorePaths, state: ReadonlyMap<string, PhotoCaptionState>): Promise<void> {
  const photos = Object.fromEntries([...state.entries()].sort(([a], [b]) => a.localeCompare(b)));
  await writeJsonAtomic(store.stateFile, { version: 1, photos } satisfies StateFile);
}

/** One label score kept from a tagger run: [row index, CSV name, category, score]. */
export type RawTagScore = readonly [number, string, number, number];

export interface RawTaggerOutput {
  readonly kind: 'wd14';
  readonly source: string;
  readonly commit?: string;
  /** Labels below this score are not kept (thresholds below it cannot be re-applied). */
  readonly floor: number;
  readonly scores: readonly RawTagScore[];
  readonly createdAt: string;
}

export interface RawSentenceOutput {
  readonly kind: 'sentence';
  readonly backend: 'local' | 'endpoint';
  readonly model: string;
  readonly promptSha256: string;
  readonly text: string;
  readonly createdAt: string;
}

export type RawOutput = RawTaggerOutput | RawSentenceOutput;

interface RawFile {
  readonly version: 1;
  readonly photo: string;
  readonly photoSha256: string;
  readonly outputs: Record<string, RawOutput>;
}

function rawFileFor(store: CaptionStorePaths, stem: string): string {
  return path.join(store.rawDir, `${stem}.json`);
}

/** The kept output of `modelKey` for a photo, if it was made from the same photo bytes. */
export async function readRawOutput(store: CaptionStorePaths, stem: string, photoSha256: string, modelKey: string): Promise<RawOutput | undefined> {
  const raw = await readJson<RawFile | null>(rawFileFor(store, stem), null).catch(() => null);
  if (!raw || raw.photoSha256 !== photoSha256) return undefined;
  return raw.outputs?.[modelKey];
}

export async function writeRawOutput(store: CaptionStorePaths, stem: string, photo: { file: string; sha256: string }, modelKey: string, output: RawOutput): Promise<void> {
  const file = rawFileFor(store, stem);
  const existing = await readJson<RawFile | null>(file, null).catch(() => null);
  const outputs = existing && existing.photoSha256 === photo.sha256 ? { ...existing.outputs } : {};
  outputs[modelKey] = output;
  await writeJsonAtomic(file, { version: 1, photo: photo.file, photoSha256: photo.sha256, outputs } satisfies RawFile);
}

// ---- history ----

export interface CaptionChange {
  readonly stem: string;
  /** The caption file, relative to the project. */
  readonly caption: string;
  /** Text before the change; null when the file did not exist. */
  readonly before: string | null;
  readonly after: string;
  readonly stateBefore?: PhotoCaptionState;
}

export interface HistoryEntry {
  readonly version: 1;
  readonly id: string;
  readonly at: string;
  /** The command as typed, e.g. "tack tags remove solo". */
  readonly command: string;
  readonly summary: string;
  readonly changes: readonly CaptionChange[];
  /** For tag edits: the edit, so it is also dropped from edits.json on undo. */
  readonly editId?: string;
  readonly undone?: boolean;
}

/** A sortable id: time plus a counter, unique within a process. */
let idCounter = 0;
export function newHistoryId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:.]/g, '').replace('T', '-').replace('Z', '')}-${String(idCounter++ % 1000).padStart(3, '0')}`;
}

export async function writeHistoryEntry(store: CaptionStorePaths, entry: HistoryEntry): Promise<void> {
  await writeJsonAtomic(path.join(store.historyDir, `${entry.id}.json`), entry);
}

/** History entries, newest first. */
export async function readHistory(store: CaptionStorePaths): Promise<HistoryEntry[]> {
  const names = await fsp.readdir(store.historyDir).catch(() => [] as string[]);
  const entries: HistoryEntry[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort().reverse()) {
    const entry = await readJson<HistoryEntry | null>(path.join(store.historyDir, name), null).catch(() => null);
    if (entry && Array.isArray(entry.changes)) entries.push(entry);
  }
  return entries;
}

// ---- tag edits replayed on regenerated captions ----

export type TagEdit =
  | { readonly id: string; readonly op: 'remove'; readonly tags: readonly string[]; readonly where?: string }
  | { readonly id: string; readonly op: 'replace'; readonly pairs: readonly (readonly [string, string])[]; readonly where?: string }
  | { readonly id: string; readonly op: 'add'; readonly tags: readonly string[]; readonly where?: string };

export async function readTagEdits(store: CaptionStorePaths): Promise<TagEdit[]> {
  const file = await readJson<{ edits?: TagEdit[] }>(store.editsFile, { edits: [] });
  return Array.isArray(file.edits) ? file.edits : [];
}

export async function writeTagEdits(store: CaptionStorePaths, edits: readonly TagEdit[]): Promise<void> {
  await writeJsonAtomic(store.editsFile, { version: 1, edits });
}

// ---- caption files ----

/** The caption file's bytes, or undefined when it does not exist. */
export async function readCaptionBytes(file: string): Promise<Buffer | undefined> {
  try {
    return await fsp.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function writeCaptionFile(file: string, text: string): Promise<string> {
  const bytes = Buffer.from(text, 'utf8');
  await writeFileAtomic(file, bytes);
  return hashBytes(bytes);
}

export function captionSha(bytes: Uint8Array): string {
  return hashBytes(bytes);
}
