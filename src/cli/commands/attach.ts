import path from 'node:path';
import { loadProject } from '../../project/index.js';
import type { SupervisorEvent } from '../../run/index.js';
import { attachRemoteRun, findRemoteRun } from '../../remote/index.js';
import type { CommandSpec } from '../command.js';
import { exitCodeFor, printOutcome } from './train.js';
import { openAttachJob, type TrainJob } from './train-job.js';
import { TrainDisplay } from './train-display.js';
import { interruptMode, linkJson, printLink, remoteInterrupts } from './train-remote.js';

export const attachCommand: CommandSpec = {
  name: 'attach',
  summary: 'Follow a remote run again (after --detach, a dropped connection or a closed terminal) and bring its results home',
  usage: 'attach <project> [run-id] [--on-interrupt ask|stop|detach] [--json]',
  details: `Finds the project's remote run that is still going (or the one named), reconnects, and
continues exactly where this machine's copy stopped: the log from its last byte, the checkpoints
and samples not yet here. It shows the same live progress as tack train; when the run has ended
meanwhile, it brings everything home and writes the outcome. Ctrl-C asks whether to stop the
run there or to detach again. Examples:
  tack train my-lora --on pod --detach
  tack attach my-lora`,
  positionals: [
    { name: 'project', required: true, description: 'The project folder.' },
    { name: 'run-id', description: 'A run id (default: the newest remote run still going).' },
  ],
  options: {
    'on-interrupt': { type: 'string', value: '<ask|stop|detach>', description: 'What Ctrl-C does (default ask on a terminal, else stop).' },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const projectArg = positionals[0] as string;
    const project = await loadProject(path.resolve(ctx.cwd, projectArg), { tokenize: false });
    const record = await findRemoteRun(project, positionals[1]);
    const remote = record.meta.remote?.name as string;
    const job: TrainJob | undefined = openAttachJob(ctx, project, record.id);
    const display = new TrainDisplay(ctx.stderr);
    const shown = ctx.json && !ctx.stderr.isTTY ? undefined : display.handle;
    const onEvent = job ? (e: SupervisorEvent) => (job.onEvent(e), shown?.(e)) : shown;
    if (!ctx.json) ctx.print(`Attaching to run ${record.id} on ${remote} (${record.meta.remote?.runDir})`);
    const interrupts = remoteInterrupts(job ? { ...ctx, signal: job.signal } : ctx, interruptMode(values), remote, projectArg);
    try {
      const { result, transport } = await attachRemoteRun(record, {
        project,
        projectArg,
        env: ctx.env,
        signal: interrupts.stop,
        detachSignal: interrupts.detach,
        ...(onEvent ? { onEvent } : {}),
      });
      display.finish();
      const doc = { kind: 'attach', run: { id: record.id, dir: record.paths.dir }, remote: { name: remote, runDir: record.meta.remote?.runDir, link: linkJson(transport.stats) }, outcome: result };
      job?.done(doc, exitCodeFor(result));
      if (ctx.json) ctx.printJson(doc);
      else {
        printOutcome(ctx, result, record.paths.dir);
        printLink(ctx, remote, transport.stats);
      }
      return exitCodeFor(result);
    } catch (error) {
      job?.fail(error);
      throw error;
    } finally {
      interrupts.dispose();
    }
  },
};
