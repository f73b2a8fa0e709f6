import path from 'node:path';
import { formatDuration, sortFindings, type Finding } from '../../core/index.js';
import { SOURCE_WORDS, type SettingDecision } from '../../engine/index.js';
import { prepareDataset } from '../../pipeline/index.js';
import { loadProject, TRAIN_DEVICES } from '../../project/index.js';
import { markInterruptedRuns, planResume, prepareRun, resumeRun, startRun, type PreparedRun, type SupervisorEvent, type TrainResult } from '../../run/index.js';
import { choiceOption, stringOption, type CommandContext, type CommandInput, type CommandSpec } from '../command.js';
import { cliErrors } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatFinding } from '../render.js';
import { TrainDisplay } from './train-display.js';
import { openTrainJob, type TrainJob } from './train-job.js';
import { launchOnRemote, linkJson, prepareOnRemote, printLink, resumeOnRemote } from './train-remote.js';

/** Quotes an argument for display the way a POSIX shell would need it. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return value.length ? value.join(' ') : '(none)';
  return String(value);
}

function printDecisions(ctx: CommandContext, decisions: readonly SettingDecision[]): void {
  ctx.print('Settings:');
  const unetOnly = decisions.some((d) => d.key === 'train_text_encoder' && d.value === false);
  for (const d of decisions) {
    if (d.key === 'extra_args' && Array.isArray(d.value) && d.value.length === 0) continue;
    if (d.key === 'text_encoder_lr' && unetOnly) {
      ctx.print(`  ${d.key.padEnd(27)} ${'-'.padEnd(12)}  (not used: the text encoders are not trained)`);
      continue;
    }
    const why = d.reason ? `  (${d.reason.why}; ${SOURCE_WORDS[d.reason.source]})` : d.layer === 'tack.toml [train]' ? '  (tack.toml [train])' : '';
    ctx.print(`  ${d.key.padEnd(27)} ${formatValue(d.value).padEnd(12)}${why}`);
  }
}

function printPrepared(ctx: CommandContext, prepared: PreparedRun): void {
  const m = prepared.meta;
  const p = m.plan;
  ctx.print(`Run ${prepared.id} in ${prepared.paths.dir}`);
  const on = prepared.device === 'cuda' ? (prepared.probe?.gpus.length ? ` (${prepared.probe.gpus.map((g) => g.name).join(', ')})` : '') : `, device ${prepared.device}`;
  ctx.print(`  preset ${m.preset.name}, GPU profile ${m.preset.gpuProfile}${on}`);
  ctx.print(`  ${p.images} images x ${p.repeats} repeats = ${p.images * p.repeats} per epoch; ${p.epochs} epochs at batch ${p.batchSize}${p.gradientAccumulationSteps > 1 ? ` x ${p.gradientAccumulationSteps} accumulation` : ''}${p.numProcesses > 1 ? ` on ${p.numProcesses} GPUs` : ''}`);
  ctx.print(`  the engine will train ${p.totalSteps} steps (${p.batchesPerEpoch} batches per epoch over ${prepared.engineSteps.buckets.length} bucket(s); the recipe's formula gives ${p.recipeSteps})`);
  ctx.print();
  printDecisions(ctx, prepared.decisions);
  ctx.print();
  const notes = prepared.findings.filter((f) => f.severity === 'info' && f.code.startsWith('ENGINE_NOTE'));
  if (notes.length) {
    ctx.print('Pitfalls prevented:');
    for (const n of notes) ctx.print(`  ${((n.data?.pitfall as string | undefined) ?? '').padEnd(4)} ${n.message}`);
    ctx.print();
  }
  const rest = sortFindings(prepared.findings.filter((f) => !(f.severity === 'info' && f.code.startsWith('ENGINE_NOTE')) && f.code !== 'ENGINE_MODEL_SDXL'));
  if (rest.length) {
    for (const f of rest) ctx.print(formatFinding(f));
    ctx.print();
  }
  ctx.print(`Command (cwd ${prepared.launch.command.cwd}):`);
  const env = Object.entries(prepared.launch.command.env).map(([k, v]) => `${k}=${shellQuote(v)}`);
  ctx.print(`  ${[...env, ...prepared.launch.command.argv.map(shellQuote)].join(' ')}`);
}

export function printOutcome(ctx: CommandContext, outcome: TrainResult, runDir: string): void {
  ctx.print();
  if (outcome.kind === 'detached') {
    ctx.print(`Detached: ${outcome.message}`);
    ctx.print(`  ${outcome.hint}; tack runs shows where it is.`);
    return;
  }
  const head = outcome.kind === 'succeeded' ? 'Succeeded' : outcome.kind === 'failed' ? `Failed (${outcome.reason})` : outcome.kind === 'cancelled' ? 'Cancelled' : 'Interrupted';
  ctx.print(`${head}: ${outcome.message}`);
  if (outcome.kind === 'failed' && outcome.lastLines.length) {
    ctx.print('  last lines of log.txt:');
    for (const line of outcome.lastLines.slice(-8)) ctx.print(`    ${line.slice(0, 200)}`);
  }
  if (outcome.durationMs !== undefined) ctx.print(`  ${outcome.steps?.done ?? 0}/${outcome.steps?.total ?? '?'} steps in ${formatDuration(outcome.durationMs)}${outcome.finalLoss != null ? `, final average loss ${outcome.finalLoss.toPrecision(3)}` : ''}`);
  for (const ck of outcome.checkpoints ?? []) ctx.print(`  epoch ${ck.epoch}${ck.final ? ' (final)' : ''}: ${path.join(runDir, ck.file)}`);
  if (outcome.kind !== 'succeeded') ctx.print(`  hint: ${outcome.hint}`);
}

export function exitCodeFor(outcome: TrainResult): number {
  if (outcome.kind === 'succeeded' || outcome.kind === 'detached') return EXIT_CODES.ok;
  if (outcome.kind === 'cancelled') return EXIT_CODES.cancelled;
  return EXIT_CODES.training;
}

function findingsJson(findings: readonly Finding[]): Finding[] {
  return sortFindings(findings);
}

/** The `tack train --json` document up to the outcome (docs/train.md). */
function trainDoc(run: PreparedRun) {
  return {
    kind: 'train',
    dryRun: false,
    run: { id: run.id, dir: run.paths.dir },
    preset: run.meta.preset.name,
    gpuProfile: run.meta.preset.gpuProfile,
    device: run.device,
    plan: run.meta.plan,
    settings: run.meta.preset.settings,
    decisions: run.decisions,
    findings: findingsJson(run.findings),
    command: run.launch.command,
    configs: { dataset: run.paths.datasetToml, args: run.paths.argsToml, samplePrompts: run.paths.samplePrompts },
  };
}

