import path from 'node:path';
import { pathExists, readJson, sortFindings, writeJsonAtomic } from '../../core/index.js';
import {
  describeKohyaFile,
  exportKohyaPreset,
  findPreset,
  GPU_PROFILES,
  importKohyaPreset,
  listPresets,
  presetChain,
  presetDir,
  presetErrors,
  resolveTrainSettings,
  savePreset,
  SOURCE_WORDS,
  type KohyaExportPlan,
} from '../../engine/index.js';
import { loadProject, type Project } from '../../project/index.js';
import { buildSamplePrompts, formatSdScriptsPromptFile } from '../../prompt/index.js';
import { stringOption, type CommandSpec } from '../command.js';
import { formatFinding, formatTable } from '../render.js';

export const presetListCommand: CommandSpec = {
  name: 'preset list',
  summary: 'List the training presets (built-in and saved) and the GPU memory profiles',
  usage: 'preset list [--json]',
  details: `Built-in presets: pony-realism (the recipe) and sdxl (sd-scripts' own SDXL LoRA example).
Saved presets (tack preset import) live in ${presetDir({ HOME: '~' })} ($TACK_CONFIG_DIR changes it).`,
  json: true,
  async run(ctx) {
    const presets = await listPresets(ctx.env);
    if (ctx.json) {
      ctx.printJson({
        kind: 'preset-list',
        presets: presets.map((p) => ({ name: p.name, builtin: p.builtin, basedOn: p.basedOn ?? null, description: p.description })),
        gpuProfiles: GPU_PROFILES.map((g) => ({ name: g.name, minMemoryGiB: g.minMemoryGiB, maxBatchSize: g.maxBatchSize, values: g.values, why: g.why })),
        folder: presetDir(ctx.env),
      });
      return;
    }
    ctx.print(formatTable(['preset', 'kind', 'description'], presets.map((p) => [p.name, p.builtin ? 'built-in' : 'saved', p.description])));
    ctx.print();
    ctx.print('GPU profiles (chosen from the GPU memory, or [train] gpu_profile):');
    for (const g of GPU_PROFILES) {
      const changes = Object.entries(g.values).map(([k, v]) => `${k}=${String(v)}`).join(', ');
      ctx.print(`  ${g.name.padEnd(5)} >= ${String(g.minMemoryGiB).padStart(2)} GiB  batch <= ${g.maxBatchSize}  ${changes}`);
      ctx.print(`        ${g.why}`);
    }
  },
};

export const presetShowCommand: CommandSpec = {
  name: 'preset show',
  summary: 'Show every value of a preset with the reason and source of each',
  usage: 'preset show <name> [--json]',
  positionals: [{ name: 'name', required: true, description: 'A preset name (tack preset list).' }],
  json: true,
  async run(ctx, { positionals }) {
    const { preset, lookup } = await findPreset(positionals[0] as string, ctx.env);
    const resolved = resolveTrainSettings(preset, lookup, undefined, {});
    if (ctx.json) {
      ctx.printJson({ kind: 'preset', name: preset.name, builtin: preset.builtin, basedOn: preset.basedOn ?? null, description: preset.description, settings: resolved.settings, decisions: resolved.decisions, planHints: preset.planHints ?? null, importedFrom: preset.importedFrom ?? null });
      return;
    }
    ctx.print(`${preset.name}${preset.builtin ? ' (built-in)' : ' (saved)'}: ${preset.description}`);
    ctx.print(`  based on: ${presetChain(preset, lookup).map((p) => p.name).join(' <- ')}`);
    ctx.print();
    for (const d of resolved.decisions) {
      const value = Array.isArray(d.value) ? (d.value.length ? d.value.join(' ') : '(none)') : String(d.value);
      ctx.print(`  ${d.key.padEnd(27)} ${value.padEnd(12)} ${d.layer}${d.reason ? `: ${d.reason.why} [${SOURCE_WORDS[d.reason.source]}]` : ''}`);
    }
    if (preset.planHints) {
      ctx.print();
      ctx.print('From the imported file, for tack.toml [plan]/[buckets] (not applied automatically):');
      for (const [k, v] of Object.entries(preset.planHints)) ctx.print(`  ${k} = ${String(v)}`);
    }
    ctx.print();
    ctx.print('GPU profiles adjust memory settings on top of this; [train] in tack.toml overrides both.');
  },
};

