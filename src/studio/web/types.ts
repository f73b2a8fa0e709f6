/**
 * The documents the pages read: the same JSON the CLI prints with --json (docs/json.md and the
 * pages it links to). Types the library declares are imported from it (type-only: nothing of
 * the library is bundled into the page); the rest types only the fields the pages use.
 */
import type { Finding } from '../../core/index.js';
import type { BucketAssignment } from '../../dataset/index.js';
import type { CellStats, Recommendation, SampleScore } from '../../evaluate/index.js';
import type { JobEvent, JobProgress, JobStatus } from '../../jobs/index.js';
import type { ProjectPlan } from '../../plan/index.js';

export type { BucketAssignment, CellStats, Finding, JobEvent, JobProgress, JobStatus, Recommendation, SampleScore };
export type Size = readonly [number, number];

export interface ErrorDoc {
  readonly code: string;
  readonly category?: string;
  readonly message: string;
  readonly hint: string;
}

export interface Job {
  readonly id: number;
  readonly kind: string;
  readonly project: string | null;
  readonly machine: string;
  readonly resource: 'gpu' | 'cpu';
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly title: string;
  readonly origin: string;
  readonly status: JobStatus;
  readonly statusReason?: string;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly progress: JobProgress | null;
  readonly result?: unknown;
  readonly error: ErrorDoc | null;
  readonly runId: string | null;
}

export interface ProjectSummary {
  readonly id: string;
  readonly dir: string;
  readonly name: string;
  readonly token?: string;
  readonly class?: string;
  readonly captioner?: string;
  readonly preset?: string;
  readonly baseModel?: string;
  readonly photos?: number;
  readonly runs?: number;
  readonly lastRun?: { readonly id: string; readonly status: string; readonly createdAt: string } | null;
  readonly activeJobs: ReadonlyArray<{ readonly id: number; readonly kind: string; readonly status: JobStatus; readonly progress: JobProgress | null; readonly runId: string | null }>;
  readonly error: ErrorDoc | null;
}

export interface PhotoReport {
  readonly file: string;
  readonly verdict: 'ok' | 'check' | 'unusable';
  readonly harm: number;
  readonly findings: readonly Finding[];
  readonly format?: string;
  readonly size?: Size;
  readonly bucket?: BucketAssignment;
  readonly stats?: { readonly sharpness: number; readonly meanLuma: number };
}

export interface DoctorDoc {
  readonly kind: 'doctor';
  readonly verdict: 'ready' | 'usable' | 'blocked';
  readonly summary: string;
  readonly counts: Readonly<Record<string, number>>;
  readonly photos: readonly PhotoReport[];
  readonly duplicates: ReadonlyArray<{ readonly kind: 'exact' | 'near'; readonly files: readonly string[]; readonly keep: string }>;
  readonly findings: readonly Finding[];
}

export interface PhotoItem {
  readonly file: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly format: string | null;
  readonly width: number | null;
  readonly height: number | null;
}

export interface PhotosDoc {
  readonly kind: 'photos';
  readonly photos: readonly PhotoItem[];
  readonly doctor: DoctorDoc | null;
  readonly doctorFresh: boolean;
  readonly doctorJob: Job | null;
}

export interface CaptionItem {
  readonly photo: string;
  readonly sha256: string;
  readonly caption: string;
  readonly text: string | null;
  readonly training: { readonly text: string; readonly changes: readonly string[] };
  readonly findings: readonly Finding[];
}

export interface CaptionsDoc {
  readonly kind: 'captions';
  readonly token: string;
  readonly class: string;
  readonly captioner: 'wd14' | 'sentence' | 'none';
  readonly captions: readonly CaptionItem[];
}

export interface TagsDoc {
  readonly kind: 'tags';
  readonly captions: number;
  readonly photosWithoutCaption: readonly string[];
  readonly tags: ReadonlyArray<{ readonly tag: string; readonly count: number; readonly share: number }>;
}

export type PlanDoc = ProjectPlan & {
  readonly kind: 'plan';
  readonly settings: Readonly<Record<string, number>>;
  readonly folder?: string;
  readonly excludedPhotos?: number;
  readonly explanation: readonly string[];
};

export interface RunOutcome {
  readonly kind: 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
  readonly reason?: string;
  readonly message: string;
  readonly hint?: string;
  readonly lastLines?: readonly string[];
}

export interface RunJson {
  readonly id: string;
  readonly dir: string;
  readonly status: string;
  readonly createdAt: string;
  readonly preset: string;
  readonly plan: { readonly totalSteps: number; readonly epochs: number; readonly images: number; readonly repeats: number; readonly batchSize: number };
  readonly progress: { readonly step: number; readonly totalSteps: number; readonly epoch: number; readonly totalEpochs: number; readonly loss: number | null; readonly itPerSec: number | null; readonly phase: string } | null;
  readonly outcome: RunOutcome | null;
  readonly durationMs: number | null;
  readonly finalLoss: number | null;
  readonly checkpoints: ReadonlyArray<{ readonly epoch: number; readonly final: boolean; readonly file: string; readonly sizeBytes: number }>;
  readonly samples: ReadonlyArray<{ readonly epoch: number; readonly promptIndex: number; readonly seed: number | null; readonly file: string }>;
}

export interface Evaluation {
  readonly run: { readonly id: string; readonly status: string };
  readonly reference: { readonly usablePhotos: number; readonly selfSimilarity: number; readonly strangerSimilarity: number };
  readonly samples: readonly SampleScore[];
  readonly cells: readonly CellStats[];
  readonly recommendation: Recommendation;
  readonly findings: readonly Finding[];
}

export interface LiveLikeness {
  readonly run: string;
  readonly epochs: ReadonlyArray<CellStats & { readonly scoredAt: string; readonly scores: readonly SampleScore[] }>;
  readonly runStatus: string;
}
