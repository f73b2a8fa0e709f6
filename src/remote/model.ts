/**
 * The base model on a remote. It is several GB, so it is never uploaded from here unless asked:
 * [remote] base_model names it there, else <remote folder>/models/<file name> is used when it
 * exists, else it is downloaded there from [remote] base_model_url (resumable, with a progress
 * bar and a SHA-256 check), else --upload-model sends the local file (rsync resumes a cut-off
 * upload). Its safetensors header is read there and checked here like a local model.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { checkBaseModel, describeSafetensorsHeader, type BaseModelInfo } from '../engine/index.js';
import type { ProgressListener } from '../core/index.js';
import { createLineReader } from '../io/index.js';
import type { Project } from '../project/index.js';
import { remoteErrors } from './errors.js';
import type { RemoteSession } from './session.js';
import { pushFiles } from './transfer.js';

export type RemoteModelSource = 'configured' | 'models-folder' | 'downloaded' | 'uploaded';

export interface RemoteModel {
  readonly path: string;
  readonly info: BaseModelInfo;
  readonly source: RemoteModelSource;
  readonly sha256?: string;
}

export interface RemoteModelOptions {
  /** Send the local base model when the remote lacks it (--upload-model). */
  readonly upload?: boolean;
  readonly method: 'rsync' | 'tar';
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  /** A step worth telling the user ("downloading ... on pod"). */
  readonly onStep?: (text: string) => void;
}

interface HeaderAnswer {
  readonly path: string;
  readonly size?: number;
  readonly header?: string;
  readonly sha256?: string | null;
  readonly missing?: boolean;
  readonly error?: string;
}

function fileNameFromUrl(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  } catch {
    return '';
  }
}

async function readHeader(session: RemoteSession, file: string, signal?: AbortSignal): Promise<HeaderAnswer> {
  return session.helperJson<HeaderAnswer>(['header', file], undefined, { doing: 'reading the base model header', ...(signal ? { signal } : {}) });
}

function describe(session: RemoteSession, answer: HeaderAnswer, source: RemoteModelSource): RemoteModel {
  if (answer.error || !answer.header) {
    throw remoteErrors.create('REMOTE_MODEL_MISSING', `The base model ${answer.path} on ${session.label} cannot be read: ${answer.error ?? 'no header'}.`, 'It must be an SDXL checkpoint in .safetensors format; download it again or point [remote] base_model at the right file.', { details: { file: answer.path } });
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(answer.header) as Record<string, unknown>;
  } catch {
    throw remoteErrors.create('REMOTE_MODEL_MISSING', `The base model ${answer.path} on ${session.label} has a damaged safetensors header.`, 'The file is incomplete or damaged: delete it there and download it again.', { details: { file: answer.path } });
  }
  const info = describeSafetensorsHeader(answer.path, header, answer.size ?? 0);
  const bad = checkBaseModel(info).find((f) => f.severity === 'error');
  if (bad) throw remoteErrors.create('REMOTE_MODEL_MISSING', `On ${session.label}: ${bad.message}`, bad.fix ?? 'Use an SDXL checkpoint.', { details: { file: answer.path } });
  return { path: answer.path, info, source, ...(answer.sha256 ? { sha256: answer.sha256 } : {}) };
}

