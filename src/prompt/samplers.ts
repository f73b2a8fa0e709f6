/**
 * Sampler names in the three generators tack drives. sd-scripts' names are the project
 * schema's SD_SCRIPTS_SAMPLERS (its argparse choices; sdxl_gen_img.py --sampler has the same list);
 * A1111 1.9+ writes the sampler and the schedule type separately ("DPM++ 2S a" + "Karras"),
 * older versions and Forge's infotext as one name ("DPM++ 2S a Karras"); ComfyUI's KSampler
 * takes sampler_name + scheduler. The recipe tests with DPM++ 2S a Karras, which sd-scripts
 * lacks: its closest is k_dpm_2_a (the second-order ancestral sampler of the same family).
 */

import type { SdScriptsSampler } from '../project/index.js';

export interface UiSampler {
  /** A1111 sampler name without the schedule, e.g. "DPM++ 2S a". */
  readonly a1111: string;
  /** A1111 "Schedule type", e.g. "Karras"; "Automatic" when the name carried none. */
  readonly schedule: string;
  /** ComfyUI KSampler sampler_name, e.g. "dpmpp_2s_ancestral". */
  readonly comfySampler: string;
  /** ComfyUI KSampler scheduler, e.g. "karras". */
  readonly comfyScheduler: string;
}

const A1111_TO_COMFY: Readonly<Record<string, string>> = {
  Euler: 'euler',
  'Euler a': 'euler_ancestral',
  LMS: 'lms',
  Heun: 'heun',
  DPM2: 'dpm_2',
  'DPM2 a': 'dpm_2_ancestral',
  'DPM++ 2S a': 'dpmpp_2s_ancestral',
  'DPM++ 2M': 'dpmpp_2m',
  'DPM++ SDE': 'dpmpp_sde',
  'DPM++ 2M SDE': 'dpmpp_2m_sde',
  'DPM++ 3M SDE': 'dpmpp_3m_sde',
  'DPM fast': 'dpm_fast',
  'DPM adaptive': 'dpm_adaptive',
  DDIM: 'ddim',
  UniPC: 'uni_pc',
  LCM: 'lcm',
};

const SCHEDULES: Readonly<Record<string, string>> = {
  Karras: 'karras',
  Exponential: 'exponential',
  'SGM Uniform': 'sgm_uniform',
  Simple: 'simple',
  'Normal': 'normal',
  'DDIM': 'ddim_uniform',
  Beta: 'beta',
  Uniform: 'normal',
  Automatic: 'normal',
};

/** Splits a web UI sampler ("DPM++ 2S a Karras") into the names each UI expects. */
export function parseUiSampler(name: string): UiSampler {
  const trimmed = name.trim();
  let base = trimmed;
  let schedule = 'Automatic';
  for (const s of Object.keys(SCHEDULES).sort((a, b) => b.length - a.length)) {
    if (s !== 'Automatic' && trimmed.endsWith(` ${s}`) && A1111_TO_COMFY[trimmed.slice(0, -s.length - 1)]) {
      base = trimmed.slice(0, -s.length - 1);
      schedule = s;
      break;
    }
  }
  const comfySampler = A1111_TO_COMFY[base] ?? base.toLowerCase().replace(/\+\+/g, 'pp').replace(/[^a-z0-9]+/g, '_');
  return { a1111: base, schedule, comfySampler, comfyScheduler: SCHEDULES[schedule] ?? 'normal' };
}

/**
 * The web UI name closest to an sd-scripts sampler, for the infotext written into the
 * engine's samples. The "k_" names select the same diffusers schedulers as the plain ones
 * in sd-scripts, so they map to the same web UI sampler.
 */
export function sdScriptsSamplerToUi(sampler: string): string {
  // Every sd-scripts sampler has its entry (checked by `satisfies`).
  const map: Readonly<Record<string, string>> = {
    ddim: 'DDIM',
    pndm: 'PLMS',
    lms: 'LMS',
    k_lms: 'LMS',
    euler: 'Euler',
    k_euler: 'Euler',
    euler_a: 'Euler a',
    k_euler_a: 'Euler a',
    heun: 'Heun',
    dpm_2: 'DPM2',
    k_dpm_2: 'DPM2',
    dpm_2_a: 'DPM2 a',
    k_dpm_2_a: 'DPM2 a',
    dpmsolver: 'DPM++ 2M',
    'dpmsolver++': 'DPM++ 2M',
    dpmsingle: 'DPM++ 2S a',
  } satisfies Record<SdScriptsSampler, string>;
  return map[sampler] ?? sampler;
}
