/** Joins the dataset and caption modules: which caption each photo gets, and caption checks. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkCaptionText, defaultCaption, formatTrainingCaption } from '../caption/index.js';
import { finding, type Finding } from '../core/index.js';
import type { CaptionChoice, PhotoRecord } from '../dataset/index.js';
import { captionPathFor, type Project } from '../project/index.js';

async function readCaptionBytes(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function relative(project: Project, file: string): string {
  return path.relative(project.paths.root, file).split(path.sep).join('/');
}

/** The caption `tack prepare` writes for a photo: its caption file under the rules, or the default. */
export async function chooseCaption(project: Project, photo: PhotoRecord): Promise<CaptionChoice> {
  const file = captionPathFor(project.paths, photo.file);
  const bytes = await readCaptionBytes(file);
  if (!bytes) return { text: defaultCaption(project.config), source: 'default', notes: [] };
  const subject = relative(project, file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return {
      text: defaultCaption(project.config),
      source: 'default',
      notes: [finding('warning', 'PREPARE_CAPTION_NOT_UTF8', 'The caption is not UTF-8 (the trainer would crash on it, P14): the default caption was written instead.', { subject, fix: `Save ${subject} as UTF-8.` })],
    };
  }
  const formatted = formatTrainingCaption(text, project.config);
  const notes = formatted.changes.length
    ? [finding('info', 'PREPARE_CAPTION_FIXED', `In the training copy: ${formatted.changes.join('; ')}.`, { subject, fix: 'Your caption file is unchanged; edit it if you prefer another wording.' })]
    : [];
  return { text: formatted.text, source: 'file', notes };
}

export interface CaptionSurvey {
  /** Photos that have a caption file. */
  readonly captioned: number;
  /** Photos without one. */
  readonly missing: readonly string[];
  /** Findings per photo file. */
  readonly byPhoto: ReadonlyMap<string, readonly Finding[]>;
}

/** Checks every photo's caption file with the caption rules. */
export async function surveyCaptions(project: Project, photos: readonly PhotoRecord[]): Promise<CaptionSurvey> {
  const byPhoto = new Map<string, Finding[]>();
  const missing: string[] = [];
  let captioned = 0;
  for (const photo of photos) {
    const file = captionPathFor(project.paths, photo.file);
    const bytes = await readCaptionBytes(file);
    if (!bytes) {
      missing.push(photo.file);
      continue;
    }
    captioned++;
    const found = checkCaptionText(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      token: project.config.token,
      className: project.config.class,
      captioner: project.config.captioner,
      subject: relative(project, file),
    });
    if (found.length) byPhoto.set(photo.file, found);
  }
  return { captioned, missing, byPhoto };
}
