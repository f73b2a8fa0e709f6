/**
 * `tack score`: likeness of any images against the subject (made by hand in A1111/Forge or
 * ComfyUI, or with someone else's LoRA), grouped by the LoRA and strength their PNG settings
 * name (A1111 `<lora:name:w>` infotext, ComfyUI LoraLoader nodes), best first. Embeddings are
 * cached in the project's state folder, so scoring a folder again only analyses new images.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import type { Finding, ProgressListener } from '../core/index.js';
import { findImageFiles, IMPORTABLE_EXTENSIONS, isImageFileName } from '../io/index.js';
import type { Project } from '../project/index.js';
import { readGenerationSettings } from '../prompt/index.js';
import { aggregateScores, type CellStats } from './aggregate.js';
import { evalErrors } from './errors.js';
import { buildProjectReference } from './evaluate-run.js';
import { chooseFaceModel, type FaceModelChoice, type FaceModelOptions } from './face-model.js';
import type { SampleScore } from './score.js';
import { scoreImages, type ImageToScore } from './score-images.js';
import { summariseFaceModel, summariseReference, type FaceModelSummary, type ReferenceSummary } from './summary.js';

/** The group of images made without LoRA information in their settings. */
export const NO_SETTINGS_GROUP = 'no settings';
export const NO_LORA_GROUP = 'no LoRA';

export interface ScoredImage extends SampleScore {
  /** The image as given (absolute path). */
  readonly path: string;
  /** LoRA name and strength from the image's settings, "no LoRA" or "no settings". */
  readonly group: string;
  readonly loras: ReadonlyArray<{ readonly name: string; readonly weight: number }>;
  /** Which tool wrote the settings. */
  readonly settingsSource?: string;
}

export interface ScoreGroup extends Omit<CellStats, 'epoch' | 'strength' | 'source'> {
  readonly group: string;
  readonly loras: ReadonlyArray<{ readonly name: string; readonly weight: number }>;
}

export interface ScoreFilesResult {
  readonly faceModel: FaceModelSummary;
  readonly reference: ReferenceSummary;
  /** Best first: effective likeness (a copy or a faceless image counts 0), then likeness. */
  readonly images: readonly ScoredImage[];
  /** Best first by effective likeness. */
  readonly groups: readonly ScoreGroup[];
  readonly findings: readonly Finding[];
}

export interface ScoreFilesOptions extends FaceModelOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (phase: 'photos' | 'images', event: Parameters<ProgressListener>[0]) => void;
  /** Use this face model instead of the one [samples] chooses (tests, the studio). */
  readonly faceModel?: FaceModelChoice;
}

/** Image files named by `inputs` (files as given; folders searched recursively, hidden entries skipped), sorted, without repeats. */
export async function listImageInputs(inputs: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const input of inputs) {
    const stat = await fsp.stat(input).catch(() => undefined);
    if (!stat) throw evalErrors.create('EVAL_INPUT_NOT_FOUND', `${input} does not exist.`, 'Give image files or folders of images (PNG, JPEG, WebP ...).', { details: { path: input } });
    if (stat.isDirectory()) for (const file of await findImageFiles(input)) found.add(file);
    else if (isImageFileName(input)) found.add(input);
    else throw evalErrors.create('EVAL_INPUT_NOT_FOUND', `${input} is not an image (${IMPORTABLE_EXTENSIONS.join(', ')}).`, 'Give image files or folders of images.', { details: { path: input } });
  }
  return [...found];
}

/** LoRA names and strengths from a PNG's A1111 infotext or ComfyUI workflow; none for other images. */
async function readLoras(file: string): Promise<{ group: string; loras: ScoredImage['loras']; source?: string; seed?: number }> {
  if (path.extname(file).toLowerCase() !== '.png') return { group: NO_SETTINGS_GROUP, loras: [] };
  try {
    const { source, settings } = readGenerationSettings(await fsp.readFile(file), file);
    const loras = settings.loras.filter((l) => l.type === 'lora').map((l) => ({ name: l.name, weight: l.weight }));
    const group = loras.length ? loras.map((l) => `${l.name} @${l.weight}`).join(' + ') : NO_LORA_GROUP;
    return { group, loras, source, ...(settings.seed !== undefined ? { seed: settings.seed } : {}) };
  } catch {
    return { group: NO_SETTINGS_GROUP, loras: [] };
  }
}

const rank = (s: SampleScore) => (s.status === 'face' && !s.copy ? (s.likeness as number) : -10 + (s.likeness ?? -1));

export async function scoreFiles(project: Project, inputs: readonly string[], options: ScoreFilesOptions = {}): Promise<ScoreFilesResult> {
  const files = await listImageInputs(inputs);
  if (files.length === 0) throw evalErrors.create('EVAL_NO_IMAGES', `No images in ${inputs.join(', ')}.`, 'Give image files or folders holding PNG, JPEG or WebP images.', { details: { inputs } });
  const model = options.faceModel ?? (await chooseFaceModel(project.config.samples, project.paths.root, options));
  try {
    const reference = await buildProjectReference(project, model, { ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: (_phase, e) => options.onProgress?.('photos', e) } : {}) });
    const meta = await Promise.all(files.map(readLoras));
    const images: ImageToScore[] = files.map((file, i) => {
      const m = meta[i] as Awaited<ReturnType<typeof readLoras>>;
      return { path: file, epoch: 0, strength: m.loras[0]?.weight ?? 1, promptIndex: i, ...(m.seed !== undefined ? { seed: m.seed } : {}), file, source: m.group };
    });
    const scores = await scoreImages(model, reference, images, {
      cacheFile: path.join(project.paths.stateDir, 'cache', 'faces', `score-${model.modelId}.json`),
      copyThreshold: project.config.samples.copy_threshold,
      maxSide: 1600,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: (e) => options.onProgress?.('images', e) } : {}),
    });
    const scored: ScoredImage[] = scores.map((s, i) => {
      const m = meta[i] as Awaited<ReturnType<typeof readLoras>>;
      return { ...s, path: files[i] as string, group: m.group, loras: m.loras, ...(m.source ? { settingsSource: m.source } : {}) };
    });
    const groups: ScoreGroup[] = aggregateScores(scores, reference).map(({ epoch: _e, strength: _s, source, ...cell }) => ({ group: source, loras: scored.find((s) => s.group === source)?.loras ?? [], ...cell }));
    return {
      faceModel: summariseFaceModel(model),
      reference: summariseReference(reference),
      images: [...scored].sort((a, b) => rank(b) - rank(a)),
      groups: groups.sort((a, b) => b.effectiveLikeness - a.effectiveLikeness),
      findings: reference.findings,
    };
  } finally {
    if (!options.faceModel) await model.close();
  }
}
