import path from 'node:path';
import {
  captionErrors,
  editProjectTags,
  parseReplacePairs,
  parseTagList,
  readCaptionHistory,
  readTagTable,
  setProjectCaption,
  suggestProjectTags,
  undoLastCaptionChange,
  type TagEditRequest,
} from '../../caption/index.js';
import { closest, formatPercent, plural } from '../../core/index.js';
import { loadProject } from '../../project/index.js';
import { numberOption, stringOption, type CommandContext, type CommandSpec } from '../command.js';
import { formatTable } from '../render.js';
import { commandLine } from './caption.js';

const ACTIONS = ['list', 'remove', 'replace', 'add', 'set', 'undo', 'suggest', 'history'] as const;
type Action = (typeof ACTIONS)[number];

export const tagsCommand: CommandSpec = {
  name: 'tags',
  summary: 'Tag frequency table, bulk remove/replace/add with undo, and trait suggestions',
  usage: 'tags <dir> [list|remove <tags>|replace <old=new>|add <tags>|set <photo> <caption>|undo|suggest|history] [--where <filter>] [--json]',
  details: `Works on the caption files of every photo (captions/<photo>.txt); the trigger is never removed.
  tack tags my-lora                                   how many captions hold each tag
  tack tags my-lora remove "solo,looking at viewer"
  tack tags my-lora replace "1girl=woman"             (old=new; "old=" removes)
  tack tags my-lora add "film grain" --where "outdoors"
  tack tags my-lora set IMG_0012.jpg "xanrms, 1girl, smiling"   one caption, by hand
  tack tags my-lora undo                              revert the last edit or tack caption run
  tack tags my-lora suggest                           tags in >80% of captions: subject traits
  tack tags my-lora history                           the caption changes undo can revert
--where selects captions: "outdoors" (has the tag), "outdoors,!night" (has outdoors, not night).
Edits are also re-applied when tack caption regenerates its captions.`,
  positionals: [
    { name: 'dir', required: true, description: 'The project folder.' },
    { name: 'action', description: `${ACTIONS.join(', ')} (default list).` },
    { name: 'tags', description: 'Tags for remove/add ("a,b"), pairs for replace ("old=new,..."), the photo for set.' },
    { name: 'caption', description: 'set: the photo\'s new caption.' },
  ],
  options: {
    where: { type: 'string', value: '<filter>', description: 'Only captions with these tags ("a,b"); "!tag" excludes.' },
    'dry-run': { type: 'boolean', description: 'Show what an edit would change without writing.' },
    force: { type: 'boolean', description: 'undo: also revert captions changed by hand since.' },
    top: { type: 'string', value: '<n>', description: 'list: show the n most frequent tags (default all).' },
    'min-share': { type: 'string', value: '<0-1>', description: 'suggest: share of captions a tag must be in (default 0.8).' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const dir = path.resolve(ctx.cwd, positionals[0] as string);
    const project = await loadProject(dir, { tokenize: false });
    const raw = positionals[1] ?? 'list';
    if (!(ACTIONS as readonly string[]).includes(raw)) {
      const guess = closest(raw, ACTIONS);
      throw captionErrors.create('CAPTION_BAD_EDIT', `"${raw}" is not a tack tags action.`, `${guess ? `Did you mean "${guess}"? ` : ''}Actions: ${ACTIONS.join(', ')}.`, { details: { action: raw } });
    }
    const action = raw as Action;
    const argument = positionals[2];
    const where = stringOption(values, 'where');
    const needs = (example: string): string => {
      if (!argument) throw captionErrors.create('CAPTION_BAD_EDIT', `tack tags ${action} needs its tags.`, `Example: tack tags ${positionals[0]} ${action} ${example}`);
      return argument;
    };
    switch (action) {
      case 'list':
        return listTags(ctx, project, numberOption(values, 'top', { integer: true, min: 1 }), where);
      case 'suggest':
        return suggest(ctx, project, numberOption(values, 'min-share', { min: 0, max: 1 }) ?? 0.8, positionals[0] as string);
      case 'history': {
        const history = await readCaptionHistory(project);
        if (ctx.json) return ctx.printJson({ kind: 'tags-history', project: project.paths.root, entries: history });
        if (history.length === 0) return ctx.print('No caption changes yet.');
        ctx.print(formatTable(['when', 'change', 'captions', ''], history.map((h) => [h.at.replace('T', ' ').slice(0, 19), h.summary, h.captions, h.undone ? 'undone' : ''])));
        return;
      }
      case 'set': {
        const photo = needs('IMG_0012.jpg "xanrms, 1girl, smiling"');
        const text = positionals[3];
        if (text === undefined) throw captionErrors.create('CAPTION_BAD_EDIT', 'tack tags set needs the photo and its new caption.', `Example: tack tags ${positionals[0]} set ${photo} "${project.config.token}, ..."`);
        const result = await setProjectCaption(project, photo, text, { command: commandLine('tack tags', positionals, values) });
        if (ctx.json) return ctx.printJson({ kind: 'tags-set', project: project.paths.root, ...result });
        ctx.print(result.changed ? `${result.caption}: ${result.after}` : `${result.caption} already says that.`);
        if (result.changed) ctx.print(`Revert with: tack tags ${positionals[0]} undo`);
        return;
      }
      case 'undo': {
        const result = await undoLastCaptionChange(project, { force: Boolean(values.force) });
        if (ctx.json) return ctx.printJson({ kind: 'tags-undo', project: project.paths.root, ...result });
        ctx.print(`Undid "${result.entry.summary}" (${result.entry.command}): restored ${plural(result.restored.length, 'caption')}.`);
        if (result.conflicts.length) ctx.print(`  Also reverted ${plural(result.conflicts.length, 'caption')} changed by hand since (--force).`);
        return;
      }
      default: {
        const request: TagEditRequest =
          action === 'replace'
            ? { op: 'replace', pairs: parseReplacePairs(needs('"1girl=woman"')) }
            : { op: action, tags: parseTagList(needs('"solo,looking at viewer"'), action) };
        const result = await editProjectTags(project, request, { ...(where ? { where } : {}), dryRun: Boolean(values['dry-run']), command: commandLine('tack tags', positionals, values), signal: ctx.signal });
        if (ctx.json) return ctx.printJson({ kind: 'tags-edit', project: project.paths.root, op: action, where: where ?? null, ...result });
        for (const c of result.changed.slice(0, 20)) ctx.print(`  ${c.photo}: ${c.after}`);
        if (result.changed.length > 20) ctx.print(`  ... and ${result.changed.length - 20} more`);
        const verb = result.dryRun ? 'Would change' : 'Changed';
        ctx.print(`${verb} ${plural(result.changed.length, 'caption')}${where ? ` (of those with ${where})` : ''}; ${result.unchanged} did not need it.`);
        if (!result.dryRun && result.changed.length > 0) ctx.print(`Revert with: tack tags ${positionals[0]} undo`);
      }
    }
  },
};

async function listTags(ctx: CommandContext, project: Awaited<ReturnType<typeof loadProject>>, top?: number, where?: string): Promise<void> {
  const table = await readTagTable(project, { ...(where ? { where } : {}), signal: ctx.signal });
  const tags = top ? table.tags.slice(0, top) : table.tags;
  if (ctx.json) {
    ctx.printJson({ kind: 'tags', project: project.paths.root, where: where ?? null, captions: table.captions, photosWithoutCaption: table.photosWithoutCaption, tags });
    return;
  }
  if (table.captions === 0) {
    ctx.print(where ? `No caption matches --where "${where}".` : `No captions yet. Write them with: tack caption ${project.paths.root}`);
    return;
  }
  ctx.print(formatTable(['tag', 'captions', 'share'], tags.map((t) => [t.tag, t.count, formatPercent(t.share)])));
  ctx.print();
  ctx.print(`${plural(table.tags.length, 'distinct tag')} in ${plural(table.captions, 'caption')}${where ? ` with ${where}` : ''}.${table.photosWithoutCaption.length ? ` ${plural(table.photosWithoutCaption.length, 'photo')} without a caption.` : ''}`);
}

async function suggest(ctx: CommandContext, project: Awaited<ReturnType<typeof loadProject>>, minShare: number, dirArg: string): Promise<void> {
  const result = await suggestProjectTags(project, { minShare, signal: ctx.signal });
  if (ctx.json) {
    ctx.printJson({ kind: 'tags-suggest', project: project.paths.root, ...result });
    return;
  }
  const traits = result.suggestions.filter((s) => s.kind === 'trait');
  const frequent = result.suggestions.filter((s) => s.kind === 'frequent');
  if (result.suggestions.length === 0) {
    ctx.print(`No tag other than the trigger and class is in ${formatPercent(minShare)} or more of the ${plural(result.captions, 'caption')}.`);
    return;
  }
  if (traits.length) {
    ctx.print(`Subject traits in ${formatPercent(minShare)}+ of captions (remove them so "${project.config.token}" carries them; keep those that really vary):`);
    ctx.print(formatTable(['tag', 'captions', 'share'], traits.map((t) => [t.tag, t.count, formatPercent(t.share)])));
    ctx.print(`  tack tags ${dirArg} remove "${traits.map((t) => t.tag).join(',')}"`);
    ctx.print();
  }
  if (frequent.length) {
    ctx.print('Also frequent (keep them if you want to prompt for them; remove them if every photo has them anyway):');
    ctx.print(formatTable(['tag', 'captions', 'share'], frequent.map((t) => [t.tag, t.count, formatPercent(t.share)])));
  }
}
