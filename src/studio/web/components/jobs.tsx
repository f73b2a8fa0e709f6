/** Jobs on a page: the project's jobs kept live from the feed, each with progress and a Stop button. */
import { useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { useFeed, useLive } from '../events.js';
import type { Job, JobProgress } from '../types.js';
import { Badge, ErrorBox, ProgressBar } from './ui.js';

const TONE: Record<string, 'bad' | 'warn' | 'info' | 'good'> = { queued: 'info', running: 'info', succeeded: 'good', failed: 'bad', cancelled: 'warn', interrupted: 'bad' };

/** The project's jobs (newest first) with progress as it arrives. */
export function useProjectJobs(pid: string): { jobs: readonly Job[]; reload: () => void; error: unknown } {
  const { data, reload, error } = useLive(
    () => get<{ jobs: Job[] }>(`/api/jobs?project=${encodeURIComponent(pid)}`),
    (e) => e.kind === 'job' && e.event.type !== 'progress',
    [pid],
  );
  const [progress, setProgress] = useState<Record<number, JobProgress>>({});
  useFeed((e) => {
    if (e.kind === 'job' && e.event.type === 'progress') setProgress((p) => ({ ...p, [e.event.jobId]: e.event.data as unknown as JobProgress }));
  });
  const jobs = (data?.jobs ?? []).map((j) => (progress[j.id] && j.status === 'running' ? { ...j, progress: progress[j.id] as JobProgress } : j));
  return { jobs, reload, error };
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={TONE[status] ?? 'info'}>
      <span data-test="status">{status}</span>
    </Badge>
  );
}

export function JobLine({ job }: { job: Job }) {
  const [error, setError] = useState<unknown>(undefined);
  const active = job.status === 'queued' || job.status === 'running';
  const stop = () => post(`/api/jobs/${job.id}/cancel`).catch(setError);
  return (
    <div class={`job ${job.status}`} data-test={`job-${job.kind}`}>
      <div class="job-head">
        <span class="title">{job.title}</span> <StatusBadge status={job.status} />
        {job.statusReason ? <span class="muted"> ({job.statusReason})</span> : null}
        {active ? (
          <button class="danger small" onClick={stop} data-test="stop-job">
            {job.status === 'queued' ? 'Remove from queue' : 'Stop'}
          </button>
        ) : null}
      </div>
      {job.status === 'running' ? <ProgressBar progress={job.progress} status="starting" /> : null}
      {job.status === 'queued' ? <p class="muted">Waiting for the {job.resource === 'gpu' ? 'GPU' : 'CPU'} of {job.machine}.</p> : null}
      {job.error && !active ? (
        <div class="job-error">
          <strong>{job.error.message}</strong>
          <div class="hint">{job.error.hint}</div>
        </div>
      ) : null}
      <ErrorBox error={error} />
    </div>
  );
}
