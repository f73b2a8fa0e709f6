/** Small building blocks. Every text from a project (file names, captions, metadata) is rendered as text, never as markup. */
import type { ComponentChildren } from 'preact';
import { ApiError } from '../api.js';
// core/units.js itself, not core/index.js: only these pure functions come into the page.
import { formatBytes, formatDuration } from '../../../core/units.js';
import type { Finding, JobProgress } from '../types.js';

export { formatBytes, formatDuration };

export const fixed = (x: number | null | undefined, digits = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : new ApiError('STUDIO_PAGE', String((error as Error)?.message ?? error), 'Reload the page.', 0);
  return (
    <div class="error" role="alert" data-test="error">
      <strong>{e.message}</strong>
      <div class="hint">{e.hint}</div>
      <code class="code">{e.code}</code>
      {onRetry ? <button onClick={onRetry}>Try again</button> : null}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p class="muted loading">Loading {what}...</p>;
}

export function ProgressBar({ progress, status }: { progress: JobProgress | null | undefined; status?: string }) {
  const fraction = progress && progress.total > 0 ? Math.min(1, progress.done / progress.total) : 0;
  return (
    <div class="progress" data-test="progress" role="progressbar" aria-valuemin={0} aria-valuemax={progress?.total ?? 0} aria-valuenow={progress?.done ?? 0}>
      <div class="bar" style={{ width: `${Math.round(fraction * 100)}%` }} />
      <span class="label">
        {progress ? `${progress.label} ${progress.done}/${progress.total}` : (status ?? '')}
        {progress?.epoch ? ` · epoch ${progress.epoch}/${progress.totalEpochs}` : ''}
        {progress?.itPerSec ? ` · ${progress.itPerSec.toFixed(2)} it/s` : ''}
        {progress?.etaSec !== undefined && progress?.etaSec !== null ? ` · ${formatDuration(progress.etaSec * 1000)} left` : ''}
        {progress?.loss !== undefined && progress?.loss !== null ? ` · loss ${progress.loss.toFixed(3)}` : ''}
      </span>
    </div>
  );
}

export function Badge({ tone, children, title }: { tone: 'bad' | 'warn' | 'info' | 'good'; children: ComponentChildren; title?: string }) {
  return (
    <span class={`badge ${tone}`} title={title}>
      {children}
    </span>
  );
}

const SEVERITY: Record<Finding['severity'], 'bad' | 'warn' | 'info'> = { error: 'bad', warning: 'warn', info: 'info' };

export function Findings({ findings, empty }: { findings: readonly Finding[]; empty?: string }) {
  if (findings.length === 0) return empty ? <p class="muted">{empty}</p> : null;
  return (
    <ul class="findings" data-test="findings">
      {findings.map((f, i) => (
        <li key={`${f.code}-${i}`} class={SEVERITY[f.severity]}>
          <span class="sev">{f.severity}</span> {f.subject ? <span class="subject">{f.subject}: </span> : null}
          <span>{f.message}</span>
          {f.fix ? <div class="fix">Fix: {f.fix}</div> : null}
          <code class="code">{f.code}</code>
        </li>
      ))}
    </ul>
  );
}

export function Section({ title, children, actions, test }: { title: string; children: ComponentChildren; actions?: ComponentChildren; test?: string }) {
  return (
    <section class="panel" data-test={test}>
      <header>
        <h2>{title}</h2>
        <div class="actions">{actions}</div>
      </header>
      {children}
    </section>
  );
}
