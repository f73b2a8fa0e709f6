/** Shared text rendering for commands. */
import { sortFindings, type Finding } from '../core/index.js';
import type { CommandContext } from './command.js';

const MARK: Record<Finding['severity'], string> = { error: 'ERROR', warning: 'warn ', info: 'note ' };

export function formatFinding(f: Finding): string {
  const subject = f.subject ? `${f.subject}: ` : '';
  const fix = f.fix ? `\n         fix: ${f.fix}` : '';
  return `  ${MARK[f.severity]}  ${subject}${f.message}${fix}`;
}

export function printFindings(ctx: CommandContext, findings: readonly Finding[]): void {
  for (const f of sortFindings(findings)) ctx.print(formatFinding(f));
}

const CHECK_MARK = { ok: ' ok ', warning: 'warn', error: 'FAIL', skipped: 'skip' } as const;

/** A doctor's check as lines: "[ ok ] label  detail", and what to do when it is not ok. */
export function formatCheck(c: { readonly status: keyof typeof CHECK_MARK; readonly label: string; readonly detail: string; readonly fix?: string }): string[] {
  const lines = [`[${CHECK_MARK[c.status]}] ${c.label.padEnd(13)} ${c.detail}`];
  if (c.fix && c.status !== 'ok') lines.push(`       ${' '.repeat(13)} fix: ${c.fix}`);
  return lines;
}

/** A plain text table: columns padded to their widest cell; numbers right-aligned. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  return cells
    .map((r) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ').trimEnd())
    .join('\n');
}
