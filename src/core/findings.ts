/**
 * Findings are the results of checks (photo quality, config validation, captions, presets).
 * A check returns findings instead of throwing: one bad photo is a finding, not a crash.
 */

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable code, UPPER_SNAKE, namespaced by module (e.g. DOCTOR_BLURRY). */
  readonly code: string;
  readonly severity: Severity;
  /** What the finding is about: a file name relative to the project, a config key, a value. */
  readonly subject?: string;
  /** What is wrong, naming the value. */
  readonly message: string;
  /** What to do about it. */
  readonly fix?: string;
  /** Numbers behind the finding, for --json and the studio. */
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface CheckResult {
  readonly errors: readonly Finding[];
  readonly warnings: readonly Finding[];
  readonly infos: readonly Finding[];
}

export function finding(severity: Severity, code: string, message: string, extra: Omit<Finding, 'severity' | 'code' | 'message'> = {}): Finding {
  return { code, severity, message, ...extra };
}

export function partitionFindings(findings: readonly Finding[]): CheckResult {
  return {
    errors: findings.filter((f) => f.severity === 'error'),
    warnings: findings.filter((f) => f.severity === 'warning'),
    infos: findings.filter((f) => f.severity === 'info'),
  };
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Most severe first, then by subject, then by code: a stable order for printing and JSON. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) => RANK[a.severity] - RANK[b.severity] || (a.subject ?? '').localeCompare(b.subject ?? '') || a.code.localeCompare(b.code),
  );
}
