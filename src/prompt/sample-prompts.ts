/**
 * The sample prompts the engine renders every epoch (sd-scripts.md 6.5) and tack scores.
 * Built from the recipe (recipe.md 5): the trigger and class in three framings (portrait,
 * mid-shot, full body) and varied scenes, the recipe's photographic terms, Pony's full quality
 * prefix for Pony checkpoints (P20: score_9 alone is weak) and the recipe's negative; fixed
 * seeds so every epoch renders the same images. Users replace or extend them in [samples].
 */
import { finding, type Finding } from '../core/index.js';
import type { ProjectConfig } from '../project/index.js';

export type SampleFraming = 'portrait' | 'mid-shot' | 'full-body' | 'custom';

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
  /** The same prompt in web UI syntax (BREAK after Pony's quality prefix, as the recipe writes it). */
  readonly uiPrompt?: string;
  readonly framing?: SampleFraming;
  /** Short label for reports, e.g. "portrait, studio". */
  readonly label?: string;
}

/** Pony's quality prefix must be the whole string (P20): score_9 alone is weak. */
export const PONY_QUALITY_PREFIX = 'score_9, score_8_up, score_7_up, score_6_up, score_5_up, score_4_up';

/** The recipe's test negative (recipe.md 5), with its "source_furyy" typo corrected. */
export const PONY_NEGATIVE =
  'score_1, score_2, score_3, text, 3d, deformed, deformed face, low quality, bad quality, worst quality, (drawn, furry, illustration, cartoon, anime, comic:1.5), cgi, extra fingers, (source_anime, source_cartoon, source_furry, source_western, source_comic, source_pony), deformed teeth, plain background';
export const STANDARD_NEGATIVE =
  'text, 3d, deformed, deformed face, low quality, bad quality, worst quality, (drawn, illustration, cartoon, anime, comic:1.5), cgi, extra fingers, deformed teeth, plain background, blurry';

/** The recipe's photographic terms (recipe.md 5), shortened to what helps a likeness test. */
const PHOTO_TERMS = 'photo, very sharp, very detailed, realistic, detailed eyes, natural lighting';

const DEFAULT_SCENES: ReadonlyArray<{ framing: SampleFraming; label: string; text: string }> = [
  // {outfit}: the recipe's "wearing dress" for women, plain clothes otherwise.
  { framing: 'portrait', label: 'portrait, studio', text: 'portrait, close-up, looking at viewer, plain studio backdrop, soft light' },
  { framing: 'mid-shot', label: 'mid-shot, cozy bedroom', text: 'mid-shot, portrait, cozy bedroom, wearing {outfit}' },
  { framing: 'full-body', label: 'full body, city street', text: 'full body, standing, city street, daylight' },
  { framing: 'portrait', label: 'portrait, park', text: 'portrait, smiling, outdoors, park, golden hour' },
  { framing: 'mid-shot', label: 'mid-shot, cafe', text: 'mid-shot, sitting in a cafe, wearing a sweater, window light' },
  { framing: 'full-body', label: 'full body, beach', text: 'full body, walking on a beach, sunset' },
];

export type SampleSettings = ProjectConfig['samples'];

/** What buildSamplePrompts reads: the subject, the preset and, when present, [samples]. */
export type SamplePromptConfig = Pick<ProjectConfig, 'token' | 'class' | 'preset'> &
  Partial<Pick<ProjectConfig, 'captioner' | 'base_model'>> & { readonly samples?: Partial<SampleSettings> };

const DEFAULTS = {
  seeds: [3281991511],
  width: 768,
  height: 1280,
  steps: 30,
  cfg: 6,
  sampler: 'k_dpm_2_a',
  quality_prefix: 'auto',
  negative: '',
  prompts: [] as string[],
} as const;

/** Pony quality tags apply to Pony presets and to checkpoints whose file name says Pony. */
export function isPonyConfig(config: SamplePromptConfig): boolean {
  const mode = config.samples?.quality_prefix ?? 'auto';
  if (mode !== 'auto') return mode === 'pony';
  return config.preset.toLowerCase().startsWith('pony') || /pony/i.test(config.base_model ?? '');
}

/** How captions name the subject (recipe.md 2): WD14 tags use 1girl/1boy, sentences the class word. */
export function subjectWords(config: SamplePromptConfig): string {
  const cls = config.class.trim();
  if (config.captioner === 'wd14') {
    const tag = cls === 'woman' ? '1girl' : cls === 'man' ? '1boy' : cls;
    return `${config.token}, ${tag}`;
  }
  return `${config.token} ${cls}`;
}

function fill(template: string, config: SamplePromptConfig): string {
  return template.replaceAll('{trigger}', config.token).replaceAll('{class}', config.class);
}

