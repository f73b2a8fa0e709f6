/**
 * Likeness scored while a run trains: the subject's face reference is built from the project's
 * photos once, then each epoch's samples are scored as soon as the epoch has all of them (or a
 * later epoch has begun, or the run has ended). Scores go to runs/<id>/evaluation/live.json
 * (so a page opened later shows them) and to `onEpoch`. Face embeddings land in the same cache
 * `tack evaluate` uses, so the full evaluation at the end only analyses what is new.
 * Uses the evaluation module through its public surface only.
 */
import path from 'node:path';
import { sleep, throwIfCancelled, writeJsonAtomic, type Finding } from '../core/index.js';
import { aggregateScores, buildProjectReference, chooseFaceModel, listRunImages, readEvalRun, runFaceCacheFile, scoreImages, type CellStats, type FaceModelChoice, type SampleScore } from '../evaluate/index.js';
import type { Project } from '../project/index.js';
import type { RunStatus } from '../run/index.js';

export const LIVE_LIKENESS_FILE = 'live.json';

export interface EpochLikeness extends CellStats {
  readonly scoredAt: string;
  readonly scores: readonly SampleScore[];
}

/** runs/<id>/evaluation/live.json. */
export interface LiveLikeness {
  readonly version: 1;
  readonly run: string;
  readonly faceModel: string;
  readonly reference: { readonly usablePhotos: number; readonly selfSimilarity: number; readonly strangerSimilarity: number };
  readonly epochs: readonly EpochLikeness[];
  readonly runStatus: RunStatus;
  readonly findings: readonly Finding[];
}

export interface FollowLikenessOptions {
  readonly runId: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  /** How often the run folder is looked at (default 1 s). */
  readonly pollMs?: number;
  readonly onEpoch?: (epoch: EpochLikeness) => void;
  /** Use this face model instead of the one [samples] chooses (tests). */
  readonly faceModel?: FaceModelChoice;
}

/** Follows run `runId` until it ends and every epoch with samples is scored. */
export async function followRunLikeness(project: Project, options: FollowLikenessOptions): Promise<LiveLikeness> {
  const settings = project.config.samples;
  const model = options.faceModel ?? (await chooseFaceModel(settings, project.paths.root, { ...(options.env ? { env: options.env } : {}), ...(options.signal ? { signal: options.signal } : {}) }));
  const scored = new Map<number, EpochLikeness>();
  try {
    const reference = await buildProjectReference(project, model, options.signal ? { signal: options.signal } : {});
    let live: LiveLikeness | undefined;
    for (;;) {
      const run = await readEvalRun(project.paths, options.runId);
      const perEpoch = Math.max(1, run.prompts.length);
      const epochs = [...new Set(run.samples.map((s) => s.epoch))].sort((a, b) => a - b);
      const running = run.status === 'running';
      for (const epoch of epochs) {
        if (scored.has(epoch)) continue;
        const samples = run.samples.filter((s) => s.epoch === epoch);
        const complete = samples.length >= perEpoch || !running || epochs.some((e) => e > epoch);
        if (!complete) continue;
        throwIfCancelled(options.signal);
        // The same images, cache and keys as `tack evaluate`, so the evaluation at the end finds
        // these faces already analysed.
        const images = (await listRunImages(project, run, epoch)).filter((image) => image.source === 'training');
        const scores = await scoreImages(model, reference, images, {
          cacheFile: runFaceCacheFile(run, model),
          copyThreshold: settings.copy_threshold,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        const cell = aggregateScores(scores, reference)[0] as CellStats;
        const entry: EpochLikeness = { ...cell, scoredAt: new Date().toISOString(), scores };
        scored.set(epoch, entry);
        options.onEpoch?.(entry);
      }
      live = {
        version: 1,
        run: run.id,
        faceModel: model.modelId,
        reference: { usablePhotos: reference.usablePhotos, selfSimilarity: reference.selfSimilarity, strangerSimilarity: reference.strangerSimilarity },
        epochs: [...scored.values()].sort((a, b) => a.epoch - b.epoch),
        runStatus: run.status,
        findings: reference.findings,
      };
      await writeJsonAtomic(path.join(run.evaluationDir, LIVE_LIKENESS_FILE), live, { durable: false });
      const done = !running && epochs.every((e) => scored.has(e));
      if (done || options.signal?.aborted) return live;
      await sleep(options.pollMs ?? 1000, options.signal);
    }
  } finally {
    if (!options.faceModel) await model.close();
  }
}
