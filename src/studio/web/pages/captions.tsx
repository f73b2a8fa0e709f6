/**
 * Captions: every photo beside its caption (chips, or text for sentence captions), the training
 * copy the caption rules make of it and why; the tag table with bulk remove/replace/add and
 * undo (`tack tags`); and the tagger or sentence captioner run as a job with its progress.
 */
import { useState } from 'preact/hooks';
import { get, path, post, put } from '../api.js';
import { useLive } from '../events.js';
import type { CaptionItem, CaptionsDoc, TagsDoc } from '../types.js';
import { JobLine, useProjectJobs } from '../components/jobs.js';
import { TagEditor } from '../components/tag-editor.js';
import { ErrorBox, Findings, Loading, Section } from '../components/ui.js';

function CaptionRow({ pid, doc, item }: { pid: string; doc: CaptionsDoc; item: CaptionItem }) {
  const [error, setError] = useState<unknown>(undefined);
  const save = async (text: string) => {
    setError(undefined);
    try {
      await put(`/api/projects/${pid}/captions/${path(item.photo)}`, { text });
    } catch (e) {
      setError(e);
      throw e;
    }
  };
  const notes = item.findings.filter((f) => f.severity !== 'info');
  return (
    <div class="caption-row" data-test="caption-row">
      <img class="caption-thumb" src={`/api/projects/${pid}/photos/${path(item.photo)}/thumb?v=${item.sha256}`} alt={item.photo} loading="lazy" />
      <div class="caption-body">
        <div class="caption-photo">{item.photo}</div>
        <TagEditor pid={pid} token={doc.token} text={item.text} sentence={doc.captioner === 'sentence'} onSave={save} />
        <div class="training" data-test="training-caption">
          <span class="muted">training copy:</span> {item.training.text}
        </div>
        {item.training.changes.length ? (
          <ul class="rules">
            {item.training.changes.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
        ) : null}
        <Findings findings={notes} />
        <ErrorBox error={error} />
      </div>
    </div>
  );
}

function TagTable({ pid }: { pid: string }) {
  const { data, error, reload } = useLive(() => get<TagsDoc>(`/api/projects/${pid}/tags`), (e) => (e.kind === 'studio' && e.type === 'captions') || (e.kind === 'job' && e.event.type === 'state'), [pid]);
  const [form, setForm] = useState({ op: 'remove', tags: '', where: '' });
  const [result, setResult] = useState<string>('');
  const [actionError, setActionError] = useState<unknown>(undefined);
  const edit = async (op: string, tags: string, where = '') => {
    setActionError(undefined);
    try {
      const doc = await post<{ changed: unknown[]; unchanged: number }>(`/api/projects/${pid}/tags`, { op, tags, ...(where ? { where } : {}) });
      setResult(`${op}: changed ${doc.changed.length} caption(s), ${doc.unchanged} did not need it.`);
      reload();
    } catch (e) {
      setActionError(e);
    }
  };
  const undo = async () => {
    try {
      const doc = await post<{ entry: { summary: string }; restored: unknown[] }>(`/api/projects/${pid}/tags/undo`);
      setResult(`Undid "${doc.entry.summary}" (${doc.restored.length} caption(s) restored).`);
    } catch (e) {
      setActionError(e);
    }
  };
  return (
    <Section title="Tags" test="tag-table" actions={<button onClick={undo} data-test="tags-undo">Undo last change</button>}>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void edit(form.op, form.tags, form.where);
        }}
      >
        <select value={form.op} onChange={(e) => setForm({ ...form, op: (e.target as HTMLSelectElement).value })}>
          <option value="remove">remove</option>
          <option value="add">add</option>
          <option value="replace">replace (old=new)</option>
        </select>
        <input value={form.tags} placeholder="tags, comma-separated" onInput={(e) => setForm({ ...form, tags: (e.target as HTMLInputElement).value })} data-test="bulk-tags" />
        <input value={form.where} placeholder="only where (e.g. outdoors,!night)" onInput={(e) => setForm({ ...form, where: (e.target as HTMLInputElement).value })} />
        <button type="submit" data-test="bulk-apply">
          Apply to all captions
        </button>
      </form>
      {result ? <p class="muted" data-test="tags-result">{result}</p> : null}
      <ErrorBox error={actionError ?? error} />
      {!data ? <Loading what="tags" /> : null}
      {data ? (
        <table class="table small">
          <thead>
            <tr>
              <th>tag</th>
              <th>captions</th>
              <th>share</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.tags.map((t) => (
              <tr key={t.tag}>
                <td>{t.tag}</td>
                <td>{t.count}</td>
                <td>
                  <span class="share" style={{ width: `${Math.round(t.share * 60)}px` }} /> {Math.round(t.share * 100)}%
                </td>
                <td>
                  <button class="small" onClick={() => void edit('remove', t.tag)}>
                    remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Section>
  );
}

function Captioner({ pid, captioner }: { pid: string; captioner: string }) {
  const [form, setForm] = useState({ captioner, overwrite: false });
  const [error, setError] = useState<unknown>(undefined);
  const { jobs } = useProjectJobs(pid);
  const job = jobs.find((j) => j.kind === 'caption');
  const run = () => post(`/api/projects/${pid}/jobs`, { kind: 'caption', inputs: { captioner: form.captioner, ...(form.overwrite ? { overwrite: true } : {}) } }).catch(setError);
  return (
    <Section title="Caption with a model" test="captioner">
      <div class="inline-form">
        <select value={form.captioner} onChange={(e) => setForm({ ...form, captioner: (e.target as HTMLSelectElement).value })}>
          <option value="wd14">WD14 tagger</option>
          <option value="sentence">sentence captioner</option>
          <option value="none">trigger + class only</option>
        </select>
        <label>
          <input type="checkbox" checked={form.overwrite} onChange={(e) => setForm({ ...form, overwrite: (e.target as HTMLInputElement).checked })} /> also replace captions written by hand
        </label>
        <button onClick={run} data-test="run-captioner">
          Caption the photos
        </button>
      </div>
      <p class="muted small">The model is downloaded once into the Hugging Face cache. Captions you edited are kept unless you tick the box; Undo reverts a whole run.</p>
      <ErrorBox error={error} />
      {job ? <JobLine job={job} /> : null}
    </Section>
  );
}

export function CaptionsPage({ pid }: { pid: string }) {
  const { data, error, reload } = useLive(
    () => get<CaptionsDoc>(`/api/projects/${pid}/captions`),
    (e) => (e.kind === 'studio' && (e.type === 'captions' || e.type === 'photos' || e.type === 'settings')) || (e.kind === 'job' && e.event.type === 'state'),
    [pid],
  );
  return (
    <div class="page captions-page">
      <div class="columns">
        <Section title="Captions" test="captions">
          <ErrorBox error={error} onRetry={reload} />
          {!data ? <Loading what="captions" /> : null}
          {data?.captions.length === 0 ? <p class="muted">No photos yet.</p> : null}
          {data?.captions.map((item) => <CaptionRow key={item.photo} pid={pid} doc={data} item={item} />)}
        </Section>
        <div class="side">
          {data ? <Captioner pid={pid} captioner={data.captioner} /> : null}
          <TagTable pid={pid} />
        </div>
      </div>
    </div>
  );
}