export const trainCommand: CommandSpec = {
  name: 'train',
  summary: 'Train the LoRA: prepare, plan, write the configs, launch sd-scripts and supervise it',
  usage: 'train <project> [--on <remote>] [--detach] [--dry-run] [--resume] [--preset <name>] [--gpu-profile auto|8gb|12gb|16gb|24gb] [--device auto|cuda|mps|cpu] [--upload-model] [--on-interrupt ask|stop|detach] [--json]',
  details: `Prepares the dataset if needed, picks the GPU profile from the GPU memory, resolves the preset
with your [train] settings, plans epochs so the run lands near [plan] target_steps, and writes
runs/<id>/ (configs, sample prompts, the exact command). The configs are checked against the
engine's own argument list and dataset rules before anything starts. Then it launches
\`accelerate launch sdxl_train_network.py\` and shows live progress; each epoch's checkpoint and
sample images are listed as they appear. Known failures (out of GPU memory, NaN loss, refused
arguments, "No data found") end with a clear reason and what to do. Ctrl-C stops the trainer
gracefully and keeps the checkpoints saved so far; --resume continues from the newest saved
optimizer state. Without a CUDA GPU it refuses to start unless you choose --device mps (Apple
GPU) or --device cpu (hundreds of times slower: tests and tiny runs); settings that cannot work
there (8-bit optimizers, fp16 on the CPU, sdpa without torch 2, fp8) are replaced and listed.
--on <remote> trains on a machine added with tack remote add: tack checks it, finds the base
model there (or downloads it there: [remote] in tack.toml), syncs only the dataset and configs
that changed, launches the run detached there (it survives a dropped connection) and shows the
same live progress; every checkpoint and sample is brought home as it appears, so the run
folder here ends up as after a local run. A dropped connection is resumed where it stopped.
Ctrl-C asks whether to stop the remote run or to detach (--on-interrupt decides without a
terminal); --detach leaves it going at once and tack attach follows it again.
Exit codes: 0 succeeded (or detached), 5 the training failed, 130 cancelled. Examples:
  tack train my-lora --dry-run
  tack train my-lora
  tack train my-lora --resume
  tack train tiny-test --device cpu
  tack train my-lora --on pod
  tack train my-lora --on pod --detach`,
  positionals: [{ name: 'project', required: true, description: 'The project folder.' }],
  options: {
    'dry-run': { type: 'boolean', description: 'Write the run folder and print the command; launch nothing (works without sd-scripts or a GPU).' },
    resume: { type: 'boolean', description: 'Continue the newest interrupted, cancelled or failed run from its saved state.' },
    preset: { type: 'string', value: '<name>', description: 'Preset for this run (default: preset in tack.toml); tack preset list.' },
    'gpu-profile': { type: 'string', value: '<profile>', description: 'auto (from the GPU), 8gb, 12gb, 16gb or 24gb.' },
    on: { type: 'string', value: '<remote>', description: 'Train on a remote added with tack remote add.' },
    detach: { type: 'boolean', description: 'With --on: launch, then leave the run going there (tack attach follows it).' },
    'upload-model': { type: 'boolean', description: 'With --on: send the local base model when the remote lacks it.' },
    'on-interrupt': { type: 'string', value: '<ask|stop|detach>', description: 'With --on: what Ctrl-C does (default ask on a terminal, else stop).' },
    device: { type: 'string', value: '<device>', description: 'auto (a CUDA GPU, else refuse), cuda, mps or cpu (default: [train] device).' },
  },
  json: true,
  async run(ctx, input) {
    const { values, positionals } = input;
    const project = await loadProject(path.resolve(ctx.cwd, positionals[0] as string), { tokenize: false });
    const options: TrainChoices = {
      gpuProfile: choiceOption(values, 'gpu-profile', ['auto', '8gb', '12gb', '16gb', '24gb'] as const),
      presetName: stringOption(values, 'preset'),
      device: choiceOption(values, 'device', TRAIN_DEVICES),
      on: stringOption(values, 'on'),
    };
    const { gpuProfile, presetName, device, on } = options;
    if (!on && (values.detach || values['upload-model'])) throw cliErrors.create('CLI_BAD_OPTION', `--${values.detach ? 'detach' : 'upload-model'} needs --on <remote>.`, `Example: tack train ${positionals[0]} --on pod --detach`);
    const inputs = { ...(values.resume ? { resume: true } : {}), ...(presetName ? { preset: presetName } : {}), ...(gpuProfile ? { gpuProfile } : {}), ...(device ? { device } : {}) };
    const job = openTrainJob(ctx, project, inputs, Boolean(values['dry-run']), on);
    try {
      return await train({ ...ctx, signal: job?.signal ?? ctx.signal }, input, options, project, job);
    } catch (error) {
      job?.fail(error);
      throw error;
    }
  },
};

