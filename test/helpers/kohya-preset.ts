/** Turns an imported kohya_ss preset into the engine configuration tack would write, for tests. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BUILTIN_PRESETS, resolveTrainSettings, type Preset } from '../../src/engine/presets.js';
import type { TrainSettings } from '../../src/engine/settings.js';
import { buildEngineConfig } from '../../src/engine/sd-scripts/build-config.js';
import { checkEngineConfig } from '../../src/engine/sd-scripts/config-check.js';
import { FIXTURES } from './cli.js';

/** The real kohya_ss GUI files in test/fixtures/kohya_ss (provenance in its README.md). */
export const KOHYA_FIXTURES = path.join(FIXTURES, 'kohya_ss');

export async function readKohyaFixture(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(KOHYA_FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

/** A preset's settings over its built-in base, as `tack train` resolves them (no profile, no [train]). */
export function resolvedSettings(preset: Preset): TrainSettings {
  return resolveTrainSettings(preset, (n) => (n === preset.name ? preset : BUILTIN_PRESETS.find((p) => p.name === n)), undefined, {}).settings;
}

/** The engine configuration files for a small project trained with `preset`, and the engine check's errors. */
export function engineConfigFor(preset: Preset): { argsToml: string; datasetToml: string; errors: string[] } {
  const files = buildEngineConfig({
    outputName: 'z', baseModel: '/m.safetensors', imageDir: '/d/4_z woman', outputDir: '/o', samplePromptsFile: '/s.txt', classTokens: 'z woman', repeats: 4,
    buckets: { resolution: [1024, 1024], enableBucket: true, noUpscale: true, minReso: 256, maxReso: 2048, resoSteps: 64 }, batchSize: 1, gradientAccumulationSteps: 1,
    epochs: 10, totalSteps: 400, numProcesses: 1, sampleSampler: 'euler_a', settings: resolvedSettings(preset),
  });
  const check = checkEngineConfig({ argsToml: files.argsToml, datasetToml: files.datasetToml, argsFile: 'a', datasetFile: 'd' });
  const errors = [...files.notes, ...check.findings].filter((f) => f.severity === 'error').map((f) => `${f.code}: ${f.message}`);
  return { argsToml: files.argsToml, datasetToml: files.datasetToml, errors };
}
