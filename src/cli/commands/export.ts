import path from 'node:path';
import { formatBytes } from '../../core/index.js';
import { prepareDataset } from '../../pipeline/index.js';
import { loadProject, TRAIN_DEVICES } from '../../project/index.js';
import { exportBundle } from '../../run/index.js';
import { choiceOption, requireOption, stringOption, type CommandSpec } from '../command.js';
import { formatFinding } from '../render.js';

export const exportCommand: CommandSpec = {
  name: 'export',
  summary: 'Write a zip to train on any Linux machine with sd-scripts (e.g. a rented GPU)',
  usage: 'export <project> --bundle <out.zip> [--gpu-profile 8gb|12gb|16gb|24gb] [--device cuda|mps|cpu] [--preset <name>] [--force] [--json]',
  details: `Prepares the dataset if needed, then writes a zip with:
  dataset/img/<repeats>_<token> <class>/   the images and their .txt captions
  config/dataset.toml, config/args.toml    the engine configs, with paths relative to the bundle
  config/sample_prompts.txt                the sample prompts rendered every epoch
  train.sh                                 checks sd-scripts, its Python and the base model, then
                                           runs accelerate exactly as tack train would (--resume too)
  README.txt, tack-plan.json               how to run it; the plan and settings with their reasons
The base model is not included: put it in models/ or pass its path to train.sh. The configs pass
the same engine checks as tack train. The GPU profile defaults to 24gb (the usual rented card)
unless [train] gpu_profile names one. The device defaults to [train] device (auto: a CUDA GPU);
with --device cpu or mps the configs are made for that device as tack train would make them
(and plain attention, since the torch there is not known). Examples:
  tack export my-lora --bundle my-lora.zip
  tack export my-lora --bundle my-lora-12gb.zip --gpu-profile 12gb`,
  positionals: [{ name: 'project', required: true, description: 'The project folder.' }],
  options: {
    bundle: { type: 'string', value: '<out.zip>', description: 'The zip file to write.' },
    'gpu-profile': { type: 'string', value: '<profile>', description: 'GPU the bundle will train on: 8gb, 12gb, 16gb or 24gb.' },
    device: { type: 'string', value: '<device>', description: 'Device the bundle will train on: cuda (auto), mps or cpu (default: [train] device).' },
    preset: { type: 'string', value: '<name>', description: 'Preset (default: preset in tack.toml).' },
    force: { type: 'boolean', description: 'Replace the zip if it exists.' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const projectArg = positionals[0] as string;
    const target = path.resolve(ctx.cwd, requireOption(values, 'bundle', `tack export ${projectArg} --bundle out.zip`));
    const gpuProfile = choiceOption(values, 'gpu-profile', ['8gb', '12gb', '16gb', '24gb'] as const);
    const presetName = stringOption(values, 'preset');
    const device = choiceOption(values, 'device', TRAIN_DEVICES);
    const project = await loadProject(path.resolve(ctx.cwd, projectArg), { tokenize: false });
    const bar = ctx.progress('Preparing the dataset');
    const prepared = await prepareDataset(project, { signal: ctx.signal, onProgress: bar });
    bar.finish();
    const zipBar = ctx.progress('Writing the bundle');
    const result = await exportBundle({
      project,
      manifest: prepared.manifest,
      env: ctx.env,
      target,
      overwrite: Boolean(values.force),
      signal: ctx.signal,
      onProgress: (done, total, name) => zipBar({ done, total, item: name }),
      ...(gpuProfile ? { gpuProfile } : {}),
      ...(presetName ? { presetName } : {}),
      ...(device ? { device } : {}),
    });
    zipBar.finish();
    const plan = result.plan;
    if (ctx.json) {
      ctx.printJson({
        kind: 'export',
        bundle: result.target,
        sizeBytes: result.sizeBytes,
        files: result.files,
        root: result.root,
        preset: plan.presetName,
        gpuProfile: plan.profile.name,
        device: plan.device,
        plan: { images: prepared.manifest.images.length, repeats: prepared.manifest.repeats, epochs: plan.recipe.epochs, batchSize: plan.batchSize, totalSteps: plan.engineSteps.maxTrainSteps },
        findings: result.findings,
      });
      return;
    }
    ctx.print(`Wrote ${result.target} (${formatBytes(result.sizeBytes)}, ${result.files} files) for ${plan.device === 'cuda' ? `a ${plan.profile.name} GPU` : `device ${plan.device}`}:`);
    ctx.print(`  ${prepared.manifest.images.length} images x ${prepared.manifest.repeats} repeats, ${plan.recipe.epochs} epochs at batch ${plan.batchSize} = ${plan.engineSteps.maxTrainSteps} steps, preset ${plan.presetName}`);
    for (const f of result.findings.filter((x) => x.severity !== 'info')) ctx.print(formatFinding(f));
    ctx.print();
    ctx.print(plan.device === 'cuda' ? 'On the GPU machine:' : 'On the machine that trains:');
    ctx.print(`  unzip ${path.basename(result.target)} && cd ${result.root}`);
    ctx.print(`  SD_SCRIPTS=~/sd-scripts ./train.sh /path/to/${plan.modelPath ? path.basename(plan.modelPath) : 'base-model.safetensors'}`);
  },
};
