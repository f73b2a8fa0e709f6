import path from 'node:path';
import { pathExists } from '../../core/index.js';
import { findPreset, gpuMemoryGiB, locateEngine, PINNED_SD_SCRIPTS_COMMIT, resolveTrainSettings } from '../../engine/index.js';
import { loadProject, TRAIN_DEVICES, type Project } from '../../project/index.js';
import { runEngineDoctor } from '../../run/index.js';
import { choiceOption, stringOption, type CommandSpec } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatCheck } from '../render.js';

export const engineDoctorCommand: CommandSpec = {
  name: 'engine doctor',
  summary: 'Check the trainer: sd-scripts, its commit, Python, torch, CUDA, the device, GPUs, accelerate, the base model',
  usage: 'engine doctor [project] [--model <file>] [--device auto|cuda|mps|cpu] [--json]',
  details: `Finds kohya sd-scripts ($TACK_SD_SCRIPTS, else [train] sd_scripts in tack.toml, else the
\`tack engine install\` folder) and its Python ($TACK_PYTHON, else [train] python, else the
checkout's venv, else python3), then runs a short Python check: Python version, torch and CUDA,
every GPU with its memory (which picks the GPU profile), bf16 support, Apple MPS, the device
tack train would use ([train] device or --device: auto trains only on a CUDA GPU), accelerate
and the other packages sd-scripts imports. With a project (or --model) it also reads the base model's
safetensors header to confirm it is an SDXL checkpoint, without loading it.
Each check prints what it found and, when something is wrong, how to fix it.
Exit code 4 when a check fails. Examples:
  tack engine doctor
  tack engine doctor my-lora
  TACK_SD_SCRIPTS=~/sd-scripts TACK_PYTHON=~/sd-scripts/venv/bin/python tack engine doctor --model pony.safetensors`,
  positionals: [{ name: 'project', description: 'A project folder: also checks its base_model and [train] settings.' }],
  options: {
    model: { type: 'string', value: '<file>', description: 'A base model file to check (default: the project\'s base_model).' },
    device: { type: 'string', value: '<device>', description: 'The device to check for: auto, cuda, mps or cpu (default: the project\'s [train] device, else auto).' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    let project: Project | undefined;
    const dir = positionals[0];
    if (dir) project = await loadProject(path.resolve(ctx.cwd, dir), { tokenize: false });
    else if (await pathExists(path.join(ctx.cwd, 'tack.toml'))) project = await loadProject(ctx.cwd, { tokenize: false });
    const location = await locateEngine({
      env: ctx.env,
      ...(project ? { configDir: project.config.train.sd_scripts, configPython: project.config.train.python, baseDir: project.paths.root } : {}),
    });
    const modelOption = stringOption(values, 'model');
    const modelFile = modelOption ? path.resolve(ctx.cwd, modelOption) : project ? (project.config.base_model ? path.resolve(project.paths.root, project.config.base_model) : '') : undefined;
    let optimizer: string | undefined;
    if (project) {
      const { preset, lookup } = await findPreset(project.config.preset, ctx.env);
      optimizer = resolveTrainSettings(preset, lookup, undefined, project.config.train).settings.optimizer;
    }
    const device = choiceOption(values, 'device', TRAIN_DEVICES) ?? project?.config.train.device ?? 'auto';
    const bar = ctx.json ? undefined : ctx.progress('Checking the engine');
    const { report, probe } = await runEngineDoctor({ location, ...(modelFile !== undefined ? { modelFile } : {}), ...(optimizer ? { optimizer } : {}), device, signal: ctx.signal });
    bar?.finish();
    if (ctx.json) {
      ctx.printJson({
        kind: 'engine-doctor',
        ready: report.ready,
        engine: { sdScriptsDir: location.sdScriptsDir ?? null, source: location.sdScriptsSource, commit: location.commit ?? null, pinnedCommit: PINNED_SD_SCRIPTS_COMMIT, python: location.python, pythonSource: location.pythonSource, installDir: location.installDir },
        gpus: (probe?.gpus ?? []).map((g) => ({ index: g.index, name: g.name, memoryGiB: Math.round(gpuMemoryGiB(g) * 10) / 10 })),
        gpuProfile: report.gpuProfile?.name ?? null,
        device: report.device ?? null,
        checks: report.checks,
      });
    } else {
      for (const c of report.checks) for (const line of formatCheck(c)) ctx.print(line);
      ctx.print();
      const on = report.device === 'cuda' ? (report.gpuProfile ? ` on cuda (GPU profile ${report.gpuProfile.name})` : ' on cuda') : report.device ? ` on ${report.device}` : '';
      ctx.print(
        report.ready
          ? `Ready to train${on}.`
          : 'Not ready to train: fix the FAIL lines above. Without a GPU: tack train <project> --dry-run, tack export <project> --bundle out.zip for a rented GPU, or --device cpu for a slow test run.',
      );
    }
    return report.ready ? EXIT_CODES.ok : EXIT_CODES.environment;
  },
};
