/**
 * A LoRA file: drop a .safetensors to see what it is (`tack lora inspect`: architecture, rank,
 * training metadata, hashes, which UIs load it), check it against a base model (`tack lora
 * verify`) and resize it (a job running `tack lora resize`). Metadata is the file author's
 * text and is shown as text.
 */
import { useState } from 'preact/hooks';
import { get, post, uploadRaw } from '../api.js';
import { useLive } from '../events.js';
import type { Finding, Job } from '../types.js';
import { JobLine } from '../components/jobs.js';
import { ErrorBox, Findings, formatBytes, Loading, Section } from '../components/ui.js';

interface Inspection {
  readonly file: string;
  readonly sizeBytes: number;
  readonly architecture: { readonly id: string; readonly label: string };
  readonly network: { readonly kind: string; readonly modules: number; readonly rank: { readonly min: number; readonly max: number }; readonly dynamicRank: boolean };
  readonly parts: ReadonlyArray<{ readonly part: string; readonly label: string; readonly modules: number; readonly ranks: ReadonlyArray<{ value: number; count: number }>; readonly alphas: ReadonlyArray<{ value: number; count: number }> }>;
  readonly training: Readonly<Record<string, unknown>>;
  readonly hashes?: { readonly files?: ReadonlyArray<Readonly<Record<string, unknown>>> } & Readonly<Record<string, unknown>>;
  readonly loaders: ReadonlyArray<{ readonly label: string; readonly status: string; readonly note?: string }>;
  readonly findings: readonly Finding[];
}

