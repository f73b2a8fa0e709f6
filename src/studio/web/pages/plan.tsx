/**
 * Plan and settings: the plan (recipe next to the trainer's exact count, buckets, the other ways
 * to split the same training), with what-if values, updating as photos and settings change;
 * tack.toml as a form; presets and a kohya_ss preset import; and the engine doctor.
 */
import { useState } from 'preact/hooks';
import { api, get } from '../api.js';
import { useLive } from '../events.js';
import type { PlanDoc } from '../types.js';
import { PresetReport, type PresetImport } from '../components/preset-report.js';
import { SettingsForm, type SettingsDoc } from '../components/settings-form.js';
import { ErrorBox, Findings, Loading, Section } from '../components/ui.js';

interface EngineDoc {
  readonly ready: boolean;
  readonly gpus: ReadonlyArray<{ readonly name: string; readonly memoryGiB: number }>;
  readonly gpuProfile: string | null;
  readonly checks: ReadonlyArray<{ readonly id: string; readonly status: string; readonly label: string; readonly detail: string; readonly fix?: string }>;
}

const WHAT_IF: ReadonlyArray<readonly [string, string]> = [
  ['batchSize', 'batch size'],
  ['repeats', 'repeats'],
  ['epochs', 'epochs'],
  ['targetSteps', 'target steps'],
];

