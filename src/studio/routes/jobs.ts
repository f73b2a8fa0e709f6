/**
 * Jobs and the live feed: the job list and one job (`tack jobs`, `tack jobs show`), stopping
 * one (`tack jobs cancel`: as Ctrl-C), starting work for a project (a job queued for its
 * machine), and the Server-Sent Events stream every page listens to.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { JobKind } from '../../jobs/index.js';
import { documentOf, type StudioDeps } from '../context.js';
import { studioErrors } from '../errors.js';
import { jsonBody, stringField } from '../http.js';
import type { StudioEvent } from '../live.js';
import { projectOf } from './projects.js';

/** What a page may start for a project (imports come from drops, likeness follows trainings by itself). */
const STARTABLE: ReadonlySet<JobKind> = new Set(['train', 'caption', 'doctor', 'prepare', 'evaluate', 'sweep', 'report']);
const TITLES: Readonly<Partial<Record<JobKind, string>>> = { train: 'train', caption: 'caption the photos', doctor: 'check the photos', prepare: 'prepare the dataset', evaluate: 'evaluate', sweep: 'sweep epochs x strengths', report: 'write the report' };

function jobIdOf(raw: string): string {
  if (!/^\d{1,12}$/.test(raw)) throw studioErrors.create('STUDIO_NOT_FOUND', `"${raw}" is not a job id.`, 'Pick a job from the list.');
  return raw;
}

export function jobRoutes(deps: StudioDeps): Hono {
  const app = new Hono();

  app.get('/jobs', async (c) => {
    const pid = c.req.query('project');
    const argv = ['jobs', ...(pid ? [`--project=${(await projectOf(deps, pid)).entry.dir}`] : []), ...(c.req.query('all') === '1' ? ['--all'] : [])];
    return c.json(await documentOf(deps, argv));
  });

  app.get('/jobs/:id', async (c) => c.json(await documentOf(deps, ['jobs', 'show', jobIdOf(c.req.param('id'))])));

  app.post('/jobs/:id/cancel', async (c) => {
    const doc = await documentOf(deps, ['jobs', 'cancel', jobIdOf(c.req.param('id'))]);
    deps.hub.poll();
    return c.json(doc);
  });

  app.post('/projects/:pid/jobs', async (c) => {
    const { entry } = await projectOf(deps, c.req.param('pid'));
    const body = await jsonBody(c);
    const kind = stringField(body, 'kind') as JobKind;
    if (!STARTABLE.has(kind)) throw studioErrors.create('STUDIO_BAD_REQUEST', `A page cannot start a "${kind}" job.`, `Kinds: ${[...STARTABLE].join(', ')}.`, { details: { kind } });
    const inputs = body.inputs === undefined ? {} : body.inputs;
    if (!inputs || typeof inputs !== 'object' || Array.isArray(inputs)) throw studioErrors.create('STUDIO_BAD_REQUEST', '"inputs" must be an object.', 'Send {"kind": "train", "inputs": {}}.');
    const resume = kind === 'train' && (inputs as Record<string, unknown>).resume === true;
    const job = deps.jobs.enqueue({ kind, project: entry.dir, inputs: inputs as Record<string, unknown>, title: resume ? 'resume training' : (TITLES[kind] ?? kind) });
    deps.hub.poll();
    return c.json({ kind: 'job', job }, 202);
  });

  // Job events carry their store number as the SSE id: a reconnecting page (Last-Event-ID)
  // gets what it missed. Studio events (a caption saved ...) have no id.
  app.get('/events', (c) =>
    streamSSE(c, async (stream) => {
      const since = Number(c.req.header('last-event-id') ?? c.req.query('since') ?? deps.hub.lastSeq);
      const queue: StudioEvent[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = deps.hub.subscribe((event) => {
        queue.push(event);
        wake?.();
      });
      stream.onAbort(unsubscribe);
      let sent = Number.isFinite(since) ? since : deps.hub.lastSeq;
      for (const event of deps.store.eventsSince(sent, { limit: 5000 })) {
        await stream.writeSSE({ id: String(event.seq), event: 'job', data: JSON.stringify(event) });
        sent = event.seq;
      }
      await stream.writeSSE({ event: 'ready', data: JSON.stringify({ seq: sent }) });
      while (!stream.aborted) {
        while (queue.length) {
          const item = queue.shift() as StudioEvent;
          if (item.kind === 'job') {
            if (item.event.seq <= sent) continue;
            sent = item.event.seq;
            await stream.writeSSE({ id: String(item.event.seq), event: 'job', data: JSON.stringify(item.event) });
          } else {
            await stream.writeSSE({ event: 'studio', data: JSON.stringify({ type: item.type, ...item.data }) });
          }
        }
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, 15_000);
        });
        clearTimeout(timer);
        wake = undefined;
        if (queue.length === 0 && !stream.aborted) await stream.writeSSE({ event: 'ping', data: '{}' });
      }
      unsubscribe();
    }),
  );

  return app;
}
