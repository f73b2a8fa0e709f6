/**
 * Sample prompts the engine renders every epoch (sd-scripts.md 6.5). A first version: the
 * evaluate work extends it (framings, scenes, [samples] settings in tack.toml).
 */
import type { ProjectConfig } from '../project/index.js';

export interface SamplePrompt {
  readonly prompt: string;
  readonly negative?: string;
  readonly width: number;
  readonly height: number;
  readonly seed: number;
  readonly steps: number;
  readonly cfg: number;
  /** An sd-scripts sampler name (euler_a, k_dpm_2_a ...). */
  readonly sampler: string;
}

/** Pony's quality prefix must be the whole string (P20): score_9 alone is weak. */
export const PONY_QUALITY_PREFIX = 'score_9, score_8_up, score_7_up, score_6_up, score_5_up, score_4_up';

export function buildSamplePrompts(config: Pick<ProjectConfig, 'token' | 'class' | 'preset'>): SamplePrompt[] {
  const pony = config.preset.startsWith('pony');
  const subject = `${config.token} ${config.class}`;
  const prefix = pony ? `${PONY_QUALITY_PREFIX}, ` : '';
  const negative = pony ? 'score_1, score_2, score_3, text, deformed, low quality' : 'text, deformed, low quality, blurry';
  const framings = ['portrait photo, looking at viewer', 'mid-shot photo, cozy bedroom', 'full body photo, standing outdoors'];
  return framings.map((framing, i) => ({
    prompt: `${prefix}${subject}, ${framing}`,
    negative,
    width: 832,
    height: 1216,
    seed: 1000 + i,
    steps: 30,
    cfg: 6,
    sampler: 'k_dpm_2_a',
  }));
}

/** One line per prompt in the engine's syntax: `prompt --n neg --w W --h H --d seed --l cfg --s steps --ss sampler`. */
export function formatSdScriptsPromptFile(prompts: readonly SamplePrompt[]): string {
  const lines = prompts.map((p) => {
    const parts = [p.prompt.replace(/\s+--/g, ' -')];
    if (p.negative) parts.push(`--n ${p.negative.replace(/\s+--/g, ' -')}`);
    parts.push(`--w ${p.width}`, `--h ${p.height}`, `--d ${p.seed}`, `--l ${p.cfg}`, `--s ${p.steps}`, `--ss ${p.sampler}`);
    return parts.join(' ');
  });
  return `# sd-scripts sample prompts written by tack (one per line)\n${lines.join('\n')}\n`;
}
