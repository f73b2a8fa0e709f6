import { DEFAULT_STUDIO_PORT } from '../../studio/index.js';
import { cliErrors } from '../errors.js';
import type { CommandSpec } from '../command.js';
import { parseStudioArgs, serveStudio } from '../studio-boot.js';
import { studioRuntime } from '../studio-runtime.js';
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
    const argv = [...positionals, ...(values.port !== undefined ? ['--port', String(values.port)] : []), ...(values.host !== undefined ? ['--host', String(values.host)] : []), ...(values['no-open'] ? ['--no-open'] : [])];
    const args = parseStudioArgs(argv, ctx.cwd);
    if (!args) throw cliErrors.create('CLI_BAD_OPTION', `--port must be a whole number from 0 to 65535; got "${String(values.port)}".`, `Example: tack studio --port ${DEFAULT_STUDIO_PORT}`, { details: { option: 'port' } });
    await serveStudio(args, studioRuntime(ctx.env, ctx.cwd), TACK_VERSION, { print: (t) => ctx.print(t), warn: (t) => ctx.stderr.write(`${t}\n`) }, ctx.signal);
  },
};
