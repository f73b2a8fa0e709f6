import os from 'node:os';
import path from 'node:path';
import { formatBytes, pathExists } from '../../core/index.js';
import { loadProject } from '../../project/index.js';
import {
  addRemote,
  DEFAULT_REMOTE_DIR,
  findRemote,
  formatSshTarget,
  listRemotes,
  parseSshTarget,
  remoteErrors,
  remotesFile,
  removeRemote,
  RemoteSession,
  runRemoteDoctor,
  checkRemoteName,
  type RemoteEntry,
  type TransferMode,
} from '../../remote/index.js';
import { choiceOption, stringListOption, stringOption, type CommandSpec } from '../command.js';
import { cliErrors } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatCheck, formatTable } from '../render.js';

function expandHome(file: string, cwd: string): string {
  if (file === '~' || file.startsWith('~/')) return path.join(os.homedir(), file.slice(1));
  return path.resolve(cwd, file);
}

function remoteJson(r: RemoteEntry) {
  return { name: r.name, target: formatSshTarget(r), host: r.host, user: r.user ?? null, port: r.port ?? null, key: r.identityFile ?? null, dir: r.dir, python: r.python ?? null, sdScripts: r.sdScripts ?? null, enginePython: r.enginePython ?? null, env: r.env ?? {}, transfer: r.transfer ?? 'auto', addedAt: r.addedAt };
}

export const remoteAddCommand: CommandSpec = {
  name: 'remote add',
  summary: 'Add a machine to train on over ssh (a rented GPU, a friend\'s box)',
  usage: 'remote add <name> <target> [--key <file>] [--dir <remote folder>] [--sd-scripts <path>] [--engine-python <path>] [--python <python3>] [--env K=V]... [--transfer auto|rsync|tar] [--replace] [--no-check] [--json]',
  details: `<target> is user@host[:port] (e.g. root@203.0.113.7:22022 from RunPod's "SSH over exposed TCP")
or the name of a Host in ~/.ssh/config. tack uses the system OpenSSH client, so your ssh config,
agent, keys and known_hosts apply; it never asks for a password and never accepts a host key by
itself: connect once by hand (ssh -p PORT user@host) to record a new machine's key.
On the remote, tack keeps everything in one folder (--dir, default ${DEFAULT_REMOTE_DIR}): projects/,
models/ and sd-scripts/ (tack engine install --on NAME). On RunPod use the network volume
(--dir /workspace/tack) so the results outlive the pod. After saving, tack connects once to check.
Examples:
  tack remote add pod root@203.0.113.7:22022 --key ~/.ssh/runpod --dir /workspace/tack
  tack remote add box gpu-box`,
  positionals: [
    { name: 'name', required: true, description: 'A short name for the remote (letters, digits, . _ -).' },
    { name: 'target', required: true, description: 'user@host[:port], or a Host from ~/.ssh/config.' },
  ],
  options: {
    key: { type: 'string', value: '<file>', description: 'Private key file (ssh -i); default: your ssh config and agent.' },
    dir: { type: 'string', value: '<folder>', description: `tack's folder on the remote (default ${DEFAULT_REMOTE_DIR}).` },
    'sd-scripts': { type: 'string', value: '<path>', description: 'An existing sd-scripts checkout on the remote (default <dir>/sd-scripts).' },
    'engine-python': { type: 'string', value: '<path>', description: 'The Python that runs sd-scripts there (default its venv, else python3).' },
    python: { type: 'string', value: '<python>', description: 'The Python that runs tack\'s helper there (default python3).' },
    env: { type: 'string', multiple: true, value: '<K=V>', description: 'A variable for every engine process there (e.g. CUDA_VISIBLE_DEVICES=1, HF_HOME=/workspace/hf).' },
    transfer: { type: 'string', value: '<mode>', description: 'auto (rsync when both ends have it, else tar over ssh), rsync or tar.' },
    replace: { type: 'boolean', description: 'Replace a remote of the same name.' },
    'no-check': { type: 'boolean', description: 'Save without connecting.' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const name = positionals[0] as string;
    checkRemoteName(name);
    const target = parseSshTarget(positionals[1] as string);
    const keyOption = stringOption(values, 'key');
    const identityFile = keyOption ? expandHome(keyOption, ctx.cwd) : undefined;
    if (identityFile && !(await pathExists(identityFile))) {
      throw remoteErrors.create('REMOTE_KEY_MISSING', `The key file ${identityFile} does not exist.`, 'Give the private key (not the .pub file) that the remote accepts, e.g. --key ~/.ssh/id_ed25519.', { details: { file: identityFile } });
    }
    const env: Record<string, string> = {};
    for (const pair of stringListOption(values, 'env')) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
      if (!m) throw cliErrors.create('CLI_BAD_OPTION', `--env must be NAME=value; got "${pair}".`, 'Example: --env CUDA_VISIBLE_DEVICES=0');
      env[m[1] as string] = m[2] as string;
    }
    const transfer = choiceOption<TransferMode>(values, 'transfer', ['auto', 'rsync', 'tar']);
    const entry: RemoteEntry = {
      name,
      ...target,
      ...(identityFile ? { identityFile } : {}),
      dir: stringOption(values, 'dir') ?? DEFAULT_REMOTE_DIR,
      ...(stringOption(values, 'python') ? { python: stringOption(values, 'python') as string } : {}),
      ...(stringOption(values, 'sd-scripts') ? { sdScripts: stringOption(values, 'sd-scripts') as string } : {}),
      ...(stringOption(values, 'engine-python') ? { enginePython: stringOption(values, 'engine-python') as string } : {}),
      ...(Object.keys(env).length ? { env } : {}),
      ...(transfer && transfer !== 'auto' ? { transfer } : {}),
      addedAt: new Date().toISOString(),
    };
    await addRemote(ctx.env, entry, Boolean(values.replace));
    let connected: { hostname: string; system: string; root: string; freeBytes: number } | undefined;
    if (!values['no-check']) {
      const session = new RemoteSession(entry, ctx.env);
      try {
        const info = await session.info({}, ctx.signal);
        connected = { hostname: info.hostname, system: `${info.system} ${info.machine}`, root: info.root, freeBytes: info.disk.freeBytes };
      } catch (error) {
        if (!ctx.json) ctx.print(`Saved remote ${name} (${formatSshTarget(entry)}) in ${remotesFile(ctx.env)}, but the check failed:`);
        throw error;
      }
    }
    if (ctx.json) {
      ctx.printJson({ kind: 'remote-add', remote: remoteJson(entry), connected: connected ?? null });
      return;
    }
    ctx.print(`Added remote ${name}: ${formatSshTarget(entry)}${identityFile ? ` (key ${identityFile})` : ''}`);
    if (connected) ctx.print(`  connected: ${connected.hostname}, ${connected.system}; tack's folder ${connected.root} (${formatBytes(connected.freeBytes)} free)`);
    ctx.print(`Next: tack remote doctor ${name}`);
  },
};

