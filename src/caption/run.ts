/**
 * `tack caption`: captions every photo of a project and keeps what it needs to redo it:
 * - a caption file the user wrote or edited by hand is kept unless `overwrite` (tack knows
 *   its own files by the hash it recorded when writing them);
 * - a caption already derived from the same model output and settings is left alone, so a
 *   rerun after Ctrl-C or a crash continues where it stopped;
 * - kept model output is reused when only thresholds, rules or edits changed (no model run);
 * - state and history are written before the caption files of each batch, so an interruption
 *   at any point leaves files that the next run and `tack tags undo` understand.
 */
import path from 'node:path';
import { finding, throwIfCancelled, toTackError, type Finding, type ProgressListener } from '../core/index.js';
import { listPhotos, photoPath, type PhotoRecord } from '../dataset/index.js';
import type { ImageProbe } from '../io/index.js';
import { captionPathFor, type Project } from '../project/index.js';
import { deriveSentenceCaption, deriveTagCaption, keepScores, RAW_SCORE_FLOOR, rawServesThresholds } from './derive.js';
import { captionErrors } from './errors.js';
import { captionFileText, classTagFor, defaultCaption, type Captioner, type CaptionRuleConfig } from './rules.js';
import { openSentenceCaptioner, sentenceModelKey, type SentenceCaptioner } from './sentence.js';
import { captionSettingsKey, resolveCaptionSettings, type CaptionOverrides, type CaptionSettings } from './settings.js';
import {
  captionSha,
  captionStorePaths,
  newHistoryId,
  readCaptionBytes,
  readCaptionState,
  readRawOutput,
  readTagEdits,
  writeCaptionFile,
  writeCaptionState,
  writeHistoryEntry,
  writeRawOutput,
  type CaptionChange,
  type CaptionOrigin,
  type PhotoCaptionState,
  type RawOutput,
  type TagEdit,
} from './store.js';
import { tagKey } from './tags.js';
import { loadTagger, resolveTaggerFiles, runTagger, type Tagger, type TaggerItem } from './wd14/tagger.js';
import { resolveTaggerModel } from './wd14/models.js';

export interface CaptionProjectOptions {
  /** Overrides the project's captioner (wd14, sentence, none). */
  readonly captioner?: Captioner;
  readonly overrides?: CaptionOverrides;
  /** Also replace captions written or edited by hand. */
  readonly overwrite?: boolean;
  /** Run the model again even where its output is kept. */
  readonly rerun?: boolean;
  /** Only these photo file names. */
  readonly only?: readonly string[];
  /** The command line, recorded in the history. */
  readonly command?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  /** Model download progress (bytes). */
  readonly onDownload?: ProgressListener;
  /** Photos done. */
  readonly onProgress?: ProgressListener;
}

export type PhotoCaptionStatus = 'written' | 'unchanged' | 'hand-written' | 'failed';

