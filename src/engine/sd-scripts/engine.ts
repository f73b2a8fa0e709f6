/** sd-scripts as a TrainerEngine: `accelerate launch sdxl_train_network.py --config_file ... --dataset_config ...`. */
import path from 'node:path';
import type { BuiltLaunch, LaunchInput, TrainerEngine } from '../types.js';
import { buildEngineConfig } from './build-config.js';
import { checkEngineConfig } from './config-check.js';
import { TRAIN_SCRIPT } from './locate.js';
import { EngineLogParser } from './log-parser.js';
import { parseCheckpointName, parseSampleName, parseStateDirName } from './outputs.js';

/**
 * The accelerate launch command. accelerate's own options mirror the script's mixed precision
 * (the script's value is the one that counts: P13) and avoid its "defaults used" warning;
 * several GPUs train data-parallel with --multi_gpu (steps are divided among them). On the CPU,
 * --cpu forces it even where CUDA exists, and leaving out --num_cpu_threads_per_process lets
 * accelerate use one thread per physical core (its --cpu default) instead of one in all.
 */
export function buildLaunchArgv(input: LaunchInput): string[] {
  const n = input.device === 'cpu' || input.device === 'mps' ? 1 : Math.max(1, input.numProcesses);
  const argv = [
    input.python,
    '-m',
    'accelerate.commands.launch',
    ...(input.device === 'cpu' ? ['--cpu'] : ['--num_cpu_threads_per_process', '1']),
    '--num_processes',
    String(n),
    '--num_machines',
    '1',
    '--mixed_precision',
    input.config.settings.mixed_precision,
    '--dynamo_backend',
    'no',
    ...(n > 1 ? ['--multi_gpu'] : []),
    path.join(input.sdScriptsDir, TRAIN_SCRIPT),
    '--config_file',
    input.argsFile,
    '--dataset_config',
    input.datasetFile,
  ];
  if (input.resumeState) argv.push('--resume', input.resumeState);
  return argv;
}

export const sdScriptsEngine: TrainerEngine = {
  name: 'sd-scripts',
  buildLaunch(input: LaunchInput): BuiltLaunch {
    const files = buildEngineConfig(input.config);
    const check = checkEngineConfig({ argsToml: files.argsToml, datasetToml: files.datasetToml, argsFile: 'config/args.toml', datasetFile: 'config/dataset.toml' });
    const env: Record<string, string> = { PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' };
    if (input.gitDir) env.GIT_DIR = input.gitDir;
    return {
      command: { argv: buildLaunchArgv(input), cwd: input.cwd, env },
      argsToml: files.argsToml,
      datasetToml: files.datasetToml,
      findings: [...files.notes, ...check.findings],
    };
  },
  createLogParser(emit) {
    return new EngineLogParser(emit);
  },
  parseCheckpointName,
  parseSampleName,
  parseStateDirName,
};
