/**
 * What the studio gets from the CLI, the composition root: its documents are the commands
 * themselves run here with --json (so the studio and the CLI can never disagree), its jobs run
 * in `tack jobs work` processes, and job inputs are checked by the same table the workers use.
 */
import type { StudioRuntime } from '../studio/index.js';
import { checkJobInputs, withJsonFlag } from './job-commands.js';
import { workerLauncher } from './jobs-runtime.js';
import { runCli } from './main.js';
import { memoryOutput } from './output.js';
import { TACK_VERSION } from './version.js';

export function studioRuntime(env: NodeJS.ProcessEnv, cwd: string): StudioRuntime {
  return {
    env,
    version: TACK_VERSION,
    launch: workerLauncher(env, cwd),
    checkInputs: (spec) => void checkJobInputs(spec.kind, spec.project, spec.inputs),
    async runDocument(argv, options = {}) {
      const stdout = memoryOutput();
      const exitCode = await runCli(withJsonFlag(argv), { cwd, env, stdout, stderr: memoryOutput(), signal: options.signal ?? new AbortController().signal });
      const text = stdout.text().trim();
      return { exitCode, document: text ? (JSON.parse(text) as unknown) : null };
    },
  };
}