/** Finds, downloads or uploads the base model on the remote; `root` is the remote folder (absolute). */
export async function resolveRemoteModel(session: RemoteSession, project: Project, root: string, options: RemoteModelOptions): Promise<RemoteModel> {
  const settings = project.config.remote;
  const signal = options.signal;
  if (settings.base_model) {
    const file = path.posix.isAbsolute(settings.base_model) || settings.base_model.startsWith('~') ? settings.base_model : path.posix.join(root, settings.base_model);
    const answer = await readHeader(session, file, signal);
    if (answer.missing) {
      throw remoteErrors.create('REMOTE_MODEL_MISSING', `[remote] base_model = "${settings.base_model}" does not exist on ${session.label} (${answer.path}).`, 'Fix the path in tack.toml [remote], or leave it empty and set base_model_url so the remote downloads it.', { details: { file: answer.path } });
    }
    return describe(session, answer, 'configured');
  }
  const localModel = project.config.base_model ? path.resolve(project.paths.root, project.config.base_model) : '';
  const name = path.basename(localModel) || fileNameFromUrl(settings.base_model_url);
  if (!name) {
    throw remoteErrors.create('REMOTE_MODEL_MISSING', 'tack.toml names no base model (base_model, or [remote] base_model / base_model_url).', 'Set base_model to the checkpoint\'s file, and [remote] base_model_url to where the remote can download it.');
  }
  const target = path.posix.join(root, 'models', name);
  const present = await readHeader(session, target, signal);
  if (!present.missing) return describe(session, present, 'models-folder');
  if (settings.base_model_url) {
    options.onStep?.(`Downloading ${name} on ${session.remote.name} from ${settings.base_model_url}`);
    const token = options.env.HF_TOKEN || options.env.HUGGING_FACE_HUB_TOKEN;
    const host = (() => {
      try {
        return new URL(settings.base_model_url).hostname;
      } catch {
        return '';
      }
    })();
    const headers = token && /(^|\.)huggingface\.co$/.test(host) ? { Authorization: `Bearer ${token}` } : {};
    let last: { k: string; message?: string; sha256?: string; expected?: string } | undefined;
    const messages = createLineReader((line) => {
      if (!line.trim()) return;
      const msg = JSON.parse(line) as { k: string; done?: number; total?: number | null; message?: string };
      if (msg.k === 'progress') options.onProgress?.({ done: msg.done ?? 0, total: msg.total ?? 0, unit: 'bytes', item: name });
      else last = msg;
    });
    await session.helper(['fetch'], {
      input: JSON.stringify({ url: settings.base_model_url, dest: target, sha256: settings.base_model_sha256 || null, headers }),
      accept: [5, 6],
      doing: 'downloading the base model',
      ...(signal ? { signal } : {}),
      onStdout: (chunk) => messages.push(chunk),
    });
    messages.end();
    if (last?.k === 'error' && last.expected) {
      throw remoteErrors.create('REMOTE_MODEL_CHECKSUM', `The base model downloaded on ${session.label} from ${settings.base_model_url} has SHA-256 ${last.sha256}, not the ${last.expected} tack.toml expects; it was deleted.`, 'Check [remote] base_model_url and base_model_sha256 (the model page lists the hash).', { details: { url: settings.base_model_url, sha256: last.sha256 } });
    }
    if (last?.k !== 'done') {
      throw remoteErrors.create('REMOTE_DOWNLOAD_FAILED', `Downloading the base model on ${session.label} from ${settings.base_model_url} failed: ${last?.message ?? 'no answer'}.`, 'Check the URL (and $HF_TOKEN for gated models); the next run continues the download where it stopped.', { details: { url: settings.base_model_url } });
    }
    return describe(session, await readHeader(session, target, signal), 'downloaded');
  }
  if (options.upload) {
    if (!localModel) throw remoteErrors.create('REMOTE_MODEL_MISSING', 'base_model is not set in tack.toml, so there is nothing to upload.', 'Set base_model to the local checkpoint.');
    options.onStep?.(`Uploading ${name} to ${session.remote.name} (asked with --upload-model)`);
    const { size } = await fsp.stat(localModel);
    await session.makeDir(path.posix.join(root, 'models'), signal);
    let done = 0;
    await pushFiles(session, options.method, path.dirname(localModel), path.posix.join(root, 'models'), [name], {
      ...(signal ? { signal } : {}),
      onBytes: (n) => {
        done += n;
        options.onProgress?.({ done, total: size, unit: 'bytes', item: name });
      },
    });
    return describe(session, await readHeader(session, target, signal), 'uploaded');
  }
  throw remoteErrors.create(
    'REMOTE_MODEL_MISSING',
    `${session.label} has no base model at ${target}.`,
    `Put it there, set [remote] base_model to its path on the remote, set [remote] base_model_url (and base_model_sha256) so the remote downloads it, or pass --upload-model to send ${localModel || 'it'} from here.`,
    { details: { remote: session.remote.name, file: target } },
  );
}
