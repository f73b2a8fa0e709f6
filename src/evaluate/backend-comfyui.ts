/**
 * Sweep through a running ComfyUI server. Each image is one queued workflow in ComfyUI's API
 * format: CheckpointLoaderSimple -> LoraLoader (strength on model and CLIP) -> CLIPSetLastLayer
 * (-clip_skip) -> two CLIPTextEncode -> EmptyLatentImage -> KSampler -> VAEDecode -> SaveImage.
 * POST /prompt queues it, GET /history/<prompt_id> tells when it is done and which file it
 * saved, GET /view returns the PNG. LoRAs and checkpoints must be names ComfyUI lists
 * (GET /object_info/<node>), so the epochs' files are copied into its loras folder first.
 */
import path from 'node:path';
import { sleep } from '../core/index.js';
import { parseUiSampler } from '../prompt/index.js';
import { copyLorasForUi, uiLoraName, type WebUiBackendOptions } from './backend-a1111.js';
import { getBytes, getJson, postJson } from './backend-http.js';
import { evalErrors } from './errors.js';
import type { SweepBackendContext, SweepBackendImpl, SweepJob } from './sweep-jobs.js';

interface ObjectInfo {
  readonly [node: string]: { readonly input?: { readonly required?: Record<string, unknown[]> } };
}

interface HistoryEntry {
  readonly status?: { readonly status_str?: string; readonly completed?: boolean; readonly messages?: unknown[] };
  readonly outputs?: Record<string, { readonly images?: Array<{ readonly filename: string; readonly subfolder?: string; readonly type?: string }> }>;
}

function listedNames(info: ObjectInfo, node: string, input: string): string[] {
  const spec = info[node]?.input?.required?.[input];
  const first = Array.isArray(spec) ? spec[0] : undefined;
  return Array.isArray(first) ? first.map(String) : [];
}

/** The API-format workflow for one image. */
export function buildComfyWorkflow(job: SweepJob, loraFile: string, checkpoint: string): Record<string, unknown> {
  const sampler = parseUiSampler(job.uiSampler);
  return {
    '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: checkpoint } },
    '2': { class_type: 'LoraLoader', inputs: { model: ['1', 0], clip: ['1', 1], lora_name: loraFile, strength_model: job.strength, strength_clip: job.strength } },
    '3': { class_type: 'CLIPSetLastLayer', inputs: { clip: ['2', 1], stop_at_clip_layer: -job.clipSkip } },
    '4': { class_type: 'CLIPTextEncode', inputs: { clip: ['3', 0], text: job.uiPrompt.replace(/,?\s*\bBREAK\b,?/g, ',') } },
    '5': { class_type: 'CLIPTextEncode', inputs: { clip: ['3', 0], text: job.negative } },
    '6': { class_type: 'EmptyLatentImage', inputs: { width: job.width, height: job.height, batch_size: 1 } },
    '7': {
      class_type: 'KSampler',
      inputs: { model: ['2', 0], positive: ['4', 0], negative: ['5', 0], latent_image: ['6', 0], seed: job.seed, steps: job.steps, cfg: job.cfg, sampler_name: sampler.comfySampler, scheduler: sampler.comfyScheduler, denoise: 1 },
    },
    '8': { class_type: 'VAEDecode', inputs: { samples: ['7', 0], vae: ['1', 2] } },
    '9': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: `tack/${path.parse(job.outName).name}` } },
  };
}

export function comfyuiBackend(options: WebUiBackendOptions & { readonly baseModel: string }, http: { readonly signal?: AbortSignal } = {}): SweepBackendImpl {
  let names = new Map<string, string>();
  let checkpoint = options.checkpoint;
  const clientId = `tack-${process.pid}`;
  return {
    name: 'comfyui',
    async check(jobs) {
      await getJson(options.url, '/system_stats', 'ComfyUI', { ...http, timeoutMs: 15_000 });
      names = await copyLorasForUi(jobs, options.loraDir, options.loraPrefix);
      const loraInfo = await getJson<ObjectInfo>(options.url, '/object_info/LoraLoader', 'ComfyUI', http);
      const listed = new Set(listedNames(loraInfo, 'LoraLoader', 'lora_name'));
      const missing = [...names.values()].map((n) => `${n}.safetensors`).filter((n) => !listed.has(n));
      if (missing.length > 0) {
        throw evalErrors.create('EVAL_LORA_NOT_LISTED', `ComfyUI does not list ${missing.join(', ')} in its LoRA folder.`, `Check that ui_lora_dir (${options.loraDir}) is ComfyUI's models/loras folder.`, { details: { missing } });
      }
      const ckptInfo = await getJson<ObjectInfo>(options.url, '/object_info/CheckpointLoaderSimple', 'ComfyUI', http);
      const ckpts = listedNames(ckptInfo, 'CheckpointLoaderSimple', 'ckpt_name');
      checkpoint ||= path.basename(options.baseModel);
      if (!ckpts.includes(checkpoint)) {
        throw evalErrors.create('EVAL_BACKEND_SETUP', `ComfyUI has no checkpoint named "${checkpoint}".`, `Set ui_checkpoint in [samples] to one of: ${ckpts.slice(0, 8).join(', ') || '(none listed)'}.`, { details: { checkpoint, available: ckpts } });
      }
    },
    async render(jobs, context: SweepBackendContext) {
      for (const job of jobs) {
        if (context.signal?.aborted) return;
        const loraFile = `${names.get(job.lora) ?? uiLoraName(options.loraPrefix, job.epoch)}.safetensors`;
        const queued = await postJson<{ prompt_id?: string; node_errors?: Record<string, unknown> }>(options.url, '/prompt', { prompt: buildComfyWorkflow(job, loraFile, checkpoint), client_id: clientId }, 'ComfyUI', context.signal ? { signal: context.signal } : {});
        if (!queued.prompt_id) throw evalErrors.create('EVAL_BACKEND_FAILED', `ComfyUI refused the workflow: ${JSON.stringify(queued.node_errors ?? queued).slice(0, 300)}.`, 'Check that the ComfyUI version has the core nodes (LoraLoader, CLIPSetLastLayer, KSampler).');
        const deadline = Date.now() + (options.imageTimeoutMs ?? 600_000);
        let entry: HistoryEntry | undefined;
        while (Date.now() < deadline) {
          if (context.signal?.aborted) return;
          const history = await getJson<Record<string, HistoryEntry>>(options.url, `/history/${queued.prompt_id}`, 'ComfyUI', context.signal ? { signal: context.signal } : {});
          entry = history[queued.prompt_id];
          if (entry?.status?.status_str === 'error') break;
          if (entry?.outputs && Object.values(entry.outputs).some((o) => o.images?.length)) break;
          await sleep(500, context.signal);
        }
        const image = entry?.outputs ? Object.values(entry.outputs).flatMap((o) => o.images ?? [])[0] : undefined;
        if (!image) {
          const why = entry?.status?.status_str === 'error' ? `failed: ${JSON.stringify(entry.status.messages ?? []).slice(0, 300)}` : 'did not finish in time';
          throw evalErrors.create('EVAL_BACKEND_FAILED', `ComfyUI prompt ${queued.prompt_id} ${why}.`, 'Check the ComfyUI console; finished images are kept, run tack sweep again to continue.');
        }
        const query = new URLSearchParams({ filename: image.filename, subfolder: image.subfolder ?? '', type: image.type ?? 'output' });
        const png = await getBytes(options.url, `/view?${query.toString()}`, 'ComfyUI', context.signal ? { signal: context.signal } : {});
        await context.onImage({ job, png });
      }
    },
  };
}
