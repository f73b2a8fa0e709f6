/** Projects: those the studio knows, a new project (tack init, optionally with a kohya_ss preset), an existing folder. */
import { useState } from 'preact/hooks';
import { api, get, post, put } from '../api.js';
import { useLive } from '../events.js';
import { navigate } from '../router.js';
import type { Finding, ProjectSummary } from '../types.js';
import { StatusBadge } from '../components/jobs.js';
import { PresetReport, type PresetImport } from '../components/preset-report.js';
import { ErrorBox, Findings, Loading, ProgressBar, Section } from '../components/ui.js';

function ProjectCard({ p }: { p: ProjectSummary }) {
  const running = p.activeJobs.find((j) => j.status === 'running');
  return (
    <a class="card project" href={`#/p/${p.id}/photos`} data-test="project-card">
      <h3>{p.name}</h3>
      <div class="muted path">{p.dir}</div>
      {p.error ? (
        <div class="job-error">{p.error.message}</div>
      ) : (
        <div>
          trigger <code>{p.token}</code> · {p.class} · {p.photos} photos · {p.runs} runs
          {p.lastRun ? (
            <span>
              {' '}
              · last run <StatusBadge status={p.lastRun.status} />
            </span>
          ) : null}
        </div>
      )}
      {running ? <ProgressBar progress={running.progress} status={running.kind} /> : null}
    </a>
  );
}

function NewProject({ onCreated }: { onCreated: (id: string) => void }) {
  const [form, setForm] = useState({ folder: '', name: '', token: '', class: 'woman', captioner: 'wd14' });
  const [preset, setPreset] = useState<File | undefined>(undefined);
  const [report, setReport] = useState<PresetImport | undefined>(undefined);
  const [findings, setFindings] = useState<readonly Finding[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const field = (key: keyof typeof form) => (e: Event) => setForm({ ...form, [key]: (e.target as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const created = await post<{ project: ProjectSummary; init: { findings: Finding[] } }>('/api/projects', {
        folder: form.folder,
        token: form.token,
        class: form.class,
        captioner: form.captioner,
        ...(form.name ? { name: form.name } : {}),
      });
      setFindings(created.init.findings);
      if (preset) {
        const name = `${created.project.name}-kohya`.replace(/[^a-z0-9._-]/gi, '-');
        const imported = await api<PresetImport>('POST', `/api/presets/import?name=${encodeURIComponent(name)}&file=${encodeURIComponent(preset.name)}&force=1`, JSON.parse(await preset.text()));
        setReport(imported);
        await put(`/api/projects/${created.project.id}/settings`, { patch: { preset: imported.name } });
      }
      if (!preset) onCreated(created.project.id);
      else setForm({ ...form, folder: '' });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title="New project" test="new-project">
      <form class="grid-form" onSubmit={submit}>
        <label>
          Folder <input required value={form.folder} onInput={field('folder')} placeholder="my-lora (inside the first folder the studio was started with)" data-test="new-folder" />
        </label>
        <label>
          Trigger <input required value={form.token} onInput={field('token')} placeholder="a made-up word, e.g. xanrms" data-test="new-token" />
        </label>
        <label>
          Class <input required value={form.class} onInput={field('class')} list="classes" data-test="new-class" />
          <datalist id="classes">
            <option value="woman" />
            <option value="man" />
            <option value="person" />
          </datalist>
        </label>
        <label>
          LoRA name <input value={form.name} onInput={field('name')} placeholder="(the folder name)" />
        </label>
        <label>
          Captions
          <select value={form.captioner} onChange={field('captioner')}>
            <option value="wd14">WD14 tags</option>
            <option value="sentence">a sentence</option>
            <option value="none">trigger + class only</option>
          </select>
        </label>
        <label class="drop-label">
          kohya_ss preset (optional)
          <input type="file" accept=".json,application/json" onChange={(e) => setPreset((e.target as HTMLInputElement).files?.[0])} data-test="new-preset" />
        </label>
        <button type="submit" disabled={busy} data-test="create-project">
          Create project
        </button>
      </form>
      <ErrorBox error={error} />
      <Findings findings={findings} />
      {report ? <PresetReport report={report} /> : null}
    </Section>
  );
}

function OpenFolder({ onOpened }: { onOpened: (id: string) => void }) {
  const [folder, setFolder] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      onOpened((await post<{ project: ProjectSummary }>('/api/projects/open', { folder })).project.id);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Section title="Open a project folder">
      <form class="inline-form" onSubmit={submit}>
        <input value={folder} onInput={(e) => setFolder((e.target as HTMLInputElement).value)} placeholder="/home/you/loras/my-lora" required data-test="open-folder" />
        <button type="submit">Open</button>
      </form>
      <ErrorBox error={error} />
    </Section>
  );
}

export function ProjectsPage() {
  const { data, error, reload } = useLive(() => get<{ projects: ProjectSummary[]; roots: string[] }>('/api/projects'), (e) => e.kind === 'studio' || (e.kind === 'job' && e.event.type === 'state'), []);
  const open = (id: string) => navigate({ page: 'photos', project: id });
  return (
    <div class="page projects-page">
      <Section title="Projects" test="projects">
        <ErrorBox error={error} onRetry={reload} />
        {!data ? <Loading what="projects" /> : null}
        {data && data.projects.length === 0 ? <p class="muted">No projects in {data.roots.join(', ')} yet: create one below.</p> : null}
        <div class="cards">{data?.projects.map((p) => <ProjectCard key={p.id} p={p} />)}</div>
      </Section>
      <NewProject onCreated={open} />
      <OpenFolder onOpened={open} />
    </div>
  );
}
