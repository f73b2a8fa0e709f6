/**
 * What tack needs from a trainer. sd-scripts implements it (src/engine/sd-scripts); src/run
 * supervises any engine through this interface: it builds a launch as data, parses the
 * engine's output into events and reads its output file names.
 */
import type { Finding } from '../core/index.js';
import type { TrainDevice } from './device.js';
import type { EngineConfigInput } from './sd-scripts/build-config.js';
import type { EngineEvent } from './sd-scripts/log-parser.js';
import type { CheckpointName, SampleName } from './sd-scripts/outputs.js';

/** A process to start: an argument array (never a shell line), a folder and added variables. */
export interface LaunchCommand {
  readonly argv: readonly string[];
  readonly cwd: string;
  /** Variables added to the environment (the rest is inherited). */
  readonly env: Readonly<Record<string, string>>;
}

export interface LaunchInput {
  readonly config: EngineConfigInput;
  readonly sdScriptsDir: string;
  readonly python: string;
  readonly gitDir?: string;
  /** Run folder: the process runs here. */
  readonly cwd: string;
  /** Where the two config files are written, as they appear on the command line. */
  readonly argsFile: string;
  readonly datasetFile: string;
  readonly numProcesses: number;
  /** Where to train (default cuda). */
  readonly device?: TrainDevice;
  /** A saved optimizer-state folder to continue from. */
  readonly resumeState?: string;
}

export interface BuiltLaunch {
  readonly command: LaunchCommand;
  readonly argsToml: string;
  readonly datasetToml: string;
  /** What was decided and why (infos) and what is wrong (errors: do not launch). */
  readonly findings: readonly Finding[];
}

export interface EngineLogSink {
  push(chunk: string): void;
  /** An unterminated line, read early when it is a complete progress bar (tqdm). */
  peek(partial: string): void;
  end(): void;
  /** The last lines printed (for reports). */
  readonly recent: readonly string[];
  readonly lastError: string | undefined;
  /** The engine's own error line: its last exception, else its last ERROR record. */
  readonly engineError: string | undefined;
}

export interface TrainerEngine {
  readonly name: string;
  buildLaunch(input: LaunchInput): BuiltLaunch;
  createLogParser(emit: (event: EngineEvent) => void): EngineLogSink;
  parseCheckpointName(outputName: string, fileName: string): CheckpointName | undefined;
  parseSampleName(outputName: string, fileName: string): SampleName | undefined;
  parseStateDirName(outputName: string, dirName: string): { readonly epoch?: number; readonly final: boolean } | undefined;
}
