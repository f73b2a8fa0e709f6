/**
 * `tack doctor`: one report on the photos, their captions and the settings, with a verdict and
 * the photos that hurt most, worst first. Photo results come from the cache when unchanged.
 */
import path from 'node:path';
import { finding, pathExists, sortFindings, type Finding, type ProgressListener } from '../core/index.js';
import { checkPhotos, listPhotos, type DuplicateGroup, type PhotoReport } from '../dataset/index.js';
import { bucketOptionsFrom, buildProjectPlan, RECIPE_IMAGE_RANGE, type ProjectPlan } from '../plan/index.js';
import type { Project } from '../project/index.js';
import { surveyCaptions } from './captions.js';

export type DoctorVerdict = 'ready' | 'usable' | 'blocked';

export interface DoctorReport {
  readonly kind: 'doctor';
  readonly project: string;
  readonly verdict: DoctorVerdict;
  /** The verdict in a sentence. */
  readonly summary: string;
  readonly counts: {
    readonly photos: number;
    readonly ok: number;
    readonly check: number;
    readonly unusable: number;
    readonly captioned: number;
    readonly errors: number;
    readonly warnings: number;
    readonly infos: number;
  };
  /** Photos that hurt training, worst first, with the reasons in short. */
  readonly worst: ReadonlyArray<{ readonly file: string; readonly harm: number; readonly reasons: readonly string[] }>;
  readonly photos: readonly PhotoReport[];
  readonly duplicates: readonly DuplicateGroup[];
  /** Findings about the whole dataset and the settings (photo findings are in `photos`). */
  readonly findings: readonly Finding[];
  readonly plan: ProjectPlan;
  readonly durationMs: number;
}

export interface DoctorOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

const SHORT: Record<string, string> = {
  DOCTOR_UNREADABLE: 'unreadable',
  DOCTOR_BLURRY: 'blurry',
  DOCTOR_SOFT: 'soft',
  DOCTOR_LOW_RESOLUTION: 'low resolution',
  DOCTOR_SMALL: 'small',
  DOCTOR_NEAR_DUPLICATE: 'near-duplicate',
  DOCTOR_DUPLICATE: 'duplicate',
  DOCTOR_DARK: 'dark',
  DOCTOR_OVEREXPOSED: 'overexposed',
  DOCTOR_GRAYSCALE: 'black-and-white',
  DOCTOR_HEAVY_CROP: 'heavily cropped',
  DOCTOR_TRANSPARENT: 'transparent',
  DOCTOR_ANIMATED: 'animated',
};

async function settingsFindings(project: Project): Promise<Finding[]> {
  const out: Finding[] = [...project.findings];
  const model = project.config.base_model;
  if (!model) {
    out.push(finding('info', 'DOCTOR_NO_BASE_MODEL', 'No base model set yet (base_model in tack.toml).', { subject: 'base_model', fix: 'Set it to your Pony Realism / Pony Diffusion V6 XL .safetensors before training.' }));
  } else if (!(await pathExists(path.resolve(project.paths.root, model)))) {
    out.push(finding('warning', 'DOCTOR_BASE_MODEL_MISSING', `The base model ${model} does not exist.`, { subject: 'base_model', fix: 'Fix the path in tack.toml (relative paths start at the project folder).' }));
  }
  return out;
}