/** The options of tack train that choose what trains where, read once. */
interface TrainChoices {
  readonly gpuProfile: 'auto' | '8gb' | '12gb' | '16gb' | '24gb' | undefined;
  readonly presetName: string | undefined;
  readonly device: (typeof TRAIN_DEVICES)[number] | undefined;
  readonly on: string | undefined;
}

async function train(ctx: CommandContext, { values, positionals }: CommandInput, { gpuProfile, presetName, device, on }: TrainChoices, project: Awaited<ReturnType<typeof loadProject>>, job: TrainJob | undefined): Promise<number> {
  const projectArg = positionals[0] as string;
  const display = new TrainDisplay(ctx.stderr);
  const shown = ctx.json && !ctx.stderr.isTTY ? undefined : display.handle;
  const onEvent = job ? (e: SupervisorEvent) => (job.onEvent(e), shown?.(e)) : shown;

  if (values.resume) {
    await markInterruptedRuns(project.paths, projectArg);
    const plan = await planResume(project);
    job?.setRun(plan.id);
    const from = plan.stateDir ? `from ${path.relative(plan.paths.dir, plan.stateDir)} (step ${plan.stepOffset})` : 'from the beginning: no optimizer state was saved before it stopped';
    const resumed = { kind: 'train', resumed: true, run: { id: plan.id, dir: plan.paths.dir }, resumedFrom: plan.stateDir ?? null, stepOffset: plan.stepOffset };
    if (plan.meta.remote) {
      if (!ctx.json) ctx.print(`Resuming run ${plan.id} (${plan.previousStatus}) on ${plan.meta.remote.name} ${from}`);
      const { result, transport } = await resumeOnRemote(ctx, { project, projectArg, plan, values, ...(onEvent ? { onEvent } : {}) });
      display.finish();
      const remoteDoc = { ...resumed, remote: { name: plan.meta.remote.name, runDir: plan.meta.remote.runDir, link: linkJson(transport.stats) }, outcome: result };
      job?.done(remoteDoc, exitCodeFor(result));
      if (ctx.json) ctx.printJson(remoteDoc);
      else {
        printOutcome(ctx, result, plan.paths.dir);
        printLink(ctx, plan.meta.remote.name, transport.stats);
      }
      return exitCodeFor(result);
    }
    if (on) throw cliErrors.create('CLI_BAD_OPTION', `Run ${plan.id} trained on this machine; it resumes here, not on ${on}.`, `Run: tack train ${projectArg} --resume (without --on), or start a new run with --on ${on}.`);
    if (!ctx.json) ctx.print(`Resuming run ${plan.id} (${plan.previousStatus}) ${from}`);
    const outcome = await resumeRun(plan, { project, projectArg, signal: ctx.signal, ...(onEvent ? { onEvent } : {}) });
    display.finish();
    const resumedDoc = { ...resumed, outcome };
    job?.done(resumedDoc, exitCodeFor(outcome));
    if (ctx.json) ctx.printJson(resumedDoc);
    else printOutcome(ctx, outcome, plan.paths.dir);
    return exitCodeFor(outcome);
  }

  const bar = ctx.progress('Preparing the dataset');
  const prepared = await prepareDataset(project, { signal: ctx.signal, onProgress: bar });
  bar.finish();
  if (on) {
    if (values['dry-run']) throw cliErrors.create('CLI_BAD_OPTION', '--dry-run and --on cannot be combined: a remote run is checked on the remote itself.', `See the plan with: tack train ${projectArg} --dry-run; check the remote with: tack remote doctor ${on}`);
    const input = { project, projectArg, manifest: prepared.manifest, remote: on, values, ...(presetName ? { presetName } : {}), ...(gpuProfile ? { gpuProfile } : {}), ...(device ? { device } : {}), ...(onEvent ? { onEvent } : {}) };
    const remote = await prepareOnRemote(ctx, input);
    const run = remote.prepared;
    job?.setRun(run.id);
    if (!ctx.json) {
      printPrepared(ctx, run);
      ctx.print(`  on ${on}: ${run.meta.remote?.runDir} (${remote.sync.sent} file(s) sent, ${remote.sync.unchanged} unchanged; base model ${remote.model.path})`);
      ctx.print();
    }
    const result = await launchOnRemote(ctx, remote, input);
    display.finish();
    const remoteDoc = {
      ...trainDoc(run),
      remote: { name: on, runDir: run.meta.remote?.runDir, projectDir: run.meta.remote?.projectDir, model: { path: remote.model.path, source: remote.model.source }, sync: remote.sync, link: linkJson(remote.transport.stats) },
      outcome: result,
    };
    job?.done(remoteDoc, exitCodeFor(result));
    if (ctx.json) ctx.printJson(remoteDoc);
    else {
      printOutcome(ctx, result, run.paths.dir);
      printLink(ctx, on, remote.transport.stats);
      if (result.kind === 'succeeded') ctx.print(`Next: tack runs ${projectArg} show ${run.id}`);
    }
    return exitCodeFor(result);
  }
  const run = await prepareRun({
    project,
    manifest: prepared.manifest,
    env: ctx.env,
    dryRun: Boolean(values['dry-run']),
    signal: ctx.signal,
    ...(presetName ? { presetName } : {}),
    ...(gpuProfile ? { gpuProfile } : {}),
    ...(device ? { device } : {}),
  });
  const doc = { ...trainDoc(run), dryRun: Boolean(values['dry-run']) };
  if (!ctx.json) printPrepared(ctx, run);
  if (values['dry-run']) {
    if (ctx.json) ctx.printJson(doc);
    else {
      ctx.print();
      ctx.print(`Dry run: nothing was launched. The configs are in ${run.paths.configDir}.`);
      ctx.print(`Train here: tack train ${projectArg}   or on a rented GPU: tack export ${projectArg} --bundle ${path.basename(project.paths.root)}.zip`);
    }
    return EXIT_CODES.ok;
  }
  if (!ctx.json) ctx.print();
  job?.setRun(run.id);
  const outcome = await startRun(run, { project, projectArg, signal: ctx.signal, ...(onEvent ? { onEvent } : {}) });
  display.finish();
  job?.done({ ...doc, outcome }, exitCodeFor(outcome));
  if (ctx.json) ctx.printJson({ ...doc, outcome });
  else {
    printOutcome(ctx, outcome, run.paths.dir);
    if (outcome.kind === 'succeeded') ctx.print(`Next: tack runs ${projectArg} show ${run.id}`);
  }
  return exitCodeFor(outcome);
}
