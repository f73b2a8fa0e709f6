/**
 * The remotes tack knows: `tack remote add/list/remove`, stored in tack's config folder
 * ($TACK_CONFIG_DIR, else ~/.config/tack) as remotes.json. A remote is an ssh target (an
 * address or a Host from ~/.ssh/config), an optional key, and the folder on it where tack keeps
 * projects, models and sd-scripts.
 */
import path from 'node:path';
import { z } from 'zod';
import { closest, readJson, writeJsonAtomic } from '../core/index.js';
import { userConfigDir } from '../engine/index.js';
import { remoteErrors } from './errors.js';

export const REMOTE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,39}$/i;
/** The name the queue gives this machine. */
export const LOCAL_MACHINE = 'local';
export const DEFAULT_REMOTE_DIR = '~/tack';
export type TransferMode = 'auto' | 'rsync' | 'tar';

const entrySchema = z.strictObject({
  name: z.string().regex(REMOTE_NAME_PATTERN),
  host: z.string().min(1),
  user: z.string().optional(),
  port: z.int().min(1).max(65535).optional(),
  identityFile: z.string().optional(),
  dir: z.string().min(1),
  python: z.string().optional(),
  sdScripts: z.string().optional(),
  enginePython: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  transfer: z.enum(['auto', 'rsync', 'tar']).optional(),
  addedAt: z.string(),
});

export type RemoteEntry = z.infer<typeof entrySchema>;

const fileSchema = z.strictObject({ kind: z.literal('tack-remotes'), version: z.literal(1), remotes: z.array(entrySchema) });

export function remotesFile(env: NodeJS.ProcessEnv): string {
  return path.join(userConfigDir(env), 'remotes.json');
}

export interface SshTarget {
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
}

const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?|\[[0-9A-Fa-f:.]+\])$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** Parses `[user@]host[:port]` (IPv6 in brackets). A host never starts with "-": it would be read as an ssh option. */
export function parseSshTarget(text: string): SshTarget {
  const bad = (why: string) =>
    remoteErrors.create('REMOTE_BAD_TARGET', `"${text}" is not an ssh target: ${why}.`, 'Write user@host, user@host:port (e.g. root@203.0.113.7:22022), or the name of a Host in ~/.ssh/config.', { details: { target: text } });
  const at = text.lastIndexOf('@');
  const user = at >= 0 ? text.slice(0, at) : undefined;
  let rest = at >= 0 ? text.slice(at + 1) : text;
  let port: number | undefined;
  const v6 = /^(\[[^\]]+\])(?::(\d+))?$/.exec(rest);
  if (v6) {
    rest = v6[1] as string;
    if (v6[2]) port = Number(v6[2]);
  } else if (rest.includes(':')) {
    const [host, portText, ...more] = rest.split(':');
    if (more.length || !/^\d+$/.test(portText ?? '')) throw bad('the part after ":" must be a port number');
    rest = host as string;
    port = Number(portText);
  }
  if (user !== undefined && !USER.test(user)) throw bad(`"${user}" is not a user name`);
  if (!HOST.test(rest)) throw bad(`"${rest}" is not a host name or address`);
  if (port !== undefined && (port < 1 || port > 65535)) throw bad(`port ${port} is out of range`);
  const host = rest.startsWith('[') ? rest.slice(1, -1) : rest;
  return { host, ...(user ? { user } : {}), ...(port ? { port } : {}) };
}

export function formatSshTarget(entry: SshTarget): string {
  const host = entry.host.includes(':') ? `[${entry.host}]` : entry.host;
  return `${entry.user ? `${entry.user}@` : ''}${host}${entry.port ? `:${entry.port}` : ''}`;
}

export function checkRemoteName(name: string): void {
  if (name === LOCAL_MACHINE) throw remoteErrors.create('REMOTE_BAD_NAME', `"${LOCAL_MACHINE}" names this machine and cannot be a remote.`, 'Pick another name, e.g. pod or 4090.');
  if (!REMOTE_NAME_PATTERN.test(name)) throw remoteErrors.create('REMOTE_BAD_NAME', `Remote name "${name}" must be letters, digits, ".", "_" or "-" (at most 40).`, 'Pick a name such as pod, vast-4090 or lambda1.');
}

export async function listRemotes(env: NodeJS.ProcessEnv): Promise<RemoteEntry[]> {
  const file = remotesFile(env);
  const raw = await readJson<unknown>(file, null);
  if (raw === null) return [];
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw remoteErrors.create('REMOTE_BAD_REGISTRY', `${file} is not a valid list of remotes: ${issue?.path.join('.') || 'file'}: ${issue?.message}.`, 'Fix the file, or delete it and add the remotes again.', { details: { file } });
  }
  return parsed.data.remotes;
}

async function saveRemotes(env: NodeJS.ProcessEnv, remotes: readonly RemoteEntry[]): Promise<void> {
  await writeJsonAtomic(remotesFile(env), { kind: 'tack-remotes', version: 1, remotes: [...remotes].sort((a, b) => a.name.localeCompare(b.name)) });
}

export async function findRemote(env: NodeJS.ProcessEnv, name: string): Promise<RemoteEntry> {
  const remotes = await listRemotes(env);
  const found = remotes.find((r) => r.name === name);
  if (found) return found;
  const guess = closest(name, remotes.map((r) => r.name));
  throw remoteErrors.create(
    'REMOTE_NOT_FOUND',
    `No remote named "${name}".`,
    guess ? `Did you mean ${guess}? (tack remote list)` : remotes.length ? `Remotes: ${remotes.map((r) => r.name).join(', ')}.` : 'Add one with: tack remote add <name> user@host[:port] [--key <file>]',
    { details: { name } },
  );
}

/** Adds a remote, or replaces it with `replace`. */
export async function addRemote(env: NodeJS.ProcessEnv, entry: RemoteEntry, replace = false): Promise<void> {
  checkRemoteName(entry.name);
  const remotes = await listRemotes(env);
  if (!replace && remotes.some((r) => r.name === entry.name)) {
    throw remoteErrors.create('REMOTE_EXISTS', `A remote named "${entry.name}" already exists.`, `Remove it first (tack remote remove ${entry.name}), pass --replace, or pick another name.`, { details: { name: entry.name } });
  }
  await saveRemotes(env, [...remotes.filter((r) => r.name !== entry.name), entrySchema.parse(entry)]);
}

export async function removeRemote(env: NodeJS.ProcessEnv, name: string): Promise<RemoteEntry> {
  const entry = await findRemote(env, name);
  await saveRemotes(env, (await listRemotes(env)).filter((r) => r.name !== name));
  return entry;
}
