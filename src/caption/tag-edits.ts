/**
 * `tack tags`: the tag table of a project's captions, edits across them (remove, replace,
 * add, with a filter), undo of the last caption change, and suggestions. Every edit is
 * recorded in the history with the previous text of each file it changed, and in edits.json so
 * captions tack regenerates later get the same edit.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { fileReadError } from '../core/index.js';
import { listPhotos, type PhotoRecord } from '../dataset/index.js';
import { captionPathFor, type Project } from '../project/index.js';
import { applyTagEdit, matchesFilter, parseTagFilter, suggestTraitTags, tagFrequencies, type TagCount, type TagSuggestion } from './edit.js';
import { captionErrors } from './errors.js';
import { firstInvalidUtf8Offset } from './check.js';
import { captionFileText, classWordFor } from './rules.js';
import {
  captionSha,
  captionStorePaths,
  newHistoryId,
  readCaptionBytes,
  readCaptionState,
  readHistory,
  readTagEdits,
  writeCaptionFile,
  writeCaptionState,
  writeHistoryEntry,
  writeTagEdits,
  type CaptionChange,
  type HistoryEntry,
  type TagEdit,
} from './store.js';

export interface ProjectCaption {
  readonly photo: PhotoRecord;
  readonly stem: string;
  readonly file: string;
  /** Relative to the project. */
  readonly caption: string;
  /** The file's text (without a trailing newline), undefined when there is no caption file. */
  readonly text?: string;
  readonly bytes?: Buffer;
}

/** Every photo with its caption file's text. A caption that is not UTF-8 is an error naming it. */
export async function readProjectCaptions(project: Project, signal?: AbortSignal): Promise<ProjectCaption[]> {
  const photos = await listPhotos(project.paths, signal);
  const out: ProjectCaption[] = [];
  for (const photo of photos) {
    const file = captionPathFor(project.paths, photo.file);
    const caption = path.relative(project.paths.root, file).split(path.sep).join('/');
    let bytes: Buffer | undefined;
    try {
      bytes = await readCaptionBytes(file);
    } catch (cause) {
      throw fileReadError(file, cause);
    }
    if (bytes && firstInvalidUtf8Offset(bytes) >= 0) {
      throw captionErrors.create('CAPTION_BAD_EDIT', `${caption} is not UTF-8, so tack cannot edit its tags.`, 'Re-save the file as UTF-8 (tack doctor shows which byte is wrong), then run the command again.', { details: { file } });
    }
    const text = bytes?.toString('utf8').replace(/^\uFEFF/, '').replace(/\s+$/, '');
    out.push({ photo, stem: path.parse(photo.file).name, file, caption, ...(bytes ? { bytes, text } : {}) });
  }
  return out;
}

export interface TagTable {
  readonly captions: number;
  readonly photosWithoutCaption: readonly string[];
  readonly tags: readonly TagCount[];
}

/** The tag frequencies of the captions (those matching `where`, when given). */
export async function readTagTable(project: Project, options: { readonly where?: string; readonly signal?: AbortSignal } = {}): Promise<TagTable> {
  const filter = options.where ? parseTagFilter(options.where) : undefined;
  const captions = await readProjectCaptions(project, options.signal);
  const texts = captions.filter((c) => c.text !== undefined && matchesFilter(c.text, filter)).map((c) => c.text as string);
  return { captions: texts.length, photosWithoutCaption: captions.filter((c) => c.text === undefined).map((c) => c.photo.file), tags: tagFrequencies(texts) };
}

export type TagEditRequest =
  | { readonly op: 'remove'; readonly tags: readonly string[] }
  | { readonly op: 'replace'; readonly pairs: readonly (readonly [string, string])[] }
  | { readonly op: 'add'; readonly tags: readonly string[] };

export interface TagEditResult {
  readonly changed: readonly { readonly photo: string; readonly caption: string; readonly before: string; readonly after: string }[];
  /** Captions the filter selected but the edit did not change. */
  readonly unchanged: number;
  /** Captions the filter did not select. */
  readonly skipped: number;
  readonly historyId?: string;
  readonly dryRun: boolean;
}

/** Applies an edit to every caption file (that matches `where`). */
export async function editProjectTags(project: Project, request: TagEditRequest, options: { readonly where?: string; readonly dryRun?: boolean; readonly command?: string; readonly signal?: AbortSignal } = {}): Promise<TagEditResult> {
  const filter = options.where ? parseTagFilter(options.where) : undefined;
  const id = newHistoryId();
  const edit = { id, ...request, ...(options.where ? { where: options.where } : {}) } as TagEdit;
  const captions = await readProjectCaptions(project, options.signal);
  const store = captionStorePaths(project.paths);
  const state = await readCaptionState(store);
  const changes: CaptionChange[] = [];
  const changed: { photo: string; caption: string; before: string; after: string }[] = [];
  let unchanged = 0;
  let skipped = 0;
  for (const c of captions) {
    if (c.text === undefined) continue;
    if (!matchesFilter(c.text, filter)) {
      skipped++;
      continue;
    }
    const after = applyTagEdit(c.text, edit, project.config.token);
    if (after === c.text) {
      unchanged++;
      continue;
    }
    const beforeFile = (c.bytes as Buffer).toString('utf8');
    const afterFile = captionFileText(after);
    const recorded = state.get(c.stem);
    changes.push({ stem: c.stem, caption: c.caption, before: beforeFile, after: afterFile, ...(recorded ? { stateBefore: recorded } : {}) });
    changed.push({ photo: c.photo.file, caption: c.caption, before: c.text, after });
    const sha = captionSha(c.bytes as Buffer);
    if (recorded && (recorded.writtenSha256 === sha || recorded.previousSha256 === sha)) {
      // Still tack's caption: remember the new text as tack's own.
      state.set(c.stem, { ...recorded, writtenSha256: captionSha(Buffer.from(afterFile, 'utf8')), previousSha256: sha, writtenAt: new Date().toISOString() });
    }
  }
  if (options.dryRun || changes.length === 0) return { changed, unchanged, skipped, dryRun: Boolean(options.dryRun) };
  const summary = describeEdit(request, options.where, changes.length);
  await writeTagEdits(store, [...(await readTagEdits(store)), edit]);
  await writeCaptionState(store, state);
  await writeHistoryEntry(store, { version: 1, id, at: new Date().toISOString(), command: options.command ?? `tack tags ${request.op}`, summary, changes, editId: id });
  for (const change of changes) await writeCaptionFile(path.join(project.paths.root, change.caption), change.after);
  return { changed, unchanged, skipped, historyId: id, dryRun: false };
}

