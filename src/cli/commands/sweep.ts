import path from 'node:path';
import { evaluateRun, parseStrengths, sweepRun } from '../../evaluate/index.js';
import { loadProject } from '../../project/index.js';
import { cliErrors } from '../errors.js';
import { choiceOption, numberOption, stringOption, type CommandSpec } from '../command.js';
import { printEvaluationSummary } from './evaluate-shared.js';

export const sweepCommand: CommandSpec = {
  name: 'sweep',
  summary: 'Render epochs x LoRA strengths after training (sd-scripts, A1111/Forge or ComfyUI) and score them',
  usage: 'sweep <dir> [--strengths 0.6,0.85,1] [--backend sd-scripts|a1111|comfyui] [--epochs 3,4] [--run <id>] [--url <address>] [--lora-dir <folder>] [--no-evaluate] [--json]',
  details: `Renders every sample prompt for every epoch's LoRA at every strength, then scores the
images like tack evaluate and recommends an epoch and strength. Backends:
  sd-scripts  the engine's own sdxl_gen_img.py (TACK_SD_SCRIPTS, TACK_PYTHON; base_model)
  a1111       a running A1111/Forge web UI started with --api ([samples] a1111_url)
  comfyui     a running ComfyUI ([samples] comfyui_url)
The web UIs need their LoRA folder ([samples] ui_lora_dir or --lora-dir): tack copies each
epoch's LoRA there as tack-<name>-<run>-e000003.safetensors. Images go to
runs/<id>/evaluation/sweep/<backend>/ with their settings in the PNG; a rerun skips what is
already rendered. Examples:
  tack sweep my-lora --strengths 0.6,0.8,1.0
  tack sweep my-lora --backend a1111 --lora-dir ~/stable-diffusion-webui/models/Lora
  tack sweep my-lora --backend comfyui --url http://127.0.0.1:8188 --epochs 4,5,6`,
  positionals: [{ name: 'dir', required: true, description: 'The project folder.' }],
  options: {
    strengths: { type: 'string', value: '<list>', description: 'Comma-separated LoRA strengths (default: [samples] strengths, 0.6,0.85,1).' },
    backend: { type: 'string', value: '<name>', description: 'sd-scripts, a1111 or comfyui (default: [samples] backend).' },
    epochs: { type: 'string', value: '<list>', description: 'Only these epochs (default: every epoch with a LoRA file).' },
    run: { type: 'string', value: '<id>', description: 'Run to sweep (default: the newest run).' },
    url: { type: 'string', value: '<address>', description: 'Web UI address (overrides a1111_url / comfyui_url).' },
    'lora-dir': { type: 'string', value: '<folder>', description: 'The web UI\'s LoRA folder (overrides ui_lora_dir).' },
    'no-evaluate': { type: 'boolean', description: 'Only render; score later with tack evaluate.' },
    workers: { type: 'string', value: '<n>', description: 'Face model threads for the scoring (default: one per core).' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const dir = path.resolve(ctx.cwd, positionals[0] as string);
    const project = await loadProject(dir, { tokenize: false });
    const strengthsText = stringOption(values, 'strengths');
    const strengths = strengthsText !== undefined ? parseStrengths(strengthsText) : undefined;
    const backend = choiceOption(values, 'backend', ['sd-scripts', 'a1111', 'comfyui'] as const);
    const epochsText = stringOption(values, 'epochs');
    const epochs = epochsText?.split(',').map((e) => Number(e.trim()));
    if (epochs && epochs.some((e) => !Number.isInteger(e) || e < 0)) {
      throw cliErrors.create('CLI_BAD_OPTION', `--epochs must be comma-separated whole numbers; got "${epochsText}".`, 'Example: --epochs 3,4,5');
    }
    const runId = stringOption(values, 'run');
    const url = stringOption(values, 'url');
    const loraDir = stringOption(values, 'lora-dir');
    const workers = numberOption(values, 'workers', { integer: true, min: 1, max: 16 });
    const bar = ctx.progress('Rendering');
    let result;
    try {
      result = await sweepRun(project, {
        ...(backend ? { backend } : {}),
        ...(strengths ? { strengths } : {}),
        ...(epochs ? { epochs } : {}),
        ...(runId ? { runId } : {}),
        ...(url ? { url } : {}),
        ...(loraDir ? { loraDir: path.resolve(ctx.cwd, loraDir) } : {}),
        env: ctx.env,
        signal: ctx.signal,
        onProgress: bar,
      });
    } finally {
      bar.finish();
    }
    let evaluation;
    if (!values['no-evaluate'] && !result.cancelled) {
      const photos = ctx.progress('Reading the subject\'s faces');
      const scoring = ctx.progress('Scoring');
      try {
        evaluation = await evaluateRun(project, { runId: result.run, env: ctx.env, signal: ctx.signal, ...(workers ? { workers } : {}), onProgress: (phase, e) => (phase === 'photos' ? photos(e) : scoring(e)) });
      } finally {
        photos.finish();
        scoring.finish();
      }
    }
    if (ctx.json) {
      ctx.printJson({ kind: 'sweep', ...result, ...(evaluation ? { recommendation: evaluation.recommendation, cells: evaluation.cells } : {}) });
      return;
    }
    ctx.print(`Sweep of run ${result.run} through ${result.backend}: ${result.rendered} rendered, ${result.skipped} already there, ${result.total} in all.`);
    ctx.print(`Images: ${result.dir}`);
    if (result.cancelled) ctx.print('Stopped: run the same command again to continue.');
    if (evaluation) {
      ctx.print();
      printEvaluationSummary(ctx, evaluation);
    }
  },
};
