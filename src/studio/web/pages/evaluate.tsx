/**
 * Evaluate: likeness per epoch and strength (chart, and the epoch x strength grid with badges
 * for copies of a training photo and samples without a face), the recommendation in words;
 * start an evaluation, a sweep or the HTML report; compare two epochs side by side next to the
 * nearest training photo.
 */
import { useState } from 'preact/hooks';
import { ApiError, get, path, post } from '../api.js';
import { useLive } from '../events.js';
import { navigate } from '../router.js';
import type { CellStats, Evaluation, PhotosDoc, RunJson, SampleScore } from '../types.js';
import { LineChart } from '../components/chart.js';
import { JobLine, useProjectJobs } from '../components/jobs.js';
import { projectFileUrl } from '../components/run-files.js';
import { Badge, ErrorBox, Findings, fixed, Loading, Section } from '../components/ui.js';

const TONES = ['likeness', 's2', 's3', 's4', 's5'];

function Grid({ cells, rec }: { cells: readonly CellStats[]; rec: Evaluation['recommendation'] }) {
  const epochs = [...new Set(cells.map((c) => c.epoch))].sort((a, b) => a - b);
  const columns = [...new Set(cells.map((c) => `${c.source}|${c.strength}`))].sort();
  return (
    <table class="table grid" data-test="likeness-grid">
      <thead>
        <tr>
          <th>epoch</th>
          {columns.map((col) => {
            const [source, strength] = col.split('|');
            return <th key={col}>{source === 'training' ? 'training samples' : `${source} @ ${strength}`}</th>;
          })}
        </tr>
      </thead>
      <tbody>
        {epochs.map((epoch) => (
          <tr key={epoch}>
            <td>{epoch === 0 ? 'before training' : epoch}</td>
            {columns.map((col) => {
              const c = cells.find((x) => `${x.source}|${x.strength}` === col && x.epoch === epoch);
              const recommended = c && rec.epoch === epoch && (rec.strength === undefined || rec.strength === c.strength);
              return (
                <td key={col} class={recommended ? 'recommended' : ''}>
                  {c ? (
                    <>
                      <strong>{fixed(c.effectiveLikeness)}</strong> <span class="muted">±{fixed(c.standardError)}</span>
                      <div>
                        {c.copies ? <Badge tone="bad">{c.copies} cop{c.copies === 1 ? 'y' : 'ies'}</Badge> : null}
                        {c.noFace ? <Badge tone="warn">{c.noFace} no face</Badge> : null}
                      </div>
                    </>
                  ) : (
                    '-'
                  )}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Compare({ pid, evaluation }: { pid: string; evaluation: Evaluation }) {
  const training = evaluation.samples.filter((s) => s.source === 'training');
  const epochs = [...new Set(training.map((s) => s.epoch))].sort((a, b) => a - b);
  const [a, setA] = useState(epochs[Math.max(0, epochs.length - 2)] ?? 0);
  const [b, setB] = useState(epochs.at(-1) ?? 0);
  const photos = useLive(() => get<PhotosDoc>(`/api/projects/${pid}/photos`), () => false, [pid]);
  const prompts = [...new Set(training.map((s) => s.promptIndex))].sort((x, y) => x - y);
  const cell = (s: SampleScore | undefined) =>
    s ? (
      <figure>
        <img src={projectFileUrl(pid, s.file)} alt={`epoch ${s.epoch} prompt ${s.promptIndex}`} loading="lazy" />
        <figcaption>
          {s.status === 'face' ? `likeness ${fixed(s.likeness)}` : 'no face'}
          {s.copy ? <Badge tone="bad">copies {s.copy.photo}</Badge> : null}
        </figcaption>
      </figure>
    ) : (
      <div class="muted">-</div>
    );
  const select = (value: number, set: (v: number) => void) => (
    <select value={value} onChange={(e) => set(Number((e.target as HTMLSelectElement).value))}>
      {epochs.map((e) => (
        <option key={e} value={e}>
          epoch {e}
        </option>
      ))}
    </select>
  );
  return (
    <Section title="Compare two epochs" test="compare">
      <div class="inline-form">
        {select(a, setA)} against {select(b, setB)}
      </div>
      <table class="table compare">
        <thead>
          <tr>
            <th>prompt</th>
            <th>epoch {a}</th>
            <th>epoch {b}</th>
            <th>nearest training photo</th>
          </tr>
        </thead>
        <tbody>
          {prompts.map((p) => {
            const sa = training.find((s) => s.epoch === a && s.promptIndex === p);
            const sb = training.find((s) => s.epoch === b && s.promptIndex === p);
            const near = sb?.nearestPhoto ?? sa?.nearestPhoto;
            const photo = near ? photos.data?.photos.find((x) => x.file === near.file) : undefined;
            return (
              <tr key={p}>
                <td>{p}</td>
                <td>{cell(sa)}</td>
                <td>{cell(sb)}</td>
                <td>
                  {near && photo ? (
                    <figure>
                      <img src={`/api/projects/${pid}/photos/${path(photo.file)}/thumb?v=${photo.sha256}`} alt={near.file} />
                      <figcaption>
                        {near.file} (similarity {fixed(near.similarity)})
                      </figcaption>
                    </figure>
                  ) : (
                    '-'
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Section>
  );
}

export function EvaluatePage({ pid, run: selected }: { pid: string; run?: string }) {
  const runs = useLive(() => get<{ runs: RunJson[] }>(`/api/projects/${pid}/runs`), (e) => e.kind === 'job' && e.event.type === 'state', [pid]);
  const list = (runs.data?.runs ?? []).filter((r) => r.status !== 'prepared');
  const runId = selected ?? [...list].reverse().find((r) => r.samples.length > 0)?.id ?? list.at(-1)?.id;
  const evaluation = useLive(
    () => (runId ? get<{ evaluation: Evaluation }>(`/api/projects/${pid}/runs/${runId}/evaluation`) : Promise.reject(new ApiError('EVAL_NO_RUNS', 'No training runs yet.', 'Train first.', 404))),
    (e) => e.kind === 'job' && e.event.type === 'state',
    [pid, runId],
  );
  const { jobs } = useProjectJobs(pid);
  const [strengths, setStrengths] = useState('0.6, 0.85, 1');
  const [error, setError] = useState<unknown>(undefined);
  const start = (kind: string, inputs: Record<string, unknown>) => post(`/api/projects/${pid}/jobs`, { kind, inputs: { ...(runId ? { run: runId } : {}), ...inputs } }).catch(setError);
  const active = jobs.filter((j) => ['evaluate', 'sweep', 'report', 'likeness'].includes(j.kind) && (j.status === 'running' || j.status === 'queued' || j.status === 'failed')).slice(0, 3);
  const report = jobs.find((j) => j.kind === 'report' && j.status === 'succeeded' && (j.inputs.run === runId || j.inputs.run === undefined));
  const ev = evaluation.data?.evaluation;
  const notEvaluated = evaluation.error instanceof ApiError && evaluation.error.code === 'EVAL_NOT_EVALUATED';
  const sources = ev ? [...new Set(ev.cells.map((c) => `${c.source}|${c.strength}`))].sort() : [];
  return (
    <div class="page evaluate-page">
      <Section
        title="Evaluate"
        test="evaluate"
        actions={
          <>
            <select value={runId ?? ''} onChange={(e) => navigate({ page: 'evaluate', project: pid, item: (e.target as HTMLSelectElement).value })}>
              {[...list].reverse().map((r) => (
                <option key={r.id} value={r.id}>
                  run {r.id} ({r.status})
                </option>
              ))}
            </select>
            <button onClick={() => start('evaluate', {})} disabled={!runId} data-test="evaluate">
              Evaluate
            </button>
            <button onClick={() => start('report', {})} disabled={!runId}>
              Write the report
            </button>
          </>
        }
      >
        <ErrorBox error={error} />
        {active.map((j) => (
          <JobLine key={j.id} job={j} />
        ))}
        {report ? (
          <p>
            <a href={projectFileUrl(pid, `runs/${runId}/evaluation/report.html`)} target="_blank" rel="noopener" data-test="open-report">
              Open the HTML report
            </a>
          </p>
        ) : null}
        {notEvaluated ? <p class="muted">This run has not been evaluated yet: press Evaluate (a training started here is evaluated when it ends).</p> : <ErrorBox error={list.length ? evaluation.error : undefined} />}
        {!ev && !evaluation.error ? <Loading what="the evaluation" /> : null}
        {ev ? (
          <div>
            <div class={`recommendation ${ev.recommendation.kind}`} data-test="recommendation">
              <strong>{ev.recommendation.summary}</strong>
              {ev.recommendation.checkpoint ? <div class="muted">LoRA file: {ev.recommendation.checkpoint}</div> : null}
              <ul>
                {ev.recommendation.reasons.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
              {ev.recommendation.advice.length ? (
                <>
                  <h4>What to try</h4>
                  <ul>
                    {ev.recommendation.advice.map((a) => (
                      <li key={a}>{a}</li>
                    ))}
                  </ul>
                </>
              ) : null}
            </div>
            <LineChart
              series={sources.map((key, i) => {
                const [source, strength] = key.split('|');
                return { name: source === 'training' ? 'training samples' : `${source} @ ${strength}`, tone: TONES[i % TONES.length] as string, markers: true, points: ev.cells.filter((c) => `${c.source}|${c.strength}` === key).map((c) => [c.epoch, c.effectiveLikeness] as const) };
              })}
              xLabel="epoch"
              yLabel="likeness"
              yMin={0}
              integerX
              {...(ev.recommendation.epoch !== undefined ? { mark: ev.recommendation.epoch } : {})}
              test="evaluation-chart"
            />
            <Grid cells={ev.cells} rec={ev.recommendation} />
            <Findings findings={ev.findings.filter((f) => f.severity !== 'info')} />
          </div>
        ) : null}
      </Section>
      <Section title="Sweep epochs x strengths" test="sweep">
        <div class="inline-form">
          <label>
            strengths <input value={strengths} onInput={(e) => setStrengths((e.target as HTMLInputElement).value)} />
          </label>
          <button
            onClick={() =>
              start('sweep', {
                strengths: strengths
                  .split(',')
                  .map((s) => Number(s.trim()))
                  .filter((n) => Number.isFinite(n)),
              })
            }
            disabled={!runId}
          >
            Start a sweep
          </button>
        </div>
        <p class="muted small">Renders every sample prompt for every epoch at each strength (through sd-scripts, A1111/Forge or ComfyUI as [samples] backend says), then scores them.</p>
      </Section>
      {ev ? <Compare pid={pid} evaluation={ev} /> : null}
    </div>
  );
}
