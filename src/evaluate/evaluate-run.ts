/**
 * `tack evaluate`: scores every sample image of a run (the engine's per-epoch samples and any
 * sweep images) against the subject's photos, aggregates per epoch and strength, recommends
 * an epoch and strength, and writes runs/<id>/evaluation/evaluation.json. Face embeddings are
 * cached (photos in .tack/cache/faces, samples in the run's evaluation folder), so a rerun
 * after Ctrl-C or after more epochs only analyses new images.
 */
import path from 'node:path';
import { writeJsonAtomic, type Finding, type ProgressListener } from '../core/index.js';
import { listPhotos, photoPath } from '../dataset/index.js';
import type { Project } from '../project/index.js';
import { aggregateScores, type CellStats } from './aggregate.js';
import { annotateRunSamples } from './annotate.js';
import { evalErrors } from './errors.js';
import { analyseImages, type AnalyseItem } from './face-cache.js';
import { chooseFaceModel, type FaceModelChoice, type FaceModelOptions } from './face-model.js';
import { recommend, type Recommendation } from './recommend.js';
import { buildSubjectReference, type SubjectReference } from './reference.js';
import { readEvalRun, type EvalRun, type LossPoint } from './run-reader.js';
import type { SampleScore } from './score.js';
import { scoreImages, type ImageToScore } from './score-images.js';
import { listSweepImages } from './sweep-manifest.js';
import { summariseFaceModel, summariseReference, type FaceModelSummary, type ReferenceSummary } from './summary.js';

export const EVALUATION_FILE = 'evaluation.json';

export interface EvaluationReferencePhoto {
  readonly file: string;
  readonly status: string;
  readonly faces: number;
  readonly similarityToOthers?: number;
}

/** runs/<id>/evaluation/evaluation.json (documented in docs/evaluate.md). */
export interface Evaluation {
  readonly version: 1;
  readonly evaluatedAt: string;
  readonly project: { readonly root: string; readonly name: string; readonly token: string; readonly class: string };
  readonly run: {
    readonly id: string;
    readonly dir: string;
    readonly status: string;
    readonly outputName: string;
    readonly preset?: string;
    readonly baseModel?: string;
    readonly totalSteps?: number;
    readonly checkpoints: ReadonlyArray<{ readonly epoch: number; readonly file: string; readonly final: boolean }>;
  };
  readonly faceModel: FaceModelSummary;
  readonly settings: { readonly likenessThreshold: number; readonly copyThreshold: number };
  readonly reference: ReferenceSummary & {
    readonly centroidLength: number;
    readonly photos: readonly EvaluationReferencePhoto[];
  };
  readonly samples: readonly SampleScore[];
  readonly cells: readonly CellStats[];
  readonly recommendation: Recommendation;
  readonly loss: readonly LossPoint[];
  readonly prompts: EvalRun['prompts'];
  readonly findings: readonly Finding[];
}

export interface EvaluateRunOptions extends FaceModelOptions {
  readonly runId?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (phase: 'photos' | 'samples', event: Parameters<ProgressListener>[0]) => void;
  /** Write infotext into the engine's sample PNGs (default true). */
  readonly annotate?: boolean;
  /** Use this face model instead of the one [samples] chooses (tests, bench). */
  readonly faceModel?: FaceModelChoice;
}

function relative(root: string, file: string): string {
  const r = path.relative(root, file);
  return r.startsWith('..') ? file : r;
}

/** The run's embedding cache for sample images (one file per face model). */
export function runFaceCacheFile(run: Pick<EvalRun, 'evaluationDir'>, model: Pick<FaceModelChoice, 'modelId'>): string {
  return path.join(run.evaluationDir, `faces-${model.modelId}.json`);
}

/** The engine's samples and the sweep images of a run, as images to score (optionally one epoch's). */
export async function listRunImages(project: Project, run: EvalRun, epoch?: number): Promise<ImageToScore[]> {
  const sweeps = await listSweepImages(run.evaluationDir);
  const images: ImageToScore[] = [
    ...run.samples.map((s) => ({
      id: `sample/${path.basename(s.file)}`,
      path: s.file,
      epoch: s.epoch,
      strength: 1,
      promptIndex: s.promptIndex,
      ...(s.seed !== undefined ? { seed: s.seed } : {}),
      file: relative(project.paths.root, s.file),
      source: 'training',
    })),
    ...sweeps.map((s) => ({ id: `sweep/${s.backend}/${s.file}`, path: s.path, epoch: s.epoch, strength: s.strength, promptIndex: s.promptIndex, seed: s.seed, file: relative(project.paths.root, s.path), source: s.backend })),
  ];
  return epoch === undefined ? images : images.filter((i) => i.epoch === epoch);
}

