/**
 * A tack project with a finished training run laid out as the run contract says (run.json,
 * config/sample_prompts.txt, metrics.jsonl, output/<name>-00000N.safetensors, the final
 * <name>.safetensors, output/sample/<name>_e00000N_0P_<timestamp>_<seed>.png), whose sample
 * images have faces of known identity: the subject's photos are person A's first photo (three
 * edited copies, one shot), and each epoch's samples are chosen per test.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { initProject } from '../../src/project/index.js';
import { editedFace, facePhoto, noFaceImage, type FaceEdit, type FacePhoto } from './faces.js';

export const RUN_ID = '20260301-120000';
export const SEEDS = [3281991511, 3281991512];

/** What an epoch's samples show: a face of one of the fixture photos, or no face. */
export type SampleContent = { readonly photo: FacePhoto; readonly edit: FaceEdit } | 'no-face';

export async function sampleImage(content: SampleContent, width = 512, height = 768): Promise<Buffer> {
  if (content === 'no-face') return noFaceImage(width, height);
  const face = await editedFace(content.photo, content.edit, { maxSide: 1600 });
  return sharp(face).resize(width, height, { fit: 'cover', position: 'north' }).png().toBuffer();
}

export interface EvalProjectOptions {
  /** epochs[e - 1] = the two samples (prompt 0 and 1) of epoch e. */
  readonly epochs: ReadonlyArray<readonly [SampleContent, SampleContent]>;
  readonly name?: string;
}

export async function makeEvalProject(root: string, options: EvalProjectOptions): Promise<{ root: string; runDir: string; name: string }> {
  const name = options.name ?? 'my-lora';
  await initProject(root, { token: 'xanrms', className: 'man', name, settings: { preset: 'pony-realism', base_model: 'models/ponyRealism.safetensors' } });
  // The subject: three edited copies of person A's first photo.
  for (const edit of ['original', 'crop', 'colour'] as const) {
    await writeFile(path.join(root, 'photos', `a1-${edit}.jpg`), await sharp(await editedFace('person-a-1', edit, { maxSide: 900 })).jpeg({ quality: 92 }).toBuffer());
  }
  const runDir = path.join(root, 'runs', RUN_ID);
  const out = path.join(runDir, 'output');
  await mkdir(path.join(out, 'sample'), { recursive: true });
  await mkdir(path.join(runDir, 'config'), { recursive: true });
  const epochs = options.epochs.length;
  await writeFile(
    path.join(runDir, 'run.json'),
    JSON.stringify({ version: 1, id: RUN_ID, project: name, createdAt: '2026-03-01T12:00:00.000Z', status: 'succeeded', outputName: name, preset: { name: 'pony-realism' }, plan: { epochs, totalSteps: epochs * 100 }, baseModel: 'models/ponyRealism.safetensors' }, null, 2),
  );
  await writeFile(
    path.join(runDir, 'config', 'sample_prompts.txt'),
    [
      '# sd-scripts sample prompts written by tack (one per line)',
      `score_9, score_8_up, score_7_up, score_6_up, score_5_up, score_4_up, xanrms man, portrait, close-up --n score_1, score_2, score_3, text --w 512 --h 768 --d ${SEEDS[0]} --l 6 --s 30 --ss k_dpm_2_a`,
      `score_9, score_8_up, score_7_up, score_6_up, score_5_up, score_4_up, xanrms man, mid-shot, office --n score_1, score_2, score_3, text --w 512 --h 768 --d ${SEEDS[1]} --l 6 --s 30 --ss k_dpm_2_a`,
      '',
    ].join('\n'),
  );
  const metrics: string[] = [];
  for (let step = 1; step <= epochs * 100; step += 10) metrics.push(JSON.stringify({ time: '2026-03-01T12:00:00Z', step, totalSteps: epochs * 100, epoch: Math.ceil(step / 100), loss: 0.12 - step * 0.0001, itPerSec: 1.5 }));
  metrics.push(JSON.stringify({ time: '2026-03-01T12:00:00Z', kind: 'epoch', epoch: 1 }));
  await writeFile(path.join(runDir, 'metrics.jsonl'), `${metrics.join('\n')}\n`);
  for (let e = 1; e <= epochs; e++) {
    const file = e === epochs ? `${name}.safetensors` : `${name}-${String(e).padStart(6, '0')}.safetensors`;
    await writeFile(path.join(out, file), Buffer.from(`lora for epoch ${e}`));
    const pair = options.epochs[e - 1] as readonly [SampleContent, SampleContent];
    for (let p = 0; p < 2; p++) {
      const sample = `${name}_e${String(e).padStart(6, '0')}_${String(p).padStart(2, '0')}_2026030112${String(e).padStart(2, '0')}00_${SEEDS[p]}.png`;
      await writeFile(path.join(out, 'sample', sample), await sampleImage(pair[p] as SampleContent));
    }
  }
  return { root, runDir, name };
}

export { facePhoto };
