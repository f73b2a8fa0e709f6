import path from 'node:path';
import { sleep } from '../../core/index.js';
import { spawnDetached } from '../../io/index.js';
import { DEFAULT_STUDIO_PORT, startStudio, type RunDocument } from '../../studio/index.js';
import { numberOption, stringOption, type CommandSpec } from '../command.js';
import { checkJobInputs, withJsonFlag } from '../job-commands.js';
import { workerLauncher } from '../jobs-runtime.js';
import { memoryOutput } from '../output.js';
import { TACK_VERSION } from '../version.js';

export const studioCommand: CommandSpec = {
  name: 'studio',
  summary: 'The whole job in the browser: photos, captions, plan, training with live likeness, evaluation',
  usage: 'studio [folder...] [--port <n>] [--host <address>] [--no-open]',
  details: `Serves tack's studio on http://127.0.0.1:${DEFAULT_STUDIO_PORT}/ and opens it in your browser. It lists the
projects in the folders given (and their subfolders) and the ones opened before. Everything the
studio does is a tack command or a job (tack jobs lists them): closing the browser or stopping
the studio (Ctrl-C) stops no training, and a restarted studio finds every job again.
Only this computer can reach it (127.0.0.1) unless --host is given, and every page needs the
token in the printed link (then a cookie). Examples:
  tack studio
  tack studio ~/loras --port 7871 --no-open`,
  positionals: [{ name: 'folders', variadic: true, description: 'Folders with projects (default: the current folder).' }],
  options: {
    port: { type: 'string', value: '<n>', description: `Port to listen on (default ${DEFAULT_STUDIO_PORT}; 0 picks a free one).` },
    host: { type: 'string', value: '<address>', description: 'Address to listen on (default 127.0.0.1). Another address lets other machines reach the studio.' },
    'no-open': { type: 'boolean', description: 'Print the link but do not open a browser.' },
  },
  async run(ctx, { values, positionals }) {
    const { runCli } = await import('../main.js');
    const roots = (positionals.length ? positionals : ['.']).map((p) => path.resolve(ctx.cwd, p));
    const port = numberOption(values, 'port', { integer: true, min: 0, max: 65535 }) ?? DEFAULT_STUDIO_PORT;
    const host = stringOption(values, 'host') ?? '127.0.0.1';
    // The studio's documents are the CLI's: each is the command itself, run here with --json.
    const runDocument: RunDocument = async (argv, options = {}) => {
      const stdout = memoryOutput();
      const exitCode = await runCli(withJsonFlag(argv), { cwd: ctx.cwd, env: ctx.env, stdout, stderr: memoryOutput(), signal: options.signal ?? new AbortController().signal });
      const text = stdout.text().trim();
      return { exitCode, document: text ? (JSON.parse(text) as unknown) : null };
    };
    const studio = await startStudio({
      roots,
      port,
      host,
      env: ctx.env,
      runDocument,
      launch: workerLauncher(ctx.env, ctx.cwd),
      checkInputs: (spec) => void checkJobInputs(spec.kind, spec.project, spec.inputs),
      version: TACK_VERSION,
    });
    if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
      ctx.stderr.write(`warning: the studio listens on ${host}: other machines that can reach this address can use it (with the token). Use it only on a network you trust.\n`);
    }
    ctx.print(`tack studio ${TACK_VERSION}: ${studio.url}`);
    ctx.print(`Projects from ${roots.join(', ')}. Jobs keep running when you close this; Ctrl-C stops the studio.`);
    if (!values['no-open']) {
      const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
      spawnDetached(opener, [studio.url]);
    }
    while (!ctx.signal.aborted) await sleep(3_600_000, ctx.signal);
    await studio.close();
    ctx.stderr.write('tack studio stopped (running jobs go on: tack jobs).\n');
  },
};