export interface PhotoCaptionOutcome {
  readonly photo: string;
  /** The caption file, relative to the project. */
  readonly caption: string;
  readonly status: PhotoCaptionStatus;
  /** model: the model ran now; kept-output: derived from kept model output; default: trigger + class. */
  readonly from?: 'model' | 'kept-output' | 'default';
  readonly text?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface CaptionProjectResult {
  readonly captioner: Captioner;
  /** The tagger or sentence model (repo id or folder), absent for `none`. */
  readonly model?: string;
  readonly commit?: string;
  readonly modelDownloaded: boolean;
  readonly photos: readonly PhotoCaptionOutcome[];
  readonly counts: Readonly<Record<PhotoCaptionStatus, number>>;
  /** Photos the model ran on in this run. */
  readonly modelRuns: number;
  /** History entry of this run (for `tack tags undo`), when anything was written. */
  readonly historyId?: string;
  readonly findings: readonly Finding[];
  readonly durationMs: number;
}

interface Planned {
  readonly photo: PhotoRecord;
  readonly stem: string;
  readonly captionFile: string;
  readonly relCaption: string;
  readonly existing?: Buffer;
  readonly ownedSha?: string;
}

function errorInfo(error: unknown): { code: string; message: string } {
  const e = toTackError(error);
  return { code: e.code, message: e.message };
}

/** Captions the project's photos. */
export async function captionProject(project: Project, options: CaptionProjectOptions = {}): Promise<CaptionProjectResult> {
  const started = Date.now();
  const { paths, config } = project;
  const settings = resolveCaptionSettings(config, paths, { ...options, ...(options.env ? { env: options.env } : {}) });
  const captioner = settings.captioner;
  const rules: CaptionRuleConfig = { token: config.token, class: config.class, captioner };
  let photos = await listPhotos(paths, options.signal);
  if (options.only?.length) photos = photos.filter((p) => options.only?.includes(p.file));
  if (photos.length === 0) {
    throw captionErrors.create('CAPTION_NO_PHOTOS', `${paths.photosDir} has no photos${options.only?.length ? ` named ${options.only.join(', ')}` : ''}.`, `Add photos first: tack add ${paths.root} <photos or folders>`);
  }
  const store = captionStorePaths(paths);
  const state = await readCaptionState(store);
  const edits = await readTagEdits(store);
  const outcomes = new Map<string, PhotoCaptionOutcome>();
  const changes: CaptionChange[] = [];
  const historyId = newHistoryId();
  const findings: Finding[] = [];
  let done = 0;
  const progress = () => options.onProgress?.({ done, total: photos.length, unit: 'items' });

  const modelInfo = captioner === 'wd14' ? { modelKey: `wd14:${settings.modelDir ?? resolveTaggerModel(settings.model).repo}`, model: settings.modelDir ?? resolveTaggerModel(settings.model).repo } : captioner === 'sentence' ? sentenceModelKey(settings.sentence) : undefined;
  const settingsKey = captionSettingsKey({ captioner, ...(modelInfo ? { modelKey: modelInfo.modelKey } : {}), post: settings.post, token: config.token, className: config.class, edits });
  const origin: CaptionOrigin = captioner === 'none' ? 'default' : captioner;

  /** Writes state + history first, then the caption files (see the file comment). */
  const commit = async (batch: readonly { planned: Planned; text: string; from: PhotoCaptionOutcome['from']; modelKey?: string }[]) => {
    const writes: { planned: Planned; content: string; from: PhotoCaptionOutcome['from'] }[] = [];
    for (const { planned, text, from, modelKey } of batch) {
      const content = captionFileText(text);
      const sha = captionSha(Buffer.from(content, 'utf8'));
      const previous = state.get(planned.stem);
      const next: PhotoCaptionState = {
        photo: planned.photo.file,
        photoSha256: planned.photo.sha256,
        origin,
        ...(modelKey ? { modelKey } : {}),
        settingsKey,
        writtenSha256: sha,
        ...(planned.ownedSha && planned.ownedSha !== sha ? { previousSha256: planned.ownedSha } : {}),
        writtenAt: new Date().toISOString(),
      };
      state.set(planned.stem, next);
      if (planned.existing && planned.existing.toString('utf8') === content) {
        outcomes.set(planned.photo.file, { photo: planned.photo.file, caption: planned.relCaption, status: 'unchanged', ...(from ? { from } : {}), text });
        continue;
      }
      changes.push({ stem: planned.stem, caption: planned.relCaption, before: planned.existing ? planned.existing.toString('utf8') : null, after: content, ...(previous ? { stateBefore: previous } : {}) });
      writes.push({ planned, content, from });
    }
    await writeCaptionState(store, state);
    if (writes.length > 0) {
      await writeHistoryEntry(store, { version: 1, id: historyId, at: new Date().toISOString(), command: options.command ?? 'tack caption', summary: `captioned ${changes.length} photo${changes.length === 1 ? '' : 's'} (${captioner})`, changes });
    }
    for (const w of writes) {
      await writeCaptionFile(w.planned.captionFile, w.content);
      outcomes.set(w.planned.photo.file, { photo: w.planned.photo.file, caption: w.planned.relCaption, status: 'written', ...(w.from ? { from: w.from } : {}), text: w.content.trimEnd() });
    }
  };

  // ---- plan ----
  const immediate: { planned: Planned; text: string; from: PhotoCaptionOutcome['from']; modelKey?: string }[] = [];
  const toRun: Planned[] = [];
  for (const photo of photos) {
    throwIfCancelled(options.signal);
    const captionFile = captionPathFor(paths, photo.file);
    const stem = path.parse(photo.file).name;
    const relCaption = path.relative(paths.root, captionFile).split(path.sep).join('/');
    const existing = await readCaptionBytes(captionFile);
    const recorded = state.get(stem);
    const sha = existing ? captionSha(existing) : undefined;
    const owned = !existing || (recorded !== undefined && (sha === recorded.writtenSha256 || sha === recorded.previousSha256));
    const planned: Planned = { photo, stem, captionFile, relCaption, ...(existing ? { existing } : {}), ...(existing && owned ? { ownedSha: sha } : {}) };
    if (!owned && !options.overwrite) {
      outcomes.set(photo.file, { photo: photo.file, caption: relCaption, status: 'hand-written', text: existing.toString('utf8').trimEnd() });
      done++;
      continue;
    }
    if (captioner === 'none') {
      immediate.push({ planned, text: defaultCaption(rules), from: 'default' });
      continue;
    }
    const modelKey = modelInfo?.modelKey as string;
    if (existing && owned && recorded && recorded.settingsKey === settingsKey && recorded.photoSha256 === photo.sha256 && recorded.modelKey === modelKey && sha === recorded.writtenSha256 && !options.rerun) {
      outcomes.set(photo.file, { photo: photo.file, caption: relCaption, status: 'unchanged', text: existing.toString('utf8').trimEnd() });
      done++;
      continue;
    }
    if (!photo.probe) {
      outcomes.set(photo.file, { photo: photo.file, caption: relCaption, status: 'failed', error: { code: photo.probeError?.code ?? 'IMAGE_CORRUPT', message: photo.probeError?.message ?? 'unreadable photo' } });
      done++;
      continue;
    }
    const raw = options.rerun ? undefined : await readRawOutput(store, stem, photo.sha256, modelKey);
    const text = raw ? deriveFromRaw(raw, settings, rules, edits) : undefined;
    if (text !== undefined) immediate.push({ planned, text, from: 'kept-output', modelKey });
    else toRun.push(planned);
  }
  if (immediate.length > 0) {
    await commit(immediate);
    done += immediate.length;
  }
  progress();

  // ---- run the model on the rest ----
  let modelDownloaded = false;
  let commitHash: string | undefined;
  let modelRuns = 0;
  let modelName = modelInfo?.model;
  const classMissing: string[] = [];
  if (toRun.length > 0 && captioner === 'wd14') {
    const files = await resolveTaggerFiles(settings.model, { ...(settings.modelDir ? { modelDir: settings.modelDir } : {}), hub: settings.hub, ...(options.onDownload ? { onProgress: options.onDownload } : {}) });
    modelDownloaded = files.downloaded;
    commitHash = files.commit;
    modelName = files.source;
    const tagger: Tagger = await loadTagger(files, { threads: settings.threads });
    const byFile = new Map(toRun.map((p) => [p.photo.file, p]));
    const items: TaggerItem[] = toRun.map((p) => ({ key: p.photo.file, file: photoPath(paths, p.photo), probe: p.photo.probe as ImageProbe }));
    try {
      await runTagger(tagger, items, {
        batchSize: settings.batchSize,
        ...(options.signal ? { signal: options.signal } : {}),
        onBatch: async (results) => {
          const batch: { planned: Planned; text: string; from: 'model'; modelKey: string }[] = [];
          for (const { item, result } of results) {
            const planned = byFile.get(item.key) as Planned;
            if (result.kind === 'failed') {
              outcomes.set(item.key, { photo: item.key, caption: planned.relCaption, status: 'failed', error: errorInfo(result.error) });
              continue;
            }
            modelRuns++;
            const raw: RawOutput = { kind: 'wd14', source: files.source, ...(files.commit ? { commit: files.commit } : {}), floor: RAW_SCORE_FLOOR, scores: keepScores(tagger.labels, result.scores), createdAt: new Date().toISOString() };
            await writeRawOutput(store, planned.stem, planned.photo, modelInfo?.modelKey as string, raw);
            const derived = deriveTagCaption(raw, settings.post, rules, edits);
            const classTag = tagKey(classTagFor(config.class));
            if (!derived.selection.tags.some((t) => tagKey(t) === classTag)) classMissing.push(item.key);
            batch.push({ planned, text: derived.text, from: 'model', modelKey: modelInfo?.modelKey as string });
          }
          await commit(batch);
          done += results.length;
          progress();
        },
      });
    } finally {
      await tagger.close();
    }
  } else if (toRun.length > 0 && captioner === 'sentence') {
    const sentence: SentenceCaptioner = await openSentenceCaptioner(settings.sentence, { hub: settings.hub, ...(options.signal ? { signal: options.signal } : {}), ...(options.onDownload ? { onDownload: options.onDownload } : {}) });
    modelName = sentence.model;
    try {
      for (const planned of toRun) {
        throwIfCancelled(options.signal);
        let answer: string;
        try {
          answer = await sentence.describe(photoPath(paths, planned.photo), planned.photo.probe as ImageProbe);
        } catch (error) {
          const e = toTackError(error);
          // An endpoint that is down or misconfigured fails every photo alike: stop at once.
          // A photo that cannot be decoded (an input error) only fails itself.
          if (e.category !== 'input') throw e;
          outcomes.set(planned.photo.file, { photo: planned.photo.file, caption: planned.relCaption, status: 'failed', error: errorInfo(e) });
          done++;
          progress();
          continue;
        }
        modelRuns++;
        const raw: RawOutput = { kind: 'sentence', backend: settings.sentence.backend, model: sentence.model, promptSha256: sentence.promptSha256, text: answer, createdAt: new Date().toISOString() };
        await writeRawOutput(store, planned.stem, planned.photo, sentence.modelKey, raw);
        const text = deriveSentenceCaption(raw, rules, edits);
        if (text === undefined) {
          outcomes.set(planned.photo.file, {
            photo: planned.photo.file,
            caption: planned.relCaption,
            status: 'failed',
            error: { code: 'CAPTION_SENTENCE_FAILED', message: `The model answered nothing usable for ${planned.photo.file} ("${answer.slice(0, 80)}").` },
          });
        } else {
          await commit([{ planned, text, from: 'model', modelKey: sentence.modelKey }]);
        }
        done++;
        progress();
      }
    } finally {
      await sentence.close();
    }
  }

  const ordered = photos.map((p) => outcomes.get(p.file)).filter((o): o is PhotoCaptionOutcome => o !== undefined);
  const counts = { written: 0, unchanged: 0, 'hand-written': 0, failed: 0 } as Record<PhotoCaptionStatus, number>;
  for (const o of ordered) counts[o.status]++;
  const hand = ordered.filter((o) => o.status === 'hand-written');
  if (hand.length > 0) {
    findings.push(
      finding('info', 'CAPTION_KEPT_HAND_WRITTEN', `Kept ${hand.length} caption${hand.length === 1 ? '' : 's'} written or edited by hand.`, {
        fix: 'tack caption --overwrite replaces them (tack tags undo brings them back).',
        data: { captions: hand.map((o) => o.caption) },
      }),
    );
  }
  for (const o of ordered.filter((x) => x.status === 'failed')) {
    findings.push(finding('warning', 'CAPTION_PHOTO_FAILED', `${o.photo} was not captioned: ${o.error?.message ?? 'unknown error'}`, { subject: o.photo, fix: 'Fix or remove the photo (tack doctor explains), then run tack caption again.', data: { code: o.error?.code } }));
  }
  if (classMissing.length > 0) {
    const tag = classTagFor(config.class);
    findings.push(
      finding('info', 'CAPTION_CLASS_NOT_SEEN', `The tagger did not see "${tag}" in ${classMissing.length} photo${classMissing.length === 1 ? '' : 's'}; tack wrote it after the trigger anyway.`, {
        fix: 'Check that these photos show the subject clearly.',
        data: { photos: classMissing },
      }),
    );
  }
  if (counts.failed === ordered.length && ordered.length > 0) {
    throw captionErrors.create('CAPTION_ALL_FAILED', `No photo could be captioned; the first failure: ${ordered[0]?.error?.message ?? 'unknown'}.`, 'Run tack doctor on the project to see what is wrong with the photos.', {
      details: { failures: ordered.map((o) => ({ photo: o.photo, ...o.error })) },
    });
  }
  return {
    captioner,
    ...(modelName && captioner !== 'none' ? { model: modelName } : {}),
    ...(commitHash ? { commit: commitHash } : {}),
    modelDownloaded,
    photos: ordered,
    counts,
    modelRuns,
    ...(changes.length > 0 ? { historyId } : {}),
    findings,
    durationMs: Date.now() - started,
  };
}

function deriveFromRaw(raw: RawOutput, settings: CaptionSettings, rules: CaptionRuleConfig, edits: readonly TagEdit[]): string | undefined {
  if (raw.kind === 'wd14') {
    if (settings.captioner !== 'wd14' || !rawServesThresholds(raw, settings.post)) return undefined;
    return deriveTagCaption(raw, settings.post, rules, edits).text;
  }
  if (settings.captioner !== 'sentence') return undefined;
  return deriveSentenceCaption(raw, rules, edits);
}