function PlanView({ plan }: { plan: PlanDoc }) {
  const r = plan.recipe;
  const e = plan.engine;
  const rows: Array<[string, string, string]> = [
    ['photos', String(r.images), e ? String(e.buckets.reduce((s, b) => s + b.images, 0)) : ''],
    ['repeats', `${r.repeats}${r.repeatsSource === 'fixed' ? ' (fixed)' : ''}`, ''],
    ['images x repeats', String(r.imageRepeats), e ? String(e.trainImagesWithRepeats) : ''],
    ['batch size', String(r.batchSize), ''],
    ['steps per epoch', String(r.stepsPerEpoch), e ? String(e.stepsPerEpoch) : ''],
    ['epochs', `${r.epochs}${r.epochsSource === 'fixed' ? ' (fixed)' : ''}`, e ? String(e.epochs) : ''],
    ['total steps', String(r.totalSteps), e ? String(e.maxTrainSteps) : `>= ${plan.engineLowerBound}`],
  ];
  return (
    <div data-test="plan">
      <table class="table">
        <thead>
          <tr>
            <th />
            <th>recipe</th>
            <th>trainer (sd-scripts)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([name, recipe, engine]) => (
            <tr key={name}>
              <td>{name}</td>
              <td data-test={`plan-recipe-${name.replace(/\W+/g, '-')}`}>{recipe}</td>
              <td data-test={`plan-engine-${name.replace(/\W+/g, '-')}`}>{engine}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {plan.folder ? (
        <p>
          kohya folder: <code>dataset/img/{plan.folder}</code>
        </p>
      ) : null}
      <ul class="explain">
        {plan.explanation.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
      {e?.buckets.length ? (
        <table class="table small">
          <thead>
            <tr>
              <th>bucket</th>
              <th>photos</th>
              <th>x repeats</th>
              <th>batches/epoch</th>
            </tr>
          </thead>
          <tbody>
            {e.buckets.map((b) => (
              <tr key={`${b.bucket[0]}x${b.bucket[1]}`}>
                <td>
                  {b.bucket[0]} x {b.bucket[1]}
                </td>
                <td>{b.images}</td>
                <td>{b.items}</td>
                <td>{b.batches}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {plan.alternatives.length ? (
        <>
          <h3>The same training split differently</h3>
          <p class="muted small">
            {plan.trainerCount === 'buckets' ? "Counted as the trainer counts your photos' buckets." : 'Photo sizes unknown: all photos counted as one bucket, rounded up as the trainer does.'}
          </p>
          <table class="table small">
            <thead>
              <tr>
                <th>repeats</th>
                <th>epochs (checkpoints)</th>
                <th>steps per epoch</th>
                <th>trainer's total steps</th>
              </tr>
            </thead>
            <tbody>
              {plan.alternatives.map((a) => (
                <tr key={`${a.repeats}-${a.epochs}`}>
                  <td>{a.repeats}</td>
                  <td>{a.epochs}</td>
                  <td>{a.stepsPerEpoch}</td>
                  <td>{a.totalSteps}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      <Findings findings={plan.findings} />
    </div>
  );
}

function EngineDoctor({ pid }: { pid: string }) {
  const [doc, setDoc] = useState<EngineDoc | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const check = () => {
    setBusy(true);
    get<EngineDoc>(`/api/projects/${pid}/engine`)
      .then(setDoc, setError)
      .finally(() => setBusy(false));
  };
  return (
    <Section title="Engine" test="engine" actions={<button onClick={check} disabled={busy}>{busy ? 'Checking...' : 'Check the engine'}</button>}>
      <ErrorBox error={error} />
      {doc ? (
        <div>
          <p class={doc.ready ? 'good' : 'bad'}>
            {doc.ready ? `Ready to train${doc.gpuProfile ? ` (GPU profile ${doc.gpuProfile})` : ''}.` : 'Not ready to train: see the failed checks.'} {doc.gpus.map((g) => `${g.name} ${g.memoryGiB} GiB`).join(', ')}
          </p>
          <ul class="checks">
            {doc.checks.map((c) => (
              <li key={c.id} class={c.status}>
                <span class="sev">{c.status}</span> <strong>{c.label}</strong> {c.detail}
                {c.fix && c.status !== 'ok' ? <div class="fix">Fix: {c.fix}</div> : null}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <p class="muted">Finds sd-scripts, its Python, torch and the GPU, and reads the base model's header.</p>
      )}
    </Section>
  );
}

function KohyaImport({ onImported }: { onImported: () => void }) {
  const [report, setReport] = useState<PresetImport | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const load = async (file: File | undefined) => {
    if (!file) return;
    setError(undefined);
    try {
      const name = file.name.replace(/\.json$/i, '').replace(/[^a-z0-9._-]/gi, '-').replace(/^[^a-z0-9]+/i, '') || 'kohya';
      setReport(await api<PresetImport>('POST', `/api/presets/import?name=${encodeURIComponent(name)}&file=${encodeURIComponent(file.name)}&force=1`, JSON.parse(await file.text())));
      onImported();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="kohya-import">
      <label class="button">
        Import a kohya_ss preset (.json)
        <input type="file" accept=".json,application/json" hidden onChange={(e) => void load((e.target as HTMLInputElement).files?.[0])} data-test="kohya-import" />
      </label>
      <ErrorBox error={error} />
      {report ? <PresetReport report={report} /> : null}
    </div>
  );
}

export function PlanPage({ pid }: { pid: string }) {
  const [whatIf, setWhatIf] = useState<Record<string, string>>({});
  const query = Object.entries(whatIf)
    .filter(([, v]) => v.trim() !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  const plan = useLive(() => get<PlanDoc>(`/api/projects/${pid}/plan${query ? `?${query}` : ''}`), (e) => (e.kind === 'studio' && (e.type === 'settings' || e.type === 'photos')) || (e.kind === 'job' && e.event.type === 'state'), [pid, query]);
  const settings = useLive(() => get<SettingsDoc>(`/api/projects/${pid}/settings`), (e) => e.kind === 'studio' && e.type === 'settings', [pid]);
  const presets = useLive(() => get<{ presets: Array<{ name: string }> }>('/api/presets'), () => false, []);
  return (
    <div class="page plan-page">
      <div class="columns">
        <Section title="Plan" test="plan-section">
          <div class="inline-form what-if">
            {WHAT_IF.map(([key, label]) => (
              <label key={key}>
                {label}
                <input inputMode="numeric" value={whatIf[key] ?? ''} placeholder="auto" onInput={(e) => setWhatIf({ ...whatIf, [key]: (e.target as HTMLInputElement).value })} data-test={`what-if-${key}`} />
              </label>
            ))}
          </div>
          <ErrorBox error={plan.error} />
          {plan.data ? <PlanView plan={plan.data} /> : <Loading what="the plan" />}
        </Section>
        <div class="side">
          <Section title="Settings (tack.toml)" test="settings">
            <KohyaImport onImported={presets.reload} />
            <ErrorBox error={settings.error} />
            {settings.data ? <SettingsForm pid={pid} doc={settings.data} presets={presets.data?.presets.map((p) => p.name) ?? []} onSaved={settings.reload} /> : <Loading what="settings" />}
          </Section>
          <EngineDoctor pid={pid} />
        </div>
      </div>
    </div>
  );
}
