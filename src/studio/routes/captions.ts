/**
 * Captions: each photo's caption with the training copy the caption rules will make of it,
 * one caption edited by hand (`tack tags set`), the tag table and bulk edits with undo
 * (`tack tags ...`), and tag autocompletion from the project's tags and the tagger's labels.
 */
import { Hono } from 'hono';
import { checkCaptionText, formatTrainingCaption, readCachedTaggerLabels, readProjectCaptions } from '../../caption/index.js';
import { loadProject } from '../../project/index.js';
import { documentOf, type StudioDeps } from '../context.js';
import { studioErrors } from '../errors.js';
import { jsonBody, stringField } from '../http.js';
import { projectOf } from './projects.js';

const EDIT_OPS = new Set(['remove', 'replace', 'add']);

export function captionRoutes(deps: StudioDeps): Hono {
  const app = new Hono();
  const labelCache = new Map<string, { at: number; labels: string[] }>();

  app.get('/:pid/captions', async (c) => {
    const { entry } = await projectOf(deps, c.req.param('pid'));
    const project = await loadProject(entry.dir, { tokenize: false });
    const config = project.config;
    const rules = { token: config.token, class: config.class, captioner: config.captioner };
    const captions = (await readProjectCaptions(project)).map((cap) => ({
      photo: cap.photo.file,
      sha256: cap.photo.sha256,
      caption: cap.caption,
      text: cap.text ?? null,
      training: formatTrainingCaption(cap.text ?? '', rules),
      findings: cap.bytes ? checkCaptionText(cap.bytes, { ...rules, className: config.class, subject: cap.photo.file }) : [],
    }));
    return c.json({ kind: 'captions', project: entry.dir, token: config.token, class: config.class, captioner: config.captioner, captions });
  });

  app.put('/:pid/captions/:photo', async (c) => {
    const { entry } = await projectOf(deps, c.req.param('pid'));
    const text = (await jsonBody(c)).text;
    if (typeof text !== 'string') throw studioErrors.create('STUDIO_BAD_REQUEST', '"text" must be the caption text.', 'Send {"text": "..."}.');
    const doc = await documentOf(deps, ['tags', entry.dir, 'set', '--', c.req.param('photo'), text]);
    deps.hub.publish('captions', { project: entry.dir });
    return c.json(doc);
  });

  app.get('/:pid/tags', async (c) => {
    const { entry } = await projectOf(deps, c.req.param('pid'));
    const where = c.req.query('where');
    return c.json(await documentOf(deps, ['tags', entry.dir, 'list', ...(where ? [`--where=${where}`] : [])]));
  });

  app.post('/:pid/tags', async (c) => {
    const { entry } = await projectOf(deps, c.req.param('pid'));
    const body = await jsonBody(c);
    const op = stringField(body, 'op') as string;
    if (!EDIT_OPS.has(op)) throw studioErrors.create('STUDIO_BAD_REQUEST', `"op" must be remove, replace or add; got "${op}".`, 'Send {"op": "remove", "tags": "a,b"}.');
    const where = stringField(body, 'where', { optional: true });
    const doc = await documentOf(deps, ['tags', entry.dir, op, ...(where ? [`--where=${where}`] : []), '--', stringField(body, 'tags') as string]);
    deps.hub.publish('captions', { project: entry.dir });
    return c.json(doc);
  });

  app.post('/:pid/tags/undo', async (c) => {
    const { entry } = await projectOf(deps, c.req.param('pid'));
    const doc = await documentOf(deps, ['tags', entry.dir, 'undo']);
    deps.hub.publish('captions', { project: entry.dir });
    return c.json(doc);
  });

  app.get('/:pid/tags/suggest', async (c) => c.json(await documentOf(deps, ['tags', (await projectOf(deps, c.req.param('pid'))).entry.dir, 'suggest'])));
  app.get('/:pid/tags/history', async (c) => c.json(await documentOf(deps, ['tags', (await projectOf(deps, c.req.param('pid'))).entry.dir, 'history'])));

  // Autocompletion: the project's own tags first (most used first), then the tagger's labels.
  app.get('/:pid/tag-labels', async (c) => {
    const { entry } = await projectOf(deps, c.req.param('pid'));
    const q = (c.req.query('q') ?? '').trim().toLowerCase();
    const table = (await documentOf<{ tags: Array<{ tag: string; count: number }> }>(deps, ['tags', entry.dir, 'list'])).tags;
    let cached = labelCache.get(entry.dir);
    if (!cached || Date.now() - cached.at > 60_000) {
      cached = { at: Date.now(), labels: await readCachedTaggerLabels(await loadProject(entry.dir, { tokenize: false }), deps.env) };
      labelCache.set(entry.dir, cached);
    }
    const seen = new Set<string>();
    const matches: Array<{ tag: string; source: 'project' | 'tagger'; count?: number }> = [];
    for (const t of table) if (t.tag.toLowerCase().includes(q) && !seen.has(t.tag)) seen.add(t.tag) && matches.push({ tag: t.tag, source: 'project', count: t.count });
    for (const label of cached.labels) {
      if (matches.length >= 30) break;
      if (label.toLowerCase().startsWith(q) && !seen.has(label)) seen.add(label) && matches.push({ tag: label, source: 'tagger' });
    }
    return c.json({ kind: 'tag-labels', query: q, taggerLabels: cached.labels.length, matches: matches.slice(0, 30) });
  });

  return app;
}