export const remoteListCommand: CommandSpec = {
  name: 'remote list',
  summary: 'List the remotes tack can train on',
  usage: 'remote list [--json]',
  json: true,
  async run(ctx) {
    const remotes = await listRemotes(ctx.env);
    if (ctx.json) {
      ctx.printJson({ kind: 'remote-list', file: remotesFile(ctx.env), remotes: remotes.map(remoteJson) });
      return;
    }
    if (!remotes.length) {
      ctx.print('No remotes yet. Add one with: tack remote add <name> user@host[:port] [--key <file>]');
      return;
    }
    ctx.print(formatTable(['remote', 'target', 'folder', 'key'], remotes.map((r) => [r.name, formatSshTarget(r), r.dir, r.identityFile ?? '-'])));
  },
};

export const remoteRemoveCommand: CommandSpec = {
  name: 'remote remove',
  summary: 'Forget a remote (nothing on the machine is deleted)',
  usage: 'remote remove <name> [--json]',
  positionals: [{ name: 'name', required: true, description: 'The remote\'s name.' }],
  json: true,
  async run(ctx, { positionals }) {
    const entry = await removeRemote(ctx.env, positionals[0] as string);
    await new RemoteSession(entry, ctx.env).disconnect().catch(() => undefined);
    if (ctx.json) ctx.printJson({ kind: 'remote-remove', remote: remoteJson(entry) });
    else ctx.print(`Removed remote ${entry.name} (${formatSshTarget(entry)}); files on it were left as they are.`);
  },
};

export const remoteDoctorCommand: CommandSpec = {
  name: 'remote doctor',
  summary: 'Check a remote: ssh, python, sd-scripts and its commit, torch, CUDA, GPUs with memory, free disk',
  usage: 'remote doctor <name> [project] [--json]',
  details: `Connects (one shared ssh connection), copies tack's small helper to the remote folder if it is
not there yet, and runs the same engine check as \`tack engine doctor\` with the remote's Python:
sd-scripts and its commit, Python, torch, CUDA, every GPU with its memory and the GPU profile it
selects, accelerate and the packages sd-scripts imports. It adds what matters on a rented
machine: free disk, rsync, and GPU memory already held by another program. With several GPUs it
says how many accelerate processes a run starts. Each problem comes with what to do.
Exit code 4 when a check fails. Example:
  tack remote doctor pod`,
  positionals: [
    { name: 'name', required: true, description: 'The remote\'s name.' },
    { name: 'project', description: 'A project folder: uses its [train] num_gpus.' },
  ],
  json: true,
  async run(ctx, { positionals }) {
    const entry = await findRemote(ctx.env, positionals[0] as string);
    const project = positionals[1] ? await loadProject(path.resolve(ctx.cwd, positionals[1]), { tokenize: false }) : undefined;
    const session = new RemoteSession(entry, ctx.env);
    const bar = ctx.json ? undefined : ctx.progress(`Checking ${entry.name}`);
    const result = await runRemoteDoctor(session, { signal: ctx.signal, ...(project?.config.train.num_gpus ? { numGpus: project.config.train.num_gpus } : {}) });
    bar?.finish();
    if (ctx.json) {
      ctx.printJson({
        kind: 'remote-doctor',
        remote: remoteJson(entry),
        ready: result.ready,
        host: { hostname: result.info.hostname, system: result.info.system, release: result.info.release, machine: result.info.machine },
        folder: result.info.root,
        disk: result.info.disk,
        engine: { sdScriptsDir: result.location.sdScriptsDir ?? null, commit: result.location.commit ?? null, python: result.location.python, installDir: result.location.installDir },
        gpus: (result.probe?.gpus ?? []).map((g) => ({ index: g.index, name: g.name, memoryGiB: Math.round((g.memoryBytes / 1024 ** 3) * 10) / 10 })),
        gpuProfile: result.gpuProfile?.name ?? null,
        processes: result.processes,
        checks: result.checks,
      });
    } else {
      for (const c of result.checks) for (const line of formatCheck(c)) ctx.print(line);
      ctx.print();
      ctx.print(result.ready ? `${entry.name} is ready to train${result.gpuProfile ? ` (GPU profile ${result.gpuProfile.name})` : ''}: tack train <project> --on ${entry.name}` : `${entry.name} is not ready to train: fix the FAIL lines above.`);
    }
    return result.ready ? EXIT_CODES.ok : EXIT_CODES.environment;
  },
};
