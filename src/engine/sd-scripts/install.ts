/**
 * `tack engine install` as data: the steps that set up sd-scripts on a user's machine, from
 * sd-scripts' README (sd-scripts.md 9): a git checkout at the pinned commit, a venv inside it,
 * CUDA PyTorch 2.6.0 from the PyTorch index (cu124; RTX 50 series need cu128 and torch 2.8),
 * then `pip install -r requirements.txt` (which also installs the `library` package with -e .).
 * src/run executes the plan; every step is skipped when its result is already there, so a rerun
 * after a failure continues.
 */
import path from 'node:path';
import { PINNED_SD_SCRIPTS_COMMIT, SD_SCRIPTS_REPO, venvPython } from './locate.js';

export type CudaFlavour = 'cu124' | 'cu128';

export interface InstallOptions {
  readonly dir: string;
  readonly repo?: string;
  readonly commit?: string;
  /** The Python that creates the venv (3.10-3.12). */
  readonly basePython?: string;
  readonly cuda?: CudaFlavour;
  /** Keep the torch the venv already has (or will get from requirements). */
  readonly skipTorch?: boolean;
  /** pip's index (PIP_INDEX_URL); default PyPI. */
  readonly pipIndexUrl?: string;
}

export type InstallStepId = 'clone' | 'fetch' | 'checkout' | 'venv' | 'torch' | 'requirements';

export interface InstallStep {
  readonly id: InstallStepId;
  readonly label: string;
  readonly argv: readonly string[];
  readonly cwd: string;
}

export interface InstallHost {
  readonly url: string;
  readonly why: string;
}

export interface InstallPlan {
  readonly dir: string;
  readonly repo: string;
  readonly commit: string;
  readonly python: string;
  readonly steps: readonly InstallStep[];
  /** Servers the plan needs; checked before anything is changed. */
  readonly hosts: readonly InstallHost[];
  readonly logFile: string;
}

export const TORCH_PINS: Record<CudaFlavour, { readonly torch: string; readonly torchvision: string }> = {
  cu124: { torch: '2.6.0', torchvision: '0.21.0' },
  cu128: { torch: '2.8.0', torchvision: '0.23.0' },
};

function isRemote(url: string): boolean {
  return /^(https?|ssh|git):\/\//.test(url) || /^[\w.-]+@[\w.-]+:/.test(url);
}

/** Plans the install; `existing` says what is already on disk so finished steps are skipped. */
export function planInstall(options: InstallOptions, existing: { readonly checkout: boolean; readonly venv: boolean }): InstallPlan {
  const dir = path.resolve(options.dir);
  const repo = options.repo ?? SD_SCRIPTS_REPO;
  const commit = options.commit ?? PINNED_SD_SCRIPTS_COMMIT;
  const basePython = options.basePython ?? (process.platform === 'win32' ? 'python' : 'python3');
  const python = venvPython(path.join(dir, 'venv'));
  const cuda = options.cuda ?? 'cu124';
  const pins = TORCH_PINS[cuda];
  const steps: InstallStep[] = [];
  if (!existing.checkout) steps.push({ id: 'clone', label: `clone ${repo}`, argv: ['git', 'clone', repo, dir], cwd: path.dirname(dir) });
  else steps.push({ id: 'fetch', label: 'fetch updates', argv: ['git', '-C', dir, 'fetch', '--all', '--tags'], cwd: dir });
  steps.push({ id: 'checkout', label: `check out ${commit.slice(0, 8)}`, argv: ['git', '-C', dir, '-c', 'advice.detachedHead=false', 'checkout', commit], cwd: dir });
  if (!existing.venv) steps.push({ id: 'venv', label: 'create venv', argv: [basePython, '-m', 'venv', path.join(dir, 'venv')], cwd: dir });
  const index = options.pipIndexUrl ? ['--index-url', options.pipIndexUrl] : [];
  if (!options.skipTorch) {
    steps.push({
      id: 'torch',
      label: `install torch ${pins.torch} (${cuda})`,
      argv: [python, '-m', 'pip', 'install', '--progress-bar', 'off', `torch==${pins.torch}`, `torchvision==${pins.torchvision}`, '--index-url', `https://download.pytorch.org/whl/${cuda}`],
      cwd: dir,
    });
  }
  steps.push({ id: 'requirements', label: 'install requirements.txt', argv: [python, '-m', 'pip', 'install', '--progress-bar', 'off', ...index, '-r', 'requirements.txt'], cwd: dir });
  const hosts: InstallHost[] = [];
  if (isRemote(repo)) hosts.push({ url: repo, why: 'the sd-scripts repository' });
  hosts.push({ url: options.pipIndexUrl ?? 'https://pypi.org/simple', why: 'Python packages (pip)' });
  if (!options.skipTorch) hosts.push({ url: 'https://download.pytorch.org/whl', why: 'CUDA PyTorch' });
  return { dir, repo, commit, python, steps, hosts, logFile: path.join(path.dirname(dir), 'tack-engine-install.log') };
}

/** The same plan as shell lines, for users who install by hand (the offline message). */
export function formatManualInstall(plan: InstallPlan, cuda: CudaFlavour = 'cu124'): string[] {
  const pins = TORCH_PINS[cuda];
  return [
    `git clone ${plan.repo} "${plan.dir}"`,
    `git -C "${plan.dir}" checkout ${plan.commit}`,
    `python3 -m venv "${path.join(plan.dir, 'venv')}"`,
    `"${plan.python}" -m pip install torch==${pins.torch} torchvision==${pins.torchvision} --index-url https://download.pytorch.org/whl/${cuda}`,
    `cd "${plan.dir}" && "${plan.python}" -m pip install -r requirements.txt`,
    'tack engine doctor',
  ];
}
