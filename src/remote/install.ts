/**
 * `tack engine install --on <remote>`: the same install as on this machine (src/run's
 * installEngine: the pinned sd-scripts checkout, a venv, CUDA torch, the requirements, each
 * step skipped when done), with every step run on the remote through tack's helper and its
 * output streamed into a log file here. The servers the steps need are checked from the
 * remote itself before anything is changed there.
 */
import path from 'node:path';
import { defaultInstallDir } from '../engine/index.js';
import { installEngine, type InstallMachine, type InstallResult, type InstallRunOptions } from '../run/index.js';
import { addRemote, type RemoteEntry } from './registry.js';
import type { RemoteSession } from './session.js';

/** The remote as a place to install on. */
export function remoteInstallMachine(session: RemoteSession, env: NodeJS.ProcessEnv): InstallMachine {
  const name = session.remote.name;
  return {
    name,
    logFile: path.join(path.dirname(defaultInstallDir(env)), 'logs', `engine-install-${name}.log`),
    inspect: (dir) => session.helperJson(['dirstate'], { dir }, { doing: 'looking at the install folder' }),
    async reach(urls, signal) {
      const answer = await session.helperJson<Record<string, boolean>>(['reach'], { urls }, { doing: 'checking the internet from there', ...(signal ? { signal } : {}) });
      return new Set(urls.filter((u) => answer[u]));
    },
    async run(argv, options) {
      const decoder = new TextDecoder();
      const result = await session.helper(['run'], {
        input: JSON.stringify({ argv, cwd: options.cwd, env: { ...(session.remote.env ?? {}), ...options.env } }),
        accept: Array.from({ length: 254 }, (_, i) => i + 1),
        doing: `running ${path.basename(argv[0] ?? '')}`,
        onStdout: (chunk) => options.onOutput(decoder.decode(chunk, { stream: true })),
        keepStdout: true,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const stdout = result.stdout.toString('utf8').slice(-20_000);
      return { code: result.code, stdout, stderr: result.stderr, ...(result.code === 127 ? { notFound: true } : {}) };
    },
  };
}

export interface RemoteInstallOptions extends Omit<InstallRunOptions, 'dir' | 'machine'> {
  /** The folder there (default: the remote's --sd-scripts, else <remote folder>/sd-scripts). */
  readonly dir?: string;
  readonly env: NodeJS.ProcessEnv;
}

/** Installs sd-scripts on the remote; a folder other than the default is remembered for the remote. */
export async function installEngineOnRemote(session: RemoteSession, options: RemoteInstallOptions): Promise<InstallResult & { readonly remote: RemoteEntry }> {
  const info = await session.info({}, options.signal);
  const dir = options.dir ?? session.remote.sdScripts ?? info.engine.installDir;
  const { env, ...rest } = options;
  const result = await installEngine({ ...rest, dir, machine: remoteInstallMachine(session, env) });
  let remote = session.remote;
  if (result.plan.dir !== info.engine.installDir && remote.sdScripts !== result.plan.dir) {
    remote = { ...remote, sdScripts: result.plan.dir };
    await addRemote(env, remote, true);
  }
  return { ...result, remote };
}
