/** The working state of one kohya_ss preset import: values, reasons, the change report, findings. */
import { finding, type Finding } from '../../core/index.js';
import type { Preset, PresetValues } from '../presets.js';
import type { KohyaFileKind } from './kohya-kind.js';
import type { SettingReason, TrainSettings } from '../settings.js';
import { argSpec } from './args-schema.js';
import { guiNumberOf, present, toBool, toNumber, type GuiNumber } from './kohya-gui-zero.js';

export { toBool, toNumber };

export type ImportAction = 'imported' | 'converted' | 'plan-hint' | 'dropped' | 'ignored' | 'unknown';

export interface ImportChange {
  readonly key: string;
  readonly guiValue: unknown;
  readonly action: ImportAction;
  /** The tack setting it became, e.g. "network_alpha = 1". */
  readonly result?: string;
  readonly note?: string;
}

export interface KohyaImportResult {
  readonly preset: Preset;
  /** What the file was recognised as (always an SDXL LoRA-tab file once imported). */
  readonly recognised: KohyaFileKind;
  readonly changes: readonly ImportChange[];
  /** Pitfalls and problems found in the file (data.pitfall names the P-number). */
  readonly findings: readonly Finding[];
}

/** Splits a command-line-like string the way the GUI does (spaces, quotes stripped). */
export function splitGuiArgs(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push((m[1] ?? m[2] ?? m[3] ?? '').replace(/["']/g, ''));
  return out;
}

/** Parses `--flag value ...` (additional_parameters) into engine arguments. */
export function parseAdditional(text: string): { args: Array<{ dest: string; values: string[] }>; unknown: string[] } {
  const tokens = splitGuiArgs(text);
  const args: Array<{ dest: string; values: string[] }> = [];
  const unknown: string[] = [];
  let current: { dest: string; values: string[] } | undefined;
  for (const token of tokens) {
    if (token.startsWith('--')) {
      const [flag, inline] = token.split(/=(.*)/s, 2) as [string, string | undefined];
      const dest = flag.slice(2);
      if (!argSpec(dest)) {
        unknown.push(flag);
        current = undefined;
        continue;
      }
      current = { dest, values: inline !== undefined ? [inline] : [] };
      args.push(current);
    } else if (current) {
      current.values.push(token);
    }
  }
  return { args, unknown };
}

export class Importer {
  readonly values: PresetValues = {};
  readonly reasons: Partial<Record<keyof TrainSettings, SettingReason>> = {};
  readonly planHints: Record<string, string | number | boolean> = {};
  readonly changes: ImportChange[] = [];
  readonly findings: Finding[] = [];
  readonly extra: string[] = [];
  private readonly handled = new Set<string>();

  constructor(readonly json: Record<string, unknown>, readonly file: string) {}

  has(key: string): boolean {
    return present(this.json, key);
  }

  get(key: string): unknown {
    this.handled.add(key);
    return this.json[key];
  }

  set<K extends keyof TrainSettings>(key: K, value: TrainSettings[K], guiKey: string, action: ImportAction, note?: string): void {
    (this.values as Record<string, unknown>)[key] = value;
    this.reasons[key] = { why: `from ${guiKey} in ${this.file}${note ? ` (${note})` : ''}`, source: 'imported' };
    this.changes.push({ key: guiKey, guiValue: this.json[guiKey], action, result: `${key} = ${JSON.stringify(value)}`, ...(note ? { note } : {}) });
  }

  addExtra(dest: string, value: string | number | boolean, guiKey: string, note?: string): void {
    this.extra.push(`${dest}=${value}`);
    this.changes.push({ key: guiKey, guiValue: this.json[guiKey], action: 'imported', result: `extra_args "${dest}=${value}"`, ...(note ? { note } : {}) });
  }

  /** The rule the GUI applies to a numeric key (kohya-gui-zero.ts), without noting anything. */
  guiRule(key: string): GuiNumber | undefined {
    this.handled.add(key);
    return guiNumberOf(this.json, key);
  }

  /**
   * The number the GUI would write for `key`; undefined when the file does not set it or the GUI
   * leaves it out (0, "" or false: "off"), which is noted with what the engine does instead.
   */
  guiNumber(key: string): number | undefined {
    const rule = this.guiRule(key);
    if (rule && 'off' in rule) {
      this.note(key, 'ignored', rule.off);
      return undefined;
    }
    return rule?.value;
  }

  note(key: string, action: ImportAction, note: string, result?: string): void {
    this.handled.add(key);
    this.changes.push({ key, guiValue: this.json[key], action, note, ...(result ? { result } : {}) });
  }

  pitfall(id: string, code: string, message: string, fix: string, subject: string, severity: 'warning' | 'info' = 'warning'): void {
    this.findings.push(finding(severity, code, message, { subject, fix, data: { pitfall: id } }));
  }

  unhandledKeys(): string[] {
    return Object.keys(this.json).filter((k) => !this.handled.has(k));
  }
}