export function buildSamplePrompts(config: SamplePromptConfig): SamplePrompt[] {
  const s = { ...DEFAULTS, ...(config.samples ?? {}) };
  const pony = isPonyConfig(config);
  const negative = s.negative.trim() || (pony ? PONY_NEGATIVE : STANDARD_NEGATIVE);
  const subject = subjectWords(config);
  const bodies =
    s.prompts.length > 0
      ? s.prompts.map((p, i) => ({ framing: 'custom' as const, label: `prompt ${i + 1}`, body: fill(p, config) }))
      : DEFAULT_SCENES.map((scene) => ({ framing: scene.framing, label: scene.label, body: `${subject}, ${scene.text.replace('{outfit}', /^(woman|girl)$/i.test(config.class.trim()) ? 'dress' : 'casual clothes')}, ${PHOTO_TERMS}` }));
  const out: SamplePrompt[] = [];
  for (const seed of s.seeds) {
    for (const b of bodies) {
      out.push({
        prompt: pony ? `${PONY_QUALITY_PREFIX}, ${b.body}` : b.body,
        uiPrompt: pony ? `${PONY_QUALITY_PREFIX}, BREAK, ${b.body}` : b.body,
        negative,
        width: s.width,
        height: s.height,
        seed,
        steps: s.steps,
        cfg: s.cfg,
        sampler: s.sampler,
        framing: b.framing,
        label: b.label,
      });
    }
  }
  return out;
}

/** Problems with the sample prompts that would make the scores meaningless. */
export function checkSamplePrompts(config: SamplePromptConfig, prompts: readonly SamplePrompt[]): Finding[] {
  const findings: Finding[] = [];
  prompts.forEach((p, i) => {
    if (!p.prompt.toLowerCase().includes(config.token.toLowerCase())) {
      findings.push(
        finding('warning', 'PROMPT_NO_TRIGGER', `Sample prompt ${i + 1} does not contain the trigger "${config.token}", so it cannot show the subject.`, {
          subject: `samples.prompts[${i % Math.max(1, config.samples?.prompts?.length ?? prompts.length)}]`,
          fix: 'Put {trigger} in the prompt.',
        }),
      );
    }
  });
  if (isPonyConfig(config) && config.samples?.prompts?.some((p) => /score_9(?!, score_8_up)/.test(p))) {
    findings.push(
      finding('warning', 'PROMPT_WEAK_PONY_PREFIX', 'A sample prompt has score_9 without the rest of Pony\'s quality string (P20).', {
        subject: 'samples.prompts',
        fix: 'Leave the quality tags out of your prompts: tack adds the full string for Pony models.',
      }),
    );
  }
  if ((config.samples?.width ?? DEFAULTS.width) * (config.samples?.height ?? DEFAULTS.height) < 512 * 512) {
    findings.push(
      finding('info', 'PROMPT_SMALL_SAMPLES', 'Samples smaller than 512x512 leave small faces that score poorly.', { subject: 'samples.width', fix: 'Use 768x1280 (the recipe) or 832x1216.' }),
    );
  }
  return findings;
}

/** One line per prompt in the engine's syntax: `prompt --n neg --w W --h H --d seed --l cfg --s steps --ss sampler`. */
export function formatSdScriptsPromptFile(prompts: readonly SamplePrompt[]): string {
  const lines = prompts.map((p) => {
    // The engine splits a line on " --" (sd-scripts.md 6.5), so a prompt may not contain it.
    const parts = [p.prompt.replace(/\s+--/g, ' -')];
    if (p.negative) parts.push(`--n ${p.negative.replace(/\s+--/g, ' -')}`);
    parts.push(`--w ${p.width}`, `--h ${p.height}`, `--d ${p.seed}`, `--l ${p.cfg}`, `--s ${p.steps}`, `--ss ${p.sampler}`);
    return parts.join(' ');
  });
  return `# sd-scripts sample prompts written by tack (one per line)\n${lines.join('\n')}\n`;
}

/** Parsed line of an engine prompt file; absent options keep the engine's defaults (sd-scripts.md 6.5). */
export interface SdScriptsPromptLine {
  readonly prompt: string;
  readonly negative?: string;
  readonly width?: number;
  readonly height?: number;
  readonly seed?: number;
  readonly steps?: number;
  readonly cfg?: number;
  readonly sampler?: string;
  /** Network multipliers (`--am`, sdxl_gen_img.py only). */
  readonly networkMultipliers?: readonly number[];
}

/** Reads an engine prompt file: lines split on " --", options matched case-insensitively at their start. */
export function parseSdScriptsPromptFile(text: string): SdScriptsPromptLine[] {
  const out: SdScriptsPromptLine[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [prompt = '', ...args] = line.split(' --');
    const entry: Record<string, unknown> = { prompt: prompt.trim() };
    for (const arg of args) {
      const m = /^(ss|am|n|w|h|d|l|s)\s+(.*)$/is.exec(arg.trim());
      if (!m) continue;
      const key = (m[1] as string).toLowerCase();
      const value = (m[2] as string).trim();
      if (key === 'n') entry.negative = value;
      else if (key === 'ss') entry.sampler = value;
      else if (key === 'am') entry.networkMultipliers = value.split(',').map(Number).filter(Number.isFinite);
      else {
        const n = Number(value.split(',')[0]);
        if (!Number.isFinite(n)) continue;
        const name = { w: 'width', h: 'height', d: 'seed', l: 'cfg', s: 'steps' }[key] as string;
        entry[name] = key === 'w' || key === 'h' ? Math.max(64, Math.floor(n / 8) * 8) : n;
      }
    }
    out.push(entry as unknown as SdScriptsPromptLine);
  }
  return out;
}