/** Builds the reference from the project's photos (cached by content hash). */
export async function buildProjectReference(project: Project, model: FaceModelChoice, options: Pick<EvaluateRunOptions, 'signal' | 'onProgress'> = {}): Promise<SubjectReference> {
  const photos = await listPhotos(project.paths, options.signal);
  if (photos.length === 0) {
    throw evalErrors.create('EVAL_NO_PHOTOS', `${project.paths.photosDir} has no photos: likeness is measured against the subject's photos.`, `Add them with: tack add ${project.paths.root} <photos>`);
  }
  const items: AnalyseItem[] = photos.map((p) => ({ id: p.file, key: p.sha256, file: photoPath(project.paths, p) }));
  const analyses = await analyseImages(items, {
    cacheFile: path.join(project.paths.stateDir, 'cache', 'faces', `${model.modelId}.json`),
    modelId: model.modelId,
    getEmbedder: model.load,
    maxSide: 1600,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: (e) => options.onProgress?.('photos', e) } : {}),
  });
  const reference = buildSubjectReference(
    photos.map((p) => ({ file: p.file, analysis: analyses.get(p.file) as NonNullable<ReturnType<typeof analyses.get>> })),
    { modelId: model.modelId, calibration: model.calibration, sameShotSimilarity: project.config.samples.copy_threshold },
  );
  if (reference.usablePhotos === 0) {
    throw evalErrors.create('EVAL_NO_REFERENCE', `None of the ${photos.length} photos in ${project.paths.photosDir} has a single clear face.`, 'Likeness needs photos where the subject\'s face is visible; add some (tack add), or check tack doctor.', {
      details: { photos: photos.length },
    });
  }
  return reference;
}

export async function evaluateRun(project: Project, options: EvaluateRunOptions = {}): Promise<Evaluation> {
  const settings = project.config.samples;
  const run = await readEvalRun(project.paths, options.runId);
  const sweeps = await listSweepImages(run.evaluationDir);
  if (run.samples.length === 0 && sweeps.length === 0) {
    if (run.status === 'prepared') {
      throw evalErrors.create('EVAL_NO_SAMPLES', `Run ${run.id} has not been trained (status "prepared": written by tack train --dry-run, and not launched), so it has no sample images.`, `Train first: tack train ${project.paths.root}`, {
        details: { run: run.id, status: run.status },
      });
    }
    throw evalErrors.create('EVAL_NO_SAMPLES', `Run ${run.id} has no sample images (${path.join(run.dir, 'output', 'sample')} is empty).`, `Render them after training with: tack sweep ${project.paths.root} --run ${run.id}`, {
      details: { run: run.id },
    });
  }
  const model = options.faceModel ?? (await chooseFaceModel(settings, project.paths.root, options));
  try {
    const reference = await buildProjectReference(project, model, options);
    const scores = await scoreImages(model, reference, await listRunImages(project, run), {
      cacheFile: runFaceCacheFile(run, model),
      copyThreshold: settings.copy_threshold,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: (e) => options.onProgress?.('samples', e) } : {}),
    });
    const cells = aggregateScores(scores, reference);
    const recommendation = recommend({
      cells,
      threshold: settings.likeness_threshold,
      checkpoints: run.checkpoints.map((c) => ({ epoch: c.epoch, file: relative(project.paths.root, c.file) })),
      ...(run.totalSteps ? { totalSteps: run.totalSteps } : {}),
      referencePhotos: reference.usablePhotos,
    });
    const findings: Finding[] = [...reference.findings];
    if (options.annotate !== false) findings.push(...(await annotateRunSamples(project, run)));
    const evaluation: Evaluation = {
      version: 1,
      evaluatedAt: new Date().toISOString(),
      project: { root: project.paths.root, name: project.config.name, token: project.config.token, class: project.config.class },
      run: {
        id: run.id,
        dir: run.dir,
        status: run.status,
        outputName: run.outputName,
        ...(run.preset ? { preset: run.preset } : {}),
        ...(run.baseModel ? { baseModel: run.baseModel } : {}),
        ...(run.totalSteps ? { totalSteps: run.totalSteps } : {}),
        checkpoints: run.checkpoints.map((c) => ({ epoch: c.epoch, file: relative(project.paths.root, c.file), final: c.final })),
      },
      faceModel: summariseFaceModel(model),
      settings: { likenessThreshold: settings.likeness_threshold, copyThreshold: settings.copy_threshold },
      reference: {
        ...summariseReference(reference),
        centroidLength: reference.centroidLength,
        photos: reference.photos.map((p) => ({ file: p.file, status: p.status, faces: p.faces, ...(p.similarityToOthers !== undefined ? { similarityToOthers: p.similarityToOthers } : {}) })),
      },
      samples: scores,
      cells,
      recommendation,
      loss: run.loss,
      prompts: run.prompts,
      findings,
    };
    await writeJsonAtomic(path.join(run.evaluationDir, EVALUATION_FILE), evaluation);
    return evaluation;
  } finally {
    if (!options.faceModel) await model.close();
  }
}