function presetNameFromFile(file: string): string {
  const stem = path.basename(file).replace(/\.json$/i, '');
  const name = stem.replace(/[^a-z0-9._-]+/gi, '-').replace(/^[^a-z0-9]+/i, '').slice(0, 64);
  return name || 'imported';
}

export const presetImportCommand: CommandSpec = {
  name: 'preset import',
  summary: 'Import a kohya_ss GUI SDXL LoRA preset (.json) and report what changed and every pitfall it carried',
  usage: 'preset import <kohya.json> [--name <name>] [--force] [--json]',
  details: `Reads a preset saved by the kohya_ss GUI (LoRA tab > Configuration, or presets/lora/*.json),
maps each key to tack's settings and saves it as a tack preset. Files of the GUI's other tabs
(Textual Inversion, DreamBooth, fine-tuning), LyCORIS and other non-LoRA networks, and presets
for other model families (Flux.1, SD3, SD 1.x) are recognised and refused by name. A value the
GUI treats as off (0, "" or false, which it never passes to the engine) is imported as what the
engine then does, never as 0. It reports, key by key, what was
imported, converted, moved to [plan]/[buckets] hints or dropped, and the pitfalls in the file:
network_alpha 0 (the GUI drops it: the engine trains with alpha 1), clip_skip on SDXL (no
effect, but written into the LoRA metadata), max_train_steps caps such as 1600, a text-encoder
learning rate of 0 (U-Net only), seed 0 (random), text-encoder caching while training them,
a bucket_reso_steps SDXL refuses (not a multiple of 32: the [buckets] hint is corrected).
Use it with: preset = "<name>" in tack.toml, or tack train <project> --preset <name>. Example:
  tack preset import "SDXL - LoRA AI_Now ADamW v1.0.json" --name ai-now`,
  positionals: [{ name: 'file', required: true, description: 'The kohya_ss GUI preset JSON.' }],
  options: {
    name: { type: 'string', value: '<name>', description: 'Name of the tack preset (default: from the file name).' },
    force: { type: 'boolean', description: 'Replace a saved preset with the same name.' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const file = path.resolve(ctx.cwd, positionals[0] as string);
    const name = stringOption(values, 'name') ?? presetNameFromFile(file);
    let json: unknown;
    try {
      json = await readJson<unknown>(file);
    } catch (error) {
      if ((error as { code?: string }).code === 'CORE_BAD_JSON') {
        throw presetErrors.create('PRESET_BAD_FILE', `${file} is not valid JSON.`, 'Export the preset again from the kohya_ss GUI.', { details: { file } });
      }
      throw error;
    }
    const result = importKohyaPreset(json, { name, file: path.basename(file) });
    const saved = await savePreset(result.preset, ctx.env, { overwrite: Boolean(values.force) });
    const pitfalls = sortFindings(result.findings);
    if (ctx.json) {
      ctx.printJson({ kind: 'preset-import', name, file: saved, recognised: result.recognised, values: result.preset.values, planHints: result.preset.planHints ?? null, changes: result.changes, findings: pitfalls });
      return;
    }
    ctx.print(`Imported ${path.basename(file)} as preset "${name}" (${saved}).`);
    ctx.print(`It is ${describeKohyaFile(result.recognised)}${result.recognised.evidence.length ? ` (${result.recognised.evidence.join(', ')})` : ''}.`);
    const shown = result.changes.filter((c) => c.action !== 'ignored');
    if (shown.length) {
      ctx.print();
      ctx.print(formatTable(['kohya key', 'value', 'became', 'note'], shown.map((c) => [c.key, JSON.stringify(c.guiValue) ?? '', c.action === 'dropped' ? 'dropped' : (c.result ?? c.action), c.note ?? ''])));
    }
    const ignored = result.changes.filter((c) => c.action === 'ignored').length;
    if (ignored) ctx.print(`  (${ignored} more keys ignored: project paths, machine settings, values that are off; --json lists them)`);
    if (pitfalls.length) {
      ctx.print();
      ctx.print('Pitfalls found in the file:');
      for (const f of pitfalls) ctx.print(formatFinding(f));
    }
    ctx.print();
    ctx.print(`Use it: set preset = "${name}" in tack.toml, or tack train <project> --preset ${name}`);
  },
};

async function exportPlan(project: Project | undefined): Promise<{ plan: KohyaExportPlan; from: string }> {
  if (!project) {
    return {
      plan: { epochs: 6, batchSize: 2, gradientAccumulationSteps: 1, resolution: [1024, 1024], enableBucket: true, bucketNoUpscale: false, minBucketReso: 256, maxBucketReso: 2048, bucketResoSteps: 64 },
      from: 'the recipe (6 epochs at batch 2, 1024 buckets); pass --project to use a project\'s plan',
    };
  }
  const c = project.config;
  const r = c.buckets.resolution;
  const prompts = buildSamplePrompts(c);
  const images = (await readJson<{ images?: unknown[]; repeats?: number } | null>(project.paths.manifestFile, null))?.images?.length ?? 0;
  const epochs = c.plan.epochs ?? (images ? Math.max(1, Math.ceil(c.plan.target_steps / ((images * Math.max(1, Math.ceil(c.plan.target_image_repeats / images))) / c.plan.batch_size / c.plan.gradient_accumulation_steps))) : 6);
  return {
    plan: {
      epochs,
      batchSize: c.plan.batch_size,
      gradientAccumulationSteps: c.plan.gradient_accumulation_steps,
      resolution: typeof r === 'number' ? [r, r] : [r[0], r[1]],
      enableBucket: c.buckets.enable_bucket,
      bucketNoUpscale: c.buckets.bucket_no_upscale,
      minBucketReso: c.buckets.min_bucket_reso,
      maxBucketReso: c.buckets.max_bucket_reso,
      bucketResoSteps: c.buckets.bucket_reso_steps,
      samplePrompts: formatSdScriptsPromptFile(prompts).split('\n').filter((l) => l && !l.startsWith('#')).join('\n'),
      sampleSampler: prompts[0]?.sampler ?? 'euler_a',
    },
    from: `project ${c.name}`,
  };
}

export const presetExportCommand: CommandSpec = {
  name: 'preset export',
  summary: 'Write a preset as a kohya_ss GUI LoRA preset JSON the GUI loads',
  usage: 'preset export <name> <out.json> [--project <dir>] [--force] [--json]',
  details: `Writes every key of the kohya_ss LoRA tab (the GUI keeps its current form value for any key a
preset leaves out, e.g. its 1600-step cap), sorted, as the GUI saves them. Values survive the GUI's
habit of dropping zeros: clip_skip 0 (SDXL ignores it), max_train_steps 0 with the epochs set,
an explicit alpha and seed. With --project, that project's [train] overrides, plan, buckets and
sample prompts are included. Example:
  tack preset export pony-realism pony-realism.json --project my-lora`,
  positionals: [
    { name: 'name', required: true, description: 'The preset to export.' },
    { name: 'file', required: true, description: 'The JSON file to write.' },
  ],
  options: {
    project: { type: 'string', value: '<dir>', description: 'Include this project\'s [train] overrides, plan, buckets and sample prompts.' },
    force: { type: 'boolean', description: 'Replace the file if it exists.' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const projectDir = stringOption(values, 'project');
    const project = projectDir ? await loadProject(path.resolve(ctx.cwd, projectDir), { tokenize: false }) : undefined;
    const { preset, lookup } = await findPreset(positionals[0] as string, ctx.env);
    const file = path.resolve(ctx.cwd, positionals[1] as string);
    if (!values.force && (await pathExists(file))) {
      throw presetErrors.create('PRESET_EXISTS', `${file} already exists.`, 'Pass --force to replace it.', { details: { file } });
    }
    const resolved = resolveTrainSettings(preset, lookup, undefined, project ? project.config.train : {});
    const { plan, from } = await exportPlan(project);
    const { json, notes } = exportKohyaPreset(resolved.settings, plan);
    await writeJsonAtomic(file, json);
    if (ctx.json) {
      ctx.printJson({ kind: 'preset-export', name: preset.name, file, keys: Object.keys(json).length, planFrom: from, notes });
      return;
    }
    ctx.print(`Wrote ${file}: preset ${preset.name} as a kohya_ss GUI LoRA preset (${Object.keys(json).length} keys; epochs and batch from ${from}).`);
    for (const n of notes) ctx.print(`  note: ${n}`);
    ctx.print('Load it in the GUI: LoRA tab > Configuration > open the file, then set the folders and the base model.');
  },
};
