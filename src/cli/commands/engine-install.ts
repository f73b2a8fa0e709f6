import path from 'node:path';
import { defaultInstallDir, PINNED_SD_SCRIPTS_COMMIT, SD_SCRIPTS_REPO, type CudaFlavour } from '../../engine/index.js';
import { findRemote, installEngineOnRemote, RemoteSession } from '../../remote/index.js';
import { installEngine } from '../../run/index.js';
import { choiceOption, stringOption, type CommandSpec } from '../command.js';

export const engineInstallCommand: CommandSpec = {
  name: 'engine install',
  summary: 'Install kohya sd-scripts at the pinned commit with a venv, CUDA PyTorch and its requirements',
  usage: 'engine install [--on <remote>] [--dir <folder>] [--cuda cu124|cu128] [--skip-torch] [--commit <sha>] [--repo <url>] [--python <python3>] [--json]',
  details: `Sets up the trainer the way sd-scripts' README does: git clone, checkout of the commit tack's
argument checks were built from (${PINNED_SD_SCRIPTS_COMMIT.slice(0, 8)}), a venv inside the checkout, PyTorch 2.6.0 for
CUDA 12.4 from the PyTorch index (--cuda cu128 gives torch 2.8.0 for RTX 50 series), then
pip install -r requirements.txt. Before changing anything it checks that GitHub, PyPI and the
PyTorch index are reachable, and stops with the manual steps when they are not (offline
machines). Steps already done are skipped, so a rerun after a failure continues. The output of
git and pip goes to tack-engine-install.log next to the folder.
Default folder: ${defaultInstallDir({ HOME: '~' })} ($TACK_DATA_DIR or $XDG_DATA_HOME change it); tack finds
an engine there without TACK_SD_SCRIPTS.
--on <remote> installs on a remote added with tack remote add, into <remote folder>/sd-scripts
(or --dir there): every step runs there, the internet check is made from there, and the
output of git and pip goes to tack's data folder here (logs/engine-install-<remote>.log).
Examples:
  tack engine install
  tack engine install --dir ~/sd-scripts --cuda cu128
  tack engine install --on pod`,
  options: {
    on: { type: 'string', value: '<remote>', description: 'Install on a remote (tack remote add) instead of this machine.' },
    dir: { type: 'string', value: '<folder>', description: 'Where to install (default: tack\'s data folder; with --on, <remote folder>/sd-scripts).' },
    cuda: { type: 'string', value: '<cu124|cu128>', description: 'CUDA build of PyTorch (default cu124; cu128 for RTX 50 series).' },
    'skip-torch': { type: 'boolean', description: 'Do not install PyTorch (the Python already has a CUDA torch).' },
    commit: { type: 'string', value: '<sha>', description: `sd-scripts commit (default ${PINNED_SD_SCRIPTS_COMMIT.slice(0, 8)}).` },
    repo: { type: 'string', value: '<url>', description: `Repository to clone (default ${SD_SCRIPTS_REPO}).` },
    python: { type: 'string', value: '<python>', description: 'Python 3.10-3.12 that creates the venv (default python3).' },
  },
  json: true,
  async run(ctx, { values }) {
    const dirOption = stringOption(values, 'dir');
    const on = stringOption(values, 'on');
    const cuda = choiceOption<CudaFlavour>(values, 'cuda', ['cu124', 'cu128']);
    const repo = stringOption(values, 'repo');
    const commit = stringOption(values, 'commit');
    const python = stringOption(values, 'python');
    const bar = ctx.progress(`Installing sd-scripts${on ? ` on ${on}` : ''}`);
    const common = {
      ...(cuda ? { cuda } : {}),
      // A repository path names a folder on the machine that installs.
      ...(repo ? { repo: /^[\w+.-]+:\/\//.test(repo) || repo.includes('@') || on ? repo : path.resolve(ctx.cwd, repo) } : {}),
      ...(commit ? { commit } : {}),
      ...(python ? { basePython: python } : {}),
      ...(values['skip-torch'] ? { skipTorch: true } : {}),
      ...(ctx.env.PIP_INDEX_URL ? { pipIndexUrl: ctx.env.PIP_INDEX_URL } : {}),
      signal: ctx.signal,
      onProgress: bar,
      onStep: (label: string, i: number, n: number) => {
        if (!ctx.json && !ctx.stderr.isTTY) ctx.stderr.write(`[${i + 1}/${n}] ${label}\n`);
      },
    };
    const result = on
      ? await installEngineOnRemote(new RemoteSession(await findRemote(ctx.env, on), ctx.env), { ...common, env: ctx.env, ...(dirOption ? { dir: dirOption } : {}) })
      : await installEngine({ ...common, dir: dirOption ? path.resolve(ctx.cwd, dirOption) : defaultInstallDir(ctx.env) });
    bar.finish();
    if (ctx.json) {
      ctx.printJson({ kind: 'engine-install', remote: on ?? null, dir: result.plan.dir, commit: result.plan.commit, python: result.plan.python, steps: result.ran, logFile: result.logFile });
      return;
    }
    ctx.print(`Installed sd-scripts ${result.plan.commit.slice(0, 8)} in ${result.plan.dir}${on ? ` on ${on}` : ''}`);
    for (const step of result.ran) ctx.print(`  done: ${step}`);
    ctx.print(`Log: ${result.logFile}`);
    ctx.print(on ? `Next: tack remote doctor ${on}` : 'Next: tack engine doctor');
  },
};