function datasetFindings(usable: number, photos: number, captioned: number, missing: readonly string[]): Finding[] {
  const out: Finding[] = [];
  if (photos === 0) {
    out.push(finding('error', 'DOCTOR_NO_PHOTOS', 'The project has no photos.', { fix: 'Add photos with: tack add <project> <photos or folders>' }));
  } else if (usable < RECIPE_IMAGE_RANGE.min) {
    out.push(
      finding('warning', 'DOCTOR_FEW_PHOTOS', `${usable} usable photos, fewer than the recipe's ${RECIPE_IMAGE_RANGE.min}-${RECIPE_IMAGE_RANGE.max}.`, {
        fix: 'Add sharp, well-lit photos in varied framing (face, half body, full body); with few photos the LoRA copies them.',
      }),
    );
  } else if (usable > RECIPE_IMAGE_RANGE.max) {
    out.push(finding('info', 'DOCTOR_MANY_PHOTOS', `${usable} photos, more than the recipe's ${RECIPE_IMAGE_RANGE.max}: fine if all are good; quality beats quantity.`, { fix: 'Drop the weakest (listed first).' }));
  }
  if (photos > 0 && captioned === 0) {
    out.push(finding('info', 'DOCTOR_NO_CAPTIONS', 'No captions yet: every photo would train with just the trigger and class word.', { fix: 'Caption them: tack caption <project>' }));
  } else if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, and ${missing.length - 5} more` : '');
    out.push(
      finding('warning', 'DOCTOR_CAPTIONS_MISSING', `${missing.length} photos have no caption file (${shown}): they train with the trigger and class word only.`, {
        fix: 'Run tack caption <project> (it keeps existing captions) or write captions/<photo name>.txt.',
        data: { files: missing },
      }),
    );
  }
  return out;
}

export async function runDoctor(project: Project, options: DoctorOptions = {}): Promise<DoctorReport> {
  const started = Date.now();
  const photos = await listPhotos(project.paths, options.signal);
  const checked = await checkPhotos(project.paths, photos, {
    buckets: bucketOptionsFrom(project.config.buckets),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const captions = await surveyCaptions(project, photos);
  const reports = checked.photos.map((r) => {
    const extra = captions.byPhoto.get(r.file);
    return extra ? { ...r, findings: [...r.findings, ...extra] } : r;
  });
  const usable = reports.filter((r) => r.verdict !== 'unusable');
  const plan = buildProjectPlan({ plan: project.config.plan, buckets: project.config.buckets, sizes: usable.flatMap((r) => (r.size ? [r.size] : [])) });
  const findings = sortFindings([
    ...datasetFindings(usable.length, photos.length, captions.captioned, captions.missing),
    ...(await settingsFindings(project)),
    ...plan.findings.filter((f) => f.code === 'PLAN_BAD_BUCKETS'),
  ]);
  const all = [...findings, ...reports.flatMap((r) => r.findings)];
  const errors = all.filter((f) => f.severity === 'error').length;
  const warnings = all.filter((f) => f.severity === 'warning').length;
  const worst = reports
    .filter((r) => r.harm > 0)
    .sort((a, b) => b.harm - a.harm || a.file.localeCompare(b.file))
    .map((r) => ({ file: r.file, harm: r.harm, reasons: [...new Set(r.findings.map((f) => SHORT[f.code]).filter((x): x is string => Boolean(x)))] }));
  const verdict: DoctorVerdict = errors > 0 ? 'blocked' : warnings > 0 ? 'usable' : 'ready';
  const summary =
    verdict === 'blocked'
      ? `Not ready: ${errors} problem${errors === 1 ? '' : 's'} to fix before training (marked ERROR).`
      : verdict === 'usable'
        ? worst.length > 0
          ? `Usable, but ${worst.length} photo${worst.length === 1 ? '' : 's'} would hurt the likeness: fix or drop ${worst.length === 1 ? 'it' : 'them'} (worst first below).`
          : `Usable, with ${warnings} warning${warnings === 1 ? '' : 's'} to look at.`
        : `Ready: ${usable.length} photos, nothing that would hurt training.`;
  return {
    kind: 'doctor',
    project: project.paths.root,
    verdict,
    summary,
    counts: {
      photos: photos.length,
      ok: reports.filter((r) => r.verdict === 'ok').length,
      check: reports.filter((r) => r.verdict === 'check').length,
      unusable: reports.filter((r) => r.verdict === 'unusable').length,
      captioned: captions.captioned,
      errors,
      warnings,
      infos: all.length - errors - warnings,
    },
    worst,
    photos: reports,
    duplicates: checked.duplicates,
    findings,
    plan,
    durationMs: Date.now() - started,
  };
}
