/**
 * Sweep through a running AUTOMATIC1111 / Forge web UI (started with --api). Each epoch's LoRA
 * is copied into the UI's LoRA folder under a tack- name, the UI is asked to rescan
 * (POST /sdapi/v1/refresh-loras) and must then list it (GET /sdapi/v1/loras), and each image is
 * one POST /sdapi/v1/txt2img with `<lora:name:strength>` in the prompt, the sampler and
 * schedule, clip skip (override_settings CLIP_stop_at_last_layers, P20) and, when asked,
 * ADetailer's face_yolov8s.pt as the recipe uses. The reply's PNG carries the UI's own infotext.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { copyFileAtomic, pathExists } from '../core/index.js';
import { parseUiSampler, readPngText } from '../prompt/index.js';
import { getJson, postJson } from './backend-http.js';
import { evalErrors } from './errors.js';
import type { SweepBackendContext, SweepBackendImpl, SweepJob } from './sweep-jobs.js';

export interface WebUiBackendOptions {
  readonly url: string;
  /** The UI's LoRA folder, where tack copies the epochs' files. */
  readonly loraDir: string;
  /** Prefix of the copied files (tack-<lora name>-e000003). */
  readonly loraPrefix: string;
  /** Checkpoint as the UI names it; empty = the one loaded. */
  readonly checkpoint: string;
  readonly adetailer?: boolean;
  /** Per image (default 10 minutes: slow GPUs at 30 steps). */
  readonly imageTimeoutMs?: number;
}

interface LoraInfo {
  readonly name: string;
  readonly alias?: string;
  readonly path?: string;
}

interface Txt2ImgReply {
  readonly images?: string[];
  readonly info?: string;
}

export function uiLoraName(prefix: string, epoch: number): string {
  return `${prefix}-e${String(epoch).padStart(6, '0')}`;
}

/** Copies every epoch's LoRA into the UI's folder (once; same size = already there). */
export async function copyLorasForUi(jobs: readonly SweepJob[], loraDir: string, prefix: string): Promise<Map<string, string>> {
  if (!loraDir || !(await pathExists(loraDir))) {
    throw evalErrors.create('EVAL_BACKEND_SETUP', loraDir ? `The web UI LoRA folder ${loraDir} does not exist.` : 'The web UI\'s LoRA folder is not set.', 'Set ui_lora_dir in [samples] (or --lora-dir) to the UI\'s models/Lora (A1111/Forge) or models/loras (ComfyUI) folder.', {
      details: { loraDir },
    });
  }
  const names = new Map<string, string>();
  for (const job of jobs) {
    if (names.has(job.lora)) continue;
    const name = uiLoraName(prefix, job.epoch);
    const target = path.join(loraDir, `${name}.safetensors`);
    const [src, dst] = await Promise.all([fsp.stat(job.lora), fsp.stat(target).catch(() => undefined)]);
    if (!dst || dst.size !== src.size) await copyFileAtomic(job.lora, target);
    names.set(job.lora, name);
  }
  return names;
}

export function buildTxt2ImgRequest(job: SweepJob, loraName: string, options: Pick<WebUiBackendOptions, 'checkpoint' | 'adetailer'>): Record<string, unknown> {
  const sampler = parseUiSampler(job.uiSampler);
  return {
    prompt: `${job.uiPrompt}, <lora:${loraName}:${job.strength}>`,
    negative_prompt: job.negative,
    steps: job.steps,
    sampler_name: sampler.a1111,
    scheduler: sampler.schedule,
    cfg_scale: job.cfg,
    seed: job.seed,
    width: job.width,
    height: job.height,
    batch_size: 1,
    n_iter: 1,
    send_images: true,
    save_images: false,
    override_settings: { CLIP_stop_at_last_layers: job.clipSkip, ...(options.checkpoint ? { sd_model_checkpoint: options.checkpoint } : {}) },
    override_settings_restore_afterwards: true,
    ...(options.adetailer ? { alwayson_scripts: { ADetailer: { args: [true, false, { ad_model: 'face_yolov8s.pt' }] } } } : {}),
  };
}

export function a1111Backend(options: WebUiBackendOptions, http: { readonly signal?: AbortSignal } = {}): SweepBackendImpl {
  let names = new Map<string, string>();
  return {
    name: 'a1111',
    async check(jobs) {
      await getJson(options.url, '/sdapi/v1/options', 'A1111/Forge', { ...http, timeoutMs: 15_000 });
      names = await copyLorasForUi(jobs, options.loraDir, options.loraPrefix);
      await postJson(options.url, '/sdapi/v1/refresh-loras', {}, 'A1111/Forge', { ...http, timeoutMs: 60_000 });
      const listed = new Set((await getJson<LoraInfo[]>(options.url, '/sdapi/v1/loras', 'A1111/Forge', http)).flatMap((l) => [l.name, l.alias ?? l.name]));
      const missing = [...names.values()].filter((n) => !listed.has(n));
      if (missing.length > 0) {
        throw evalErrors.create('EVAL_LORA_NOT_LISTED', `A1111/Forge does not list ${missing.join(', ')} after a rescan of its LoRA folder.`, `Check that ui_lora_dir (${options.loraDir}) is the folder this web UI reads its LoRAs from.`, {
          details: { missing, loraDir: options.loraDir },
        });
      }
    },
    async render(jobs, context: SweepBackendContext) {
      for (const job of jobs) {
        if (context.signal?.aborted) return;
        const loraName = names.get(job.lora) ?? uiLoraName(options.loraPrefix, job.epoch);
        const reply = await postJson<Txt2ImgReply>(options.url, '/sdapi/v1/txt2img', buildTxt2ImgRequest(job, loraName, options), 'A1111/Forge', {
          ...(context.signal ? { signal: context.signal } : {}),
          timeoutMs: options.imageTimeoutMs ?? 600_000,
        });
        const b64 = reply.images?.[0];
        if (!b64) throw evalErrors.create('EVAL_BACKEND_FAILED', 'A1111/Forge answered txt2img without an image.', 'Check the web UI console for the cause.');
        const png = Buffer.from(b64.replace(/^data:image\/\w+;base64,/, ''), 'base64');
        let infotext: string | undefined;
        try {
          infotext = readPngText(png).parameters ?? (JSON.parse(reply.info ?? '{}') as { infotexts?: string[] }).infotexts?.[0];
        } catch {
          infotext = undefined;
        }
        await context.onImage({ job, png, ...(infotext ? { infotext } : {}) });
      }
    },
  };
}
