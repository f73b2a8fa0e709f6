/** tack studio's page: the top bar, the project's tabs, and the page for the current route. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get } from './api.js';
import { connectFeed, useFeedState, useLive } from './events.js';
import { href, useRoute, type Route } from './router.js';
import type { ProjectSummary } from './types.js';
import { CaptionsPage } from './pages/captions.js';
import { EvaluatePage } from './pages/evaluate.js';
import { LoraPage } from './pages/lora.js';
import { PhotoPage } from './pages/photo.js';
import { PhotosPage } from './pages/photos.js';
import { PlanPage } from './pages/plan.js';
import { ProjectsPage } from './pages/projects.js';
import { TrainPage } from './pages/train.js';

const TABS: ReadonlyArray<readonly [Route['page'], string]> = [
  ['photos', 'Photos'],
  ['captions', 'Captions'],
  ['plan', 'Plan & settings'],
  ['train', 'Train'],
  ['evaluate', 'Evaluate'],
];

function ProjectBar({ pid, page }: { pid: string; page: Route['page'] }) {
  const { data } = useLive(() => get<{ project: ProjectSummary }>(`/api/projects/${pid}`), (e) => e.kind === 'studio' && e.type === 'settings', [pid]);
  const p = data?.project;
  return (
    <nav class="project-bar">
      <span class="project-name" data-test="project-name">
        {p?.name ?? '...'}
      </span>
      {p?.token ? (
        <span class="muted">
          {' '}
          trigger <code>{p.token}</code> · {p.class}
        </span>
      ) : null}
      <div class="tabs">
        {TABS.map(([tab, label]) => (
          <a key={tab} href={href({ page: tab, project: pid })} class={page === tab || (page === 'photo' && tab === 'photos') ? 'active' : ''} data-test={`tab-${tab}`}>
            {label}
          </a>
        ))}
      </div>
    </nav>
  );
}

function App() {
  const route = useRoute();
  const feed = useFeedState();
  useEffect(() => connectFeed(), []);
  const [version, setVersion] = useState('');
  useEffect(() => void get<{ version: string }>('/api/session').then((s) => setVersion(s.version), () => undefined), []);
  const pid = route.project;
  return (
    <div class="app">
      <header class="top">
        <a href="#/" class="brand">
          tack studio
        </a>
        <a href="#/" class={route.page === 'projects' ? 'active' : ''} data-test="nav-projects">
          Projects
        </a>
        <a href="#/lora" class={route.page === 'lora' ? 'active' : ''} data-test="nav-lora">
          LoRA file
        </a>
        <span class="spacer" />
        <span class={`feed ${feed}`} title="Live updates">
          {feed === 'open' ? 'live' : feed === 'connecting' ? 'connecting...' : 'disconnected'}
        </span>
        <span class="muted">{version}</span>
      </header>
      {feed === 'lost' ? (
        <div class="banner">The studio stopped or restarted. Jobs keep running; open the link tack studio printed to continue.</div>
      ) : null}
      {pid ? <ProjectBar pid={pid} page={route.page} /> : null}
      <main>
        {route.page === 'projects' ? <ProjectsPage /> : null}
        {route.page === 'lora' ? <LoraPage /> : null}
        {pid && route.page === 'photos' ? <PhotosPage pid={pid} /> : null}
        {pid && route.page === 'photo' && route.item ? <PhotoPage pid={pid} file={route.item} /> : null}
        {pid && route.page === 'captions' ? <CaptionsPage pid={pid} /> : null}
        {pid && route.page === 'plan' ? <PlanPage pid={pid} /> : null}
        {pid && route.page === 'train' ? <TrainPage pid={pid} run={route.item} /> : null}
        {pid && route.page === 'evaluate' ? <EvaluatePage pid={pid} run={route.item} /> : null}
      </main>
    </div>
  );
}

const root = document.getElementById('app') as HTMLElement;
root.textContent = '';
render(<App />, root);
