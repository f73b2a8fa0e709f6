/**
 * Writes A1111-style infotext into the engine's sample PNGs (sd-scripts saves them without any
 * settings), so a user can drop a sample into A1111 / Forge and get its prompt, negative,
 * steps, CFG, size and the epoch's LoRA tag back. Only tack's own run outputs are touched,
 * atomically, pixels unchanged; samples that already carry infotext are left alone.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { finding, writeFileAtomic, type Finding } from '../core/index.js';
import type { Project } from '../project/index.js';
import { buildSampleInfotext, readPngText, writePngText } from '../prompt/index.js';
import type { EvalRun } from './run-reader.js';

export async function annotateRunSamples(project: Project, run: EvalRun): Promise<Finding[]> {
  let failed = 0;
  const model = run.baseModel ? path.parse(run.baseModel).name : undefined;
  for (const sample of run.samples) {
    const line = run.prompts[sample.promptIndex];
    if (!line) continue;
    let bytes: Buffer;
    try {
      bytes = await fsp.readFile(sample.file);
      if (readPngText(bytes, sample.file).parameters !== undefined) continue;
    } catch {
      // Not a complete PNG (still being written, or damaged): leave it as it is.
      failed++;
      continue;
    }
    const checkpoint = run.checkpoints.find((c) => c.epoch === sample.epoch);
    const text = buildSampleInfotext({
      prompt: line.prompt,
      ...(line.negative ? { negative: line.negative } : {}),
      ...(line.steps ? { steps: line.steps } : {}),
      sampler: line.sampler ?? project.config.samples.sampler,
      ...(line.cfg ? { cfg: line.cfg } : {}),
      ...(sample.seed !== undefined ? { seed: sample.seed } : line.seed !== undefined ? { seed: line.seed } : {}),
      ...(line.width && line.height ? { width: line.width, height: line.height } : {}),
      ...(checkpoint ? { lora: { name: path.parse(checkpoint.file).name, strength: 1 } } : {}),
      ...(model ? { model } : {}),
      source: sample.epoch === 0 ? 'sd-scripts sample before training' : `sd-scripts sample, epoch ${sample.epoch}`,
    });
    await writeFileAtomic(sample.file, writePngText(bytes, { parameters: text }, sample.file));
  }
  return failed > 0
    ? [finding('info', 'EVAL_SAMPLES_NOT_ANNOTATED', `${failed} sample image(s) could not be read as complete PNGs, so no infotext was written into them.`, { subject: path.relative(project.paths.root, run.dir) })]
    : [];
}
