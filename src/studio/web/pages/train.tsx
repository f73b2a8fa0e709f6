/**
 * Train: start, stop (as Ctrl-C) and resume; the run live: progress (step, epoch, it/s, ETA),
 * the loss chart, each epoch's checkpoint and samples as they are written, and each epoch's
 * likeness as soon as its samples are scored; the typed outcome with its reason and what to do;
 * and every run of the project.
 */
import { useMemo, useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { useFeed, useLive } from '../events.js';
import { navigate } from '../router.js';
import type { Job, LiveLikeness, RunJson } from '../types.js';
import { LineChart } from '../components/chart.js';
import { JobLine, StatusBadge, useProjectJobs } from '../components/jobs.js';
import { runFileUrl } from '../components/run-files.js';
import { ErrorBox, fixed, formatBytes, formatDuration, Loading, ProgressBar, Section } from '../components/ui.js';

interface RunsDoc {
  readonly runs: readonly RunJson[];
}

function Controls({ pid, runs, train }: { pid: string; runs: readonly RunJson[]; train: Job | undefined }) {
  const [error, setError] = useState<unknown>(undefined);
  const newest = runs.at(-1);
  const resumable = newest && ['cancelled', 'failed', 'interrupted'].includes(newest.status);
  const active = train && (train.status === 'running' || train.status === 'queued');
  const start = (inputs: Record<string, unknown>) => post(`/api/projects/${pid}/jobs`, { kind: 'train', inputs }).catch(setError);
  return (
    <div class="train-controls">
      <button class="primary" disabled={Boolean(active)} onClick={() => start({})} data-test="start-training">
        Start training
      </button>
      {resumable ? (
        <button disabled={Boolean(active)} onClick={() => start({ resume: true })} data-test="resume-training">
          Resume run {newest?.id}
        </button>
      ) : null}
      {active && train ? (
        <button class="danger" onClick={() => post(`/api/jobs/${train.id}/cancel`).catch(setError)} data-test="stop-training">
          Stop (keeps the checkpoints)
        </button>
      ) : null}
      <ErrorBox error={error} />
    </div>
  );
}

function LiveRun({ pid, run, train, likenessJob }: { pid: string; run: RunJson; train: Job | undefined; likenessJob: Job | undefined }) {
  const metrics = useLive(() => get<{ loss: Array<{ step: number; loss: number }> }>(`/api/projects/${pid}/runs/${run.id}/metrics`), (e) => e.kind === 'job' && e.event.type === 'state', [pid, run.id]);
  const likeness = useLive(() => get<{ live: LiveLikeness | null }>(`/api/projects/${pid}/runs/${run.id}/likeness`), (e) => e.kind === 'job' && (e.event.type === 'likeness' || e.event.type === 'state'), [pid, run.id]);
  const [liveLoss, setLiveLoss] = useState<Array<[number, number]>>([]);
  const [liveLikeness, setLiveLikeness] = useState<Array<[number, number]>>([]);
  useFeed((e) => {
    if (e.kind !== 'job') return;
    if (train && e.event.jobId === train.id && e.event.type === 'progress' && typeof e.event.data.loss === 'number' && e.event.data.label === 'training') {
      setLiveLoss((l) => [...l, [e.event.data.done as number, e.event.data.loss as number]]);
    }
    if (e.event.type === 'likeness' && e.event.data.run === run.id) setLiveLikeness((l) => [...l, [e.event.data.epoch as number, e.event.data.effectiveLikeness as number]]);
  });
  const loss = useMemo(() => {
    const byStep = new Map<number, number>();
    for (const p of metrics.data?.loss ?? []) byStep.set(p.step, p.loss);
    for (const [s, l] of liveLoss) byStep.set(s, l);
    return [...byStep].sort((a, b) => a[0] - b[0]);
  }, [metrics.data, liveLoss]);
  const likenessPoints = useMemo(() => {
    const byEpoch = new Map<number, number>();
    for (const e of likeness.data?.live?.epochs ?? []) byEpoch.set(e.epoch, e.effectiveLikeness);
    for (const [e, l] of liveLikeness) byEpoch.set(e, l);
    return [...byEpoch].sort((a, b) => a[0] - b[0]);
  }, [likeness.data, liveLikeness]);
  const epochs = [...new Set([...run.checkpoints.map((c) => c.epoch), ...run.samples.map((s) => s.epoch)])].sort((a, b) => a - b);
  const running = train?.status === 'running' && train.runId === run.id;
  return (
    <div class="live-run" data-test="live-run">
      <div class="run-head">
        <h3>
          Run {run.id} <StatusBadge status={running ? 'running' : run.status} />
        </h3>
        <span class="muted">
          {run.preset} · {run.plan.images} photos x {run.plan.repeats} repeats · {run.plan.epochs} epochs · {run.plan.totalSteps} steps
        </span>
      </div>
      {running ? <ProgressBar progress={train.progress} status="starting the trainer" /> : null}
      {run.outcome ? (
        <div class={`outcome ${run.outcome.kind}`} data-test="outcome">
          <strong>
            {run.outcome.kind}
            {run.outcome.reason ? ` (${run.outcome.reason})` : ''}:
          </strong>{' '}
          {run.outcome.message}
          {run.outcome.hint && run.outcome.kind !== 'succeeded' ? <div class="hint">What to do: {run.outcome.hint}</div> : null}
          {run.outcome.lastLines?.length ? <pre class="log">{run.outcome.lastLines.slice(-8).join('\n')}</pre> : null}
        </div>
      ) : null}
      <div class="charts">
        <div>
          <h4>Loss</h4>
          <LineChart series={[{ name: 'average loss', points: loss, tone: 'loss' }]} xLabel="step" yLabel="loss" integerX test="loss-chart" />
        </div>
        <div>
          <h4>Likeness per epoch</h4>
          <LineChart series={[{ name: 'likeness', points: likenessPoints, tone: 'likeness', markers: true }]} xLabel="epoch" yLabel="likeness" yMin={0} integerX test="likeness-chart" />
          {likenessJob && (likenessJob.status === 'running' || likenessJob.status === 'queued') ? (
            <p class="muted small">{running ? 'Scoring each epoch\'s samples as they arrive...' : 'Scoring the last samples and evaluating the run...'}</p>
          ) : null}
          {likenessJob?.status === 'failed' && likenessJob.error ? (
            <p class="warn small" data-test="likeness-error">
              Likeness could not be scored: {likenessJob.error.message} {likenessJob.error.hint}
            </p>
          ) : null}
        </div>
      </div>
      <h4>Epochs</h4>
      <div class="epochs" data-test="epochs">
        {epochs.length === 0 ? <p class="muted">Checkpoints and samples appear here as the trainer writes them.</p> : null}
        {epochs.map((epoch) => {
          const cks = run.checkpoints.filter((c) => c.epoch === epoch);
          const score = likenessPoints.find(([e]) => e === epoch)?.[1];
          return (
            <div class="epoch" key={epoch} data-test="epoch">
              <div class="epoch-head">
                <strong>epoch {epoch}</strong>
                {cks.map((c) => (
                  <a key={c.file} href={runFileUrl(pid, run.id, run.dir, c.file)} class="muted small" download>
                    {c.final ? 'final LoRA' : 'checkpoint'} ({formatBytes(c.sizeBytes)})
                  </a>
                ))}
                {score !== undefined ? <span class="likeness-value">likeness {fixed(score)}</span> : null}
              </div>
              <div class="samples">
                {run.samples
                  .filter((s) => s.epoch === epoch)
                  .map((s) => (
                    <a key={s.file} href={runFileUrl(pid, run.id, run.dir, s.file)} target="_blank" rel="noopener">
                      <img src={runFileUrl(pid, run.id, run.dir, s.file)} alt={`epoch ${epoch} sample ${s.promptIndex}`} loading="lazy" data-test="sample" />
                    </a>
                  ))}
              </div>
            </div>
          );
        })}
      </div>
    </div>
  );
}

export function TrainPage({ pid, run: selected }: { pid: string; run?: string }) {
  const runs = useLive(
    () => get<RunsDoc>(`/api/projects/${pid}/runs`),
    (e) => e.kind === 'job' && ['state', 'run', 'checkpoint', 'sample', 'epoch'].includes(e.event.type),
    [pid],
  );
  const { jobs } = useProjectJobs(pid);
  const train = jobs.find((j) => j.kind === 'train');
  const list = runs.data?.runs ?? [];
  const shownId = selected ?? (train && (train.status === 'running' || train.status === 'queued') && train.runId ? train.runId : list.at(-1)?.id);
  const shown = list.find((r) => r.id === shownId);
  const likenessJob = jobs.find((j) => j.kind === 'likeness' && j.inputs.run === shownId);
  return (
    <div class="page train-page">
      <Section title="Train" test="train">
        <Controls pid={pid} runs={list} train={train} />
        {train && train.status === 'queued' ? <JobLine job={train} /> : null}
        {train && train.status === 'running' && !train.runId ? <JobLine job={train} /> : null}
        {train && (train.status === 'failed' || train.status === 'interrupted') && !train.runId ? <JobLine job={train} /> : null}
        <ErrorBox error={runs.error} onRetry={runs.reload} />
        {!runs.data ? <Loading what="runs" /> : null}
        {shown ? <LiveRun key={shown.id} pid={pid} run={shown} train={train} likenessJob={likenessJob} /> : runs.data ? <p class="muted">No runs yet: set the base model in Plan & settings, then Start training.</p> : null}
      </Section>
      <Section title="Runs" test="runs">
        <table class="table">
          <thead>
            <tr>
              <th>run</th>
              <th>status</th>
              <th>steps</th>
              <th>loss</th>
              <th>duration</th>
              <th>preset</th>
            </tr>
          </thead>
          <tbody>
            {[...list].reverse().map((r) => (
              <tr key={r.id} class={r.id === shownId ? 'selected' : ''} onClick={() => navigate({ page: 'train', project: pid, item: r.id })}>
                <td>
                  <a href={`#/p/${pid}/train/${r.id}`}>{r.id}</a>
                </td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td>
                  {r.progress?.step ?? 0}/{r.plan.totalSteps}
                </td>
                <td>{fixed(r.finalLoss, 3)}</td>
                <td>{formatDuration(r.durationMs ?? NaN)}</td>
                <td>{r.preset}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </div>
  );
}
