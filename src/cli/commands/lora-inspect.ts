import { formatBytes, plural } from '../../core/index.js';
import { inspectLora, type LoraInspection } from '../../lora/index.js';
import { numberOption, type CommandContext, type CommandSpec } from '../command.js';
import { printFindings } from '../render.js';
import { displayPath, openInput } from './lora-shared.js';

export const loraInspectCommand: CommandSpec = {
  name: 'lora inspect',
  summary: 'Show what a LoRA file is, how it was trained and whether loaders accept it',
  usage: 'lora inspect <file.safetensors> [--modules] [--no-scan] [--tags <n>] [--json]',
  details: `Reads the file's header and metadata (and, unless --no-scan, every tensor to find NaN,
infinite and all-zero weights), then prints: the base architecture from the keys and shapes,
the network kind, modules per part with rank and alpha, the training settings from the
metadata, the hashes A1111/Civitai use, and whether ComfyUI, A1111, Forge and diffusers load
its keys. Example:
  tack lora inspect my-lora.safetensors`,
  positionals: [{ name: 'file', required: true, description: 'The LoRA .safetensors file.' }],
  options: {
    modules: { type: 'boolean', description: 'List every module with its rank, alpha and shape.' },
    'no-scan': { type: 'boolean', description: 'Skip reading the weights (no NaN/zero check, no hashes): header only.' },
    tags: { type: 'string', value: '<n>', description: 'How many of the most frequent training tags to show (default 20).' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const topTags = numberOption(values, 'tags', { integer: true, min: 0, max: 10000 }) ?? 20;
    const st = await openInput(ctx, positionals[0] as string);
    try {
      const scan = !values['no-scan'];
      const bar = ctx.progress('Scanning');
      const result = await inspectLora(st, { scanValues: scan, hashes: scan, topTags, signal: ctx.signal, onProgress: bar });
      bar.finish();
      if (ctx.json) {
        ctx.printJson({ kind: 'lora inspect', ...result, modules: values.modules ? result.modules : undefined });
        return;
      }
      printInspection(ctx, result, Boolean(values.modules));
    } finally {
      await st.close();
    }
  },
};

function line(ctx: CommandContext, label: string, text: string | undefined): void {
  if (text !== undefined && text !== '') ctx.print(`  ${label.padEnd(18)}${text}`);
}

function printInspection(ctx: CommandContext, r: LoraInspection, listModules: boolean): void {
  const dtypes = Object.entries(r.dtypes).map(([d, n]) => `${n} ${d}`).join(', ');
  ctx.print(`${displayPath(ctx, r.file)}: ${formatBytes(r.sizeBytes)}, ${plural(r.tensorCount, 'tensor')} (${dtypes}), ${r.metadataKeys} metadata entries`);
  ctx.print();
  line(ctx, 'Architecture', `${r.architecture.label} (${r.architecture.evidence})`);
  const rank = r.network.rank.min === r.network.rank.max ? `rank ${r.network.rank.min}` : `ranks ${r.network.rank.min}-${r.network.rank.max} (dynamic)`;
  line(ctx, 'Network', `${r.network.kind}, ${r.network.keyStyles.join('+')} keys, ${plural(r.network.modules, 'module')}, ${rank}${r.network.engineModule ? `, ${r.network.engineModule}` : ''}`);
  for (const p of r.parts) {
    const ranks = p.ranks.map((c) => `${c.value}${p.ranks.length > 1 ? ` (${c.count})` : ''}`).join(', ');
    const alphas = p.alphas.map((c) => `${c.value ?? 'none'}${p.alphas.length > 1 ? ` (${c.count})` : ''}`).join(', ');
    line(ctx, `  ${p.label}`, `${plural(p.modules, 'module')}${p.convModules ? ` (${p.convModules} 3x3 conv)` : ''}, rank ${ranks}, alpha ${alphas}`);
  }
  const t = r.training;
  ctx.print();
  ctx.print('Training');
  line(ctx, 'title', t.title ?? t.outputName);
  line(ctx, 'trainer', t.trainer);
  if (t.steps !== undefined) line(ctx, 'steps', `${t.steps}${t.epoch !== undefined ? ` (epoch ${t.epoch}${t.epochs !== undefined ? ` of ${t.epochs}` : ''})` : ''}${t.maxTrainSteps !== undefined ? `, planned ${t.maxTrainSteps}` : ''}`);
  const lrs = [t.learningRate !== undefined ? `lr ${t.learningRate}` : '', t.unetLr !== undefined ? `U-Net ${t.unetLr}` : '', t.textEncoderLr ? `text encoder ${t.textEncoderLr}` : ''].filter(Boolean).join(', ');
  line(ctx, 'learning rate', lrs);
  line(ctx, 'optimizer', [t.optimizer, t.lrScheduler ? `${t.lrScheduler} schedule` : '', t.lrWarmupSteps ? `warmup ${t.lrWarmupSteps}` : ''].filter(Boolean).join(', '));
  line(ctx, 'network', t.networkDim ? `dim ${t.networkDim}, alpha ${t.networkAlpha ?? '?'}${t.networkArgs ? `, args ${JSON.stringify(t.networkArgs)}` : ''}` : undefined);
  line(ctx, 'images', t.numTrainImages !== undefined ? `${t.numTrainImages}${t.repeats?.length ? ` (${t.repeats.map((x) => `${x.folder}: ${x.images} x ${x.repeats} repeats`).join('; ')})` : ''}${t.batchSize !== undefined ? `, batch ${t.batchSize}` : ''}` : undefined);
  line(ctx, 'resolution', t.resolution);
  line(ctx, 'precision / seed', [t.mixedPrecision, t.seed !== undefined ? `seed ${t.seed}` : ''].filter(Boolean).join(', '));
  if (t.clipSkip !== undefined) line(ctx, 'clip skip', `${t.clipSkip}${r.architecture.id === 'sdxl' ? ' (recorded only: SDXL training ignores it, P5)' : ''}`);
  line(ctx, 'noise offset', t.noiseOffset !== undefined ? String(t.noiseOffset) : undefined);
  line(ctx, 'min SNR gamma', t.minSnrGamma !== undefined ? String(t.minSnrGamma) : undefined);
  if (t.baseModel) line(ctx, 'base model', [t.baseModel.name, t.baseModel.version, t.baseModel.sha256 ? `sha256 ${t.baseModel.sha256.slice(0, 12)}…` : t.baseModel.legacyHash ? `hash ${t.baseModel.legacyHash}` : ''].filter(Boolean).join(', '));
  line(ctx, 'trained', t.startedAt ? `${t.startedAt}${t.durationSeconds !== undefined ? ` for ${Math.round(t.durationSeconds / 60)} min` : ''}` : undefined);
  line(ctx, 'comment', t.comment);
  if (t.tagFrequency?.length) line(ctx, 'top tags', t.tagFrequency.map((x) => `${x.tag} (${x.count})`).join(', '));
  if (!t.steps && !t.optimizer && !t.title) ctx.print('  (no training metadata in this file)');
  if (r.hashes) {
    const h = r.hashes;
    ctx.print();
    ctx.print('Hashes');
    line(ctx, 'AutoV2', `${h.autoV2}   (Civitai; sha256 ${h.sha256})`);
    line(ctx, 'AutoV3', `${h.autoV3.slice(0, 12).toUpperCase()}   (Civitai; sha256 of the weights ${h.autoV3})`);
    line(ctx, 'A1111 Lora hash', h.a1111);
    line(ctx, 'sshs_model_hash', h.sshsModelHash.stored === undefined ? 'not stored' : h.sshsModelHash.matches ? 'stored, matches the weights' : `stored ${h.sshsModelHash.stored} does NOT match the weights`);
  }
  ctx.print();
  ctx.print('Loaders');
  for (const l of r.loaders) {
    const text = l.status === 'loads' ? `loads all ${l.loaded} modules` : l.status === 'fails' ? `fails to load (${l.note ?? ''})` : l.status === 'unknown' ? `not checked (${l.note})` : `skips ${l.skipped} of ${l.loaded + l.skipped} modules (e.g. ${l.examples[0]})`;
    line(ctx, l.label, text);
  }
  if (r.health.scanned) {
    ctx.print();
    ctx.print(`Weights: ${r.health.nonFinite.length ? `${plural(r.health.nonFinite.length, 'tensor')} with NaN/Inf` : 'no NaN or Inf'}, ${r.health.zeroModules.length ? `${plural(r.health.zeroModules.length, 'all-zero module')}` : 'no all-zero modules'}`);
  }
  if (listModules) {
    ctx.print();
    for (const m of r.modules) ctx.print(`  ${m.name}  ${m.part}  ${m.kind}  rank ${m.rank ?? '-'}  alpha ${m.alpha ?? '-'}  ${m.shape}`);
  }
  if (r.findings.length) {
    ctx.print();
    printFindings(ctx, r.findings);
  }
}