function describeEdit(request: TagEditRequest, where: string | undefined, count: number): string {
  const what =
    request.op === 'replace' ? `replaced ${request.pairs.map(([a, b]) => `${a} -> ${b || '(nothing)'}`).join(', ')}` : `${request.op === 'remove' ? 'removed' : 'added'} ${request.tags.join(', ')}`;
  return `${what}${where ? ` where ${where}` : ''} in ${count} caption${count === 1 ? '' : 's'}`;
}

export interface UndoResult {
  readonly entry: Pick<HistoryEntry, 'id' | 'at' | 'command' | 'summary'>;
  readonly restored: readonly string[];
  /** Captions already back at their earlier text. */
  readonly alreadyRestored: readonly string[];
  /** Captions changed by hand since; restored only with force. */
  readonly conflicts: readonly string[];
}

/** Puts back the captions of the newest change not yet undone (a tack caption run or a tag edit). */
export async function undoLastCaptionChange(project: Project, options: { readonly force?: boolean } = {}): Promise<UndoResult> {
  const store = captionStorePaths(project.paths);
  const entry = (await readHistory(store)).find((e) => !e.undone);
  if (!entry) {
    throw captionErrors.create('CAPTION_NOTHING_TO_UNDO', 'There is no caption change to undo.', 'tack tags undo reverts the last tack caption or tack tags edit; earlier ones in turn.');
  }
  const current = new Map<string, Buffer | undefined>();
  const conflicts: string[] = [];
  for (const change of entry.changes) {
    const bytes = await readCaptionBytes(path.join(project.paths.root, change.caption));
    current.set(change.caption, bytes);
    const text = bytes?.toString('utf8');
    if (text !== change.after && !(text === change.before || (text === undefined && change.before === null))) conflicts.push(change.caption);
  }
  if (conflicts.length > 0 && !options.force) {
    throw captionErrors.create(
      'CAPTION_UNDO_CONFLICT',
      `${conflicts.length} caption${conflicts.length === 1 ? ' was' : 's were'} changed by hand after "${entry.summary}": ${conflicts.slice(0, 5).join(', ')}${conflicts.length > 5 ? ' ...' : ''}.`,
      'Run tack tags undo --force to put back the earlier text anyway (the hand changes are lost).',
      { details: { conflicts, entry: entry.id } },
    );
  }
  const state = await readCaptionState(store);
  const restored: string[] = [];
  const alreadyRestored: string[] = [];
  for (const change of [...entry.changes].reverse()) {
    const file = path.join(project.paths.root, change.caption);
    const text = current.get(change.caption)?.toString('utf8');
    if (text === change.before || (text === undefined && change.before === null)) {
      alreadyRestored.push(change.caption);
    } else if (change.before === null) {
      await fsp.rm(file, { force: true });
      restored.push(change.caption);
    } else {
      await writeCaptionFile(file, change.before);
      restored.push(change.caption);
    }
    if (change.stateBefore) state.set(change.stem, change.stateBefore);
    else state.delete(change.stem);
  }
  await writeCaptionState(store, state);
  if (entry.editId) await writeTagEdits(store, (await readTagEdits(store)).filter((e) => e.id !== entry.editId));
  await writeHistoryEntry(store, { ...entry, undone: true });
  return { entry: { id: entry.id, at: entry.at, command: entry.command, summary: entry.summary }, restored: restored.reverse(), alreadyRestored, conflicts };
}

/** The history, newest first, without the caption texts. */
export async function readCaptionHistory(project: Project): Promise<{ id: string; at: string; command: string; summary: string; captions: number; undone: boolean }[]> {
  return (await readHistory(captionStorePaths(project.paths))).map((e) => ({ id: e.id, at: e.at, command: e.command, summary: e.summary, captions: e.changes.length, undone: Boolean(e.undone) }));
}

export interface SuggestResult {
  readonly captions: number;
  readonly minShare: number;
  readonly suggestions: readonly TagSuggestion[];
}

/** Tags in at least `minShare` of the captions, except the trigger and the class word. */
export async function suggestProjectTags(project: Project, options: { readonly minShare?: number; readonly signal?: AbortSignal } = {}): Promise<SuggestResult> {
  const captions = (await readProjectCaptions(project, options.signal)).filter((c) => c.text !== undefined).map((c) => c.text as string);
  const { token, class: className } = project.config;
  const exclude = [token, className, classWordFor(className, 'wd14'), classWordFor(className, 'sentence')];
  const minShare = options.minShare ?? 0.8;
  return { captions: captions.length, minShare, suggestions: suggestTraitTags(captions, { minShare, exclude }) };
}