interface Upload {
  readonly id: string;
  readonly name: string;
  readonly sizeBytes: number;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function InspectView({ doc }: { doc: Inspection }) {
  const training = Object.entries(doc.training).filter(([k, v]) => v !== undefined && v !== null && k !== 'tagFrequency' && k !== 'tagFolders');
  const tags = (doc.training.tagFrequency as Array<{ tag: string; count: number }> | undefined) ?? [];
  const hashes = Object.entries(doc.hashes ?? {}).filter(([, v]) => typeof v === 'string');
  return (
    <div class="inspect" data-test="inspect">
      <p>
        <strong>{doc.architecture.label}</strong> {doc.network.kind}, {doc.network.modules} modules, rank {doc.network.rank.min === doc.network.rank.max ? doc.network.rank.max : `${doc.network.rank.min}-${doc.network.rank.max}`}
        {doc.network.dynamicRank ? ' (dynamic)' : ''} · {formatBytes(doc.sizeBytes)}
      </p>
      <table class="table small">
        <tbody>
          {doc.parts.map((p) => (
            <tr key={p.part}>
              <td>{p.label}</td>
              <td>{p.modules} modules</td>
              <td>rank {p.ranks.map((r) => `${r.value}${p.ranks.length > 1 ? ` x${r.count}` : ''}`).join(', ')}</td>
              <td>alpha {p.alphas.map((a) => a.value).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Training metadata</h4>
      <table class="table small" data-test="training-metadata">
        <tbody>
          {training.map(([k, v]) => (
            <tr key={k}>
              <td>{k}</td>
              <td>{show(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {tags.length ? (
        <p class="muted small">
          Top tags: {tags.slice(0, 20).map((t) => `${t.tag} (${t.count})`).join(', ')}
        </p>
      ) : null}
      {hashes.length ? (
        <>
          <h4>Hashes</h4>
          <table class="table small">
            <tbody>
              {hashes.map(([k, v]) => (
                <tr key={k}>
                  <td>{k}</td>
                  <td>
                    <code>{String(v)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      <h4>Loads in</h4>
      <ul>
        {doc.loaders.map((l) => (
          <li key={l.label}>
            {l.label}: {l.status}
            {l.note ? <span class="muted"> ({l.note})</span> : null}
          </li>
        ))}
      </ul>
      <Findings findings={doc.findings} />
    </div>
  );
}

export function LoraPage() {
  const list = useLive(() => get<{ files: Upload[] }>('/api/lora'), (e) => e.kind === 'job' && e.event.type === 'state', []);
  const [current, setCurrent] = useState<Upload | undefined>(undefined);
  const [doc, setDoc] = useState<Inspection | undefined>(undefined);
  const [verify, setVerify] = useState<{ ok: boolean; checked: number; matched: number; findings: Finding[] } | undefined>(undefined);
  const [base, setBase] = useState('');
  const [rank, setRank] = useState('16');
  const [jobId, setJobId] = useState<number | undefined>(undefined);
  const job = useLive(() => (jobId === undefined ? Promise.resolve(undefined) : get<{ job: Job }>(`/api/jobs/${jobId}`).then((r) => r.job)), (e) => e.kind === 'job' && e.event.jobId === jobId, [jobId]).data;
  const [progress, setProgress] = useState<string>('');
  const [error, setError] = useState<unknown>(undefined);
  const open = async (u: Upload) => {
    setCurrent(u);
    setDoc(undefined);
    setVerify(undefined);
    setError(undefined);
    try {
      setDoc(await get<Inspection>(`/api/lora/${u.id}/inspect?name=${encodeURIComponent(u.name)}`));
    } catch (e) {
      setError(e);
    }
  };
  const send = async (file: File | undefined) => {
    if (!file) return;
    setError(undefined);
    try {
      const u = await uploadRaw<Upload>(`/api/lora/uploads?name=${encodeURIComponent(file.name)}`, file, (s, t) => setProgress(`Sending ${formatBytes(s)} of ${formatBytes(t)}`));
      setProgress('');
      list.reload();
      await open(u);
    } catch (e) {
      setProgress('');
      setError(e);
    }
  };
  return (
    <div
      class="page lora-page"
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        void send(e.dataTransfer?.files[0]);
      }}
    >
      <Section
        title="LoRA file"
        test="lora"
        actions={
          <label class="button">
            Choose a .safetensors
            <input type="file" accept=".safetensors" hidden onChange={(e) => void send((e.target as HTMLInputElement).files?.[0])} data-test="lora-file" />
          </label>
        }
      >
        <p class="muted">Drop a LoRA here to inspect, verify or resize it. It is kept in tack's data folder; your file is not changed.</p>
        {progress ? <p>{progress}</p> : null}
        <ErrorBox error={error ?? list.error} />
        <ul class="uploads">
          {list.data?.files.map((u) => (
            <li key={`${u.id}/${u.name}`}>
              <button class="link" onClick={() => void open(u)}>
                {u.name}
              </button>{' '}
              <span class="muted">{formatBytes(u.sizeBytes)}</span> <a href={`/api/lora/${u.id}/file?name=${encodeURIComponent(u.name)}`}>download</a>
            </li>
          ))}
        </ul>
      </Section>
      {current ? (
        <Section title={current.name} test="lora-detail">
          {!doc && !error ? <Loading what="the file" /> : null}
          {doc ? <InspectView doc={doc} /> : null}
          <h4>Check against a base model</h4>
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              post<typeof verify>(`/api/lora/${current.id}/verify?name=${encodeURIComponent(current.name)}`, { base }).then(setVerify, setError);
            }}
          >
            <input value={base} placeholder="/path/to/ponyRealism.safetensors" onInput={(e) => setBase((e.target as HTMLInputElement).value)} />
            <button type="submit">Verify</button>
          </form>
          {verify ? (
            <div>
              <p class={verify.ok ? 'good' : 'bad'}>
                {verify.matched} of {verify.checked} modules fit{verify.ok ? ': OK' : ''}.
              </p>
              <Findings findings={verify.findings} />
            </div>
          ) : null}
          <h4>Resize</h4>
          <div class="inline-form">
            <label>
              new rank <input value={rank} inputMode="numeric" onInput={(e) => setRank((e.target as HTMLInputElement).value)} />
            </label>
            <button onClick={() => post<{ job: Job }>(`/api/lora/${current.id}/resize`, { name: current.name, rank: Number(rank) }).then((r) => setJobId(r.job.id), setError)}>Resize</button>
          </div>
          {job ? <JobLine job={job} /> : null}
        </Section>
      ) : null}
    </div>
  );
}
