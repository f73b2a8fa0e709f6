import path from 'node:path';
import { captionProject, TAGGER_MODELS, type CaptionOverrides, type Captioner } from '../../caption/index.js';
import { formatDuration, plural } from '../../core/index.js';
import { loadProject } from '../../project/index.js';
import { choiceOption, numberOption, stringListOption, stringOption, type CommandSpec } from '../command.js';
import { printFindings } from '../render.js';

export const captionCommand: CommandSpec = {
  name: 'caption',
  summary: 'Caption every photo: WD14 tags (default) or a sentence, trigger first',
  usage: 'caption <dir> [--captioner wd14|sentence|none] [--model <tagger>] [--threshold <n>] [--character-threshold <n>] [--overwrite] [--json]',
  details: `Writes captions/<photo>.txt for every photo: the trigger token first, then the class
word in the captioner's form (1girl/1boy with tags, woman/man with sentences), never Pony
score/source/rating tags. Captions you wrote or edited by hand are kept unless --overwrite.
A rerun continues where the last one stopped; changing a threshold re-derives captions
from the kept model output without running the model again. tack tags <dir> undo reverts a run.

The WD14 tagger is downloaded once from the Hugging Face Hub into the standard Hugging Face
cache (~/.cache/huggingface/hub), resuming interrupted downloads. Taggers:
${TAGGER_MODELS.map((m) => `  ${m.name.padEnd(30)} ${m.note}`).join('\n')}
Examples:
  tack caption my-lora
  tack caption my-lora --model wd-vit-large-tagger-v3 --threshold 0.35 --character-threshold 0.85
  tack caption my-lora --captioner sentence --sentence-backend endpoint --endpoint-model qwen2.5vl:7b`,
  positionals: [{ name: 'dir', required: true, description: 'The project folder.' }],
  options: {
    captioner: { type: 'string', value: '<kind>', description: 'wd14 (tags), sentence, or none (trigger + class only); default: captioner in tack.toml.' },
    model: { type: 'string', value: '<tagger>', description: 'WD14 tagger name or Hugging Face repo id (default: [caption] model).' },
    threshold: { type: 'string', value: '<0-1>', description: 'Score a general tag needs (default 0.35).' },
    'character-threshold': { type: 'string', value: '<0-1>', description: 'Score a character tag needs (default 0.85).' },
    'batch-size': { type: 'string', value: '<n>', description: 'Photos per tagger run (default 2).' },
    threads: { type: 'string', value: '<n>', description: 'CPU threads for the model (default: one per core).' },
    'model-dir': { type: 'string', value: '<folder>', description: 'Use model.onnx + selected_tags.csv from this folder instead of downloading.' },
    offline: { type: 'boolean', description: 'Use only models already in the cache; never download.' },
    overwrite: { type: 'boolean', description: 'Also replace captions written or edited by hand.' },
    rerun: { type: 'boolean', description: 'Run the model again even where its output is kept.' },
    photo: { type: 'string', multiple: true, value: '<file>', description: 'Only this photo (file name in photos/); repeatable.' },
    'sentence-backend': { type: 'string', value: '<local|endpoint>', description: 'Sentence captions from a local model or an OpenAI-compatible endpoint.' },
    'sentence-model': { type: 'string', value: '<name>', description: 'Local sentence model: florence-2-base, florence-2-large, vit-gpt2 or a repo id.' },
    endpoint: { type: 'string', value: '<url>', description: 'OpenAI-compatible API base URL (e.g. http://127.0.0.1:11434/v1).' },
    'endpoint-model': { type: 'string', value: '<name>', description: 'Vision model at the endpoint (e.g. qwen2.5vl:7b).' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const dir = path.resolve(ctx.cwd, positionals[0] as string);
    const project = await loadProject(dir, { tokenize: false });
    const captioner = choiceOption<Captioner>(values, 'captioner', ['wd14', 'sentence', 'none']);
    const overrides: CaptionOverrides = {
      ...optional('model', stringOption(values, 'model')),
      ...optional('threshold', numberOption(values, 'threshold', { min: 0, max: 1 })),
      ...optional('characterThreshold', numberOption(values, 'character-threshold', { min: 0, max: 1 })),
      ...optional('batchSize', numberOption(values, 'batch-size', { integer: true, min: 1, max: 64 })),
      ...optional('threads', numberOption(values, 'threads', { integer: true, min: 0, max: 256 })),
      ...optional('modelDir', stringOption(values, 'model-dir') && path.resolve(ctx.cwd, stringOption(values, 'model-dir') as string)),
      ...optional('sentenceBackend', choiceOption(values, 'sentence-backend', ['local', 'endpoint'] as const)),
      ...optional('sentenceModel', stringOption(values, 'sentence-model')),
      ...optional('endpointUrl', stringOption(values, 'endpoint')),
      ...optional('endpointModel', stringOption(values, 'endpoint-model')),
      ...(values.offline ? { offline: true } : {}),
    };
    const download = ctx.progress('Downloading model');
    const progress = ctx.progress('Captioning');
    const only = stringListOption(values, 'photo');
    let result;
    try {
      result = await captionProject(project, {
        ...(captioner ? { captioner } : {}),
        overrides,
        overwrite: Boolean(values.overwrite),
        rerun: Boolean(values.rerun),
        ...(only.length ? { only } : {}),
        command: commandLine('tack caption', positionals, values),
        env: ctx.env,
        signal: ctx.signal,
        onDownload: download,
        onProgress: progress,
      });
    } finally {
      download.finish();
      progress.finish();
    }
    if (ctx.json) {
      ctx.printJson({
        kind: 'caption',
        project: project.paths.root,
        captioner: result.captioner,
        model: result.model ?? null,
        commit: result.commit ?? null,
        modelDownloaded: result.modelDownloaded,
        modelRuns: result.modelRuns,
        counts: result.counts,
        historyId: result.historyId ?? null,
        durationMs: result.durationMs,
        photos: result.photos,
        findings: result.findings,
      });
      return;
    }
    const width = Math.max(...result.photos.map((p) => p.photo.length), 5);
    for (const p of result.photos) {
      if (p.status === 'written') {
        const line = `  ${p.photo.padEnd(width)}  ${p.text ?? ''}`;
        ctx.print(line.length > 160 ? `${line.slice(0, 157)}...` : line);
      }
    }
    const c = result.counts;
    const parts = [`wrote ${plural(c.written, 'caption')}`, `${c.unchanged} unchanged`];
    if (c['hand-written']) parts.push(`${c['hand-written']} kept (written by hand)`);
    if (c.failed) parts.push(`${c.failed} failed`);
    const model = result.model ? ` with ${result.model}${result.commit ? `@${result.commit.slice(0, 7)}` : ''}` : '';
    ctx.print();
    ctx.print(`${parts.join(', ')}${model} in ${formatDuration(result.durationMs)}.`);
    printFindings(ctx, result.findings);
    ctx.print();
    ctx.print(`Check the tags: tack tags ${positionals[0]}${result.historyId ? `   Revert this run: tack tags ${positionals[0]} undo` : ''}`);
  },
};

/** The command as typed (for the caption history). */
export function commandLine(prefix: string, positionals: readonly string[], values: Readonly<Record<string, unknown>>): string {
  const flags = Object.entries(values).flatMap(([k, v]) => {
    if (k === 'json' || v === undefined || v === false) return [];
    if (v === true) return [`--${k}`];
    return (Array.isArray(v) ? v : [v]).map((x) => `--${k} ${JSON.stringify(String(x))}`);
  });
  return [prefix, ...positionals.map((p) => (/[\s,"]/.test(p) ? JSON.stringify(p) : p)), ...flags].join(' ');
}

function optional<K extends string, V>(key: K, value: V | undefined | '' | false): { [P in K]?: V } {
  return value === undefined || value === '' || value === false ? {} : ({ [key]: value } as { [P in K]: V });
}
