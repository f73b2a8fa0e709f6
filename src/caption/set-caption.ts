/**
 * Writing one photo's caption by hand (`tack tags <dir> set <photo> <text>`, the studio's
 * caption editor). The change is recorded in the caption history like any tag edit, so
 * `tack tags undo` puts the previous text back. The caption becomes the user's own: a later
 * `tack caption` keeps it unless --overwrite.
 */
import path from 'node:path';
import type { Finding } from '../core/index.js';
import { listPhotos } from '../dataset/index.js';
import { captionPathFor, type Project } from '../project/index.js';
import { checkCaptionText } from './check.js';
import { captionErrors } from './errors.js';
import { captionFileText } from './rules.js';
import { captionStorePaths, newHistoryId, readCaptionBytes, readCaptionState, writeCaptionFile, writeHistoryEntry } from './store.js';
import { joinTags, splitTags } from './tags.js';

export interface SetCaptionResult {
  readonly photo: string;
  /** The caption file, relative to the project. */
  readonly caption: string;
  /** The text before (null: there was no caption file). */
  readonly before: string | null;
  readonly after: string;
  readonly changed: boolean;
  readonly historyId?: string;
  readonly findings: readonly Finding[];
}

/** Sets the caption of `photoName` (a file name in photos/, with or without its extension). */
export async function setProjectCaption(project: Project, photoName: string, text: string, options: { readonly command?: string } = {}): Promise<SetCaptionResult> {
  const photos = await listPhotos(project.paths);
  const key = path.basename(photoName).toLowerCase();
  const photo = photos.find((p) => p.file.toLowerCase() === key) ?? photos.find((p) => path.parse(p.file).name.toLowerCase() === key);
  if (!photo) {
    throw captionErrors.create('CAPTION_BAD_EDIT', `No photo named "${photoName}" in ${project.paths.photosDir}.`, 'Use a file name tack doctor shows, e.g. IMG_0012.jpg.', { details: { photo: photoName } });
  }
  // One line; tags keep their commas, free text stays as written.
  const oneLine = text.replace(/[\r\n]+/g, ' ').trim();
  const after = oneLine.includes(',') ? joinTags(splitTags(oneLine)) : oneLine;
  if (!after) throw captionErrors.create('CAPTION_BAD_EDIT', `The caption for ${photo.file} is empty.`, 'Write at least the trigger, e.g. the project\'s token and class.', { details: { photo: photo.file } });
  // What the caption rules will change in the training copy (trigger first, Pony tags ...).
  const findings = checkCaptionText(after, { token: project.config.token, className: project.config.class, captioner: project.config.captioner, subject: photo.file });
  const file = captionPathFor(project.paths, photo.file);
  const caption = path.relative(project.paths.root, file).split(path.sep).join('/');
  const beforeBytes = await readCaptionBytes(file);
  const before = beforeBytes?.toString('utf8') ?? null;
  const afterFile = captionFileText(after);
  const beforeText = before === null ? null : before.replace(/^\uFEFF/, '').replace(/\s+$/, '');
  if (before === afterFile) return { photo: photo.file, caption, before: beforeText, after, changed: false, findings };
  const store = captionStorePaths(project.paths);
  const stem = path.parse(photo.file).name;
  const recorded = (await readCaptionState(store)).get(stem);
  const id = newHistoryId();
  await writeHistoryEntry(store, {
    version: 1,
    id,
    at: new Date().toISOString(),
    command: options.command ?? `tack tags set ${photo.file}`,
    summary: `edited the caption of ${photo.file}`,
    changes: [{ stem, caption, before, after: afterFile, ...(recorded ? { stateBefore: recorded } : {}) }],
  });
  await writeCaptionFile(file, afterFile);
  return { photo: photo.file, caption, before: beforeText, after, changed: true, historyId: id, findings };
}
