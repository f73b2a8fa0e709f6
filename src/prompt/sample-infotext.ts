/**
 * Infotext for tack's own images (engine samples and sweeps), so a user can drop one into
 * A1111 / Forge ("PNG Info" -> "Send to txt2img") and get the same prompt, settings and LoRA at
 * the same strength. Seeds reproduce the composition only within one generator: each draws its
 * noise differently.
 */
import { formatLoraTag } from './a1111-prompt.js';
import { formatInfotext } from './infotext.js';
import { parseUiSampler, sdScriptsSamplerToUi } from './samplers.js';

export interface SampleInfotextInput {
  /** The prompt in web UI syntax (without the LoRA tag). */
  readonly prompt: string;
  readonly negative?: string;
  readonly steps?: number;
  /** sd-scripts sampler name (converted) or a web UI sampler name. */
  readonly sampler?: string;
  readonly cfg?: number;
  readonly seed?: number;
  readonly width?: number;
  readonly height?: number;
  readonly clipSkip?: number;
  /** LoRA file stem as the web UI will list it, and its strength. */
  readonly lora?: { readonly name: string; readonly strength: number; readonly hash?: string };
  readonly model?: string;
  readonly modelHash?: string;
  /** Where the image came from, e.g. "sd-scripts sample, epoch 3". */
  readonly source?: string;
}

const SD_SCRIPTS = new Set(['ddim', 'pndm', 'lms', 'euler', 'euler_a', 'heun', 'dpm_2', 'dpm_2_a', 'dpmsolver', 'dpmsolver++', 'dpmsingle', 'k_lms', 'k_euler', 'k_euler_a', 'k_dpm_2', 'k_dpm_2_a']);

export function buildSampleInfotext(input: SampleInfotextInput): string {
  const uiName = input.sampler ? (SD_SCRIPTS.has(input.sampler) ? sdScriptsSamplerToUi(input.sampler) : input.sampler) : undefined;
  const sampler = uiName ? parseUiSampler(uiName) : undefined;
  const prompt = input.lora ? `${input.prompt}, ${formatLoraTag(input.lora.name, input.lora.strength)}` : input.prompt;
  return formatInfotext({
    prompt,
    negativePrompt: input.negative ?? '',
    params: [
      ['Steps', input.steps],
      ['Sampler', sampler?.a1111],
      ['Schedule type', sampler && sampler.schedule !== 'Automatic' ? sampler.schedule : undefined],
      ['CFG scale', input.cfg],
      ['Seed', input.seed],
      ['Size', input.width && input.height ? `${input.width}x${input.height}` : undefined],
      ['Model hash', input.modelHash],
      ['Model', input.model],
      ['Clip skip', input.clipSkip],
      ['Lora hashes', input.lora?.hash ? `${input.lora.name}: ${input.lora.hash}` : undefined],
      ['Tack source', input.source],
    ],
  });
}
