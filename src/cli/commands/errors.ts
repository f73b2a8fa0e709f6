import type { CommandSpec } from '../command.js';
import { allErrorCodes } from '../error-table.js';
import { EXIT_CODES } from '../exit-codes.js';

export const errorsCommand: CommandSpec = {
  name: 'errors',
  summary: 'List every error code with its exit code and meaning',
  usage: 'errors [--json]',
  json: true,
  async run(ctx) {
    const rows = allErrorCodes().map((e) => ({ code: e.code, category: e.category, exitCode: EXIT_CODES[e.category], summary: e.summary }));
    if (ctx.json) {
      ctx.printJson({ kind: 'errors', exitCodes: EXIT_CODES, errors: rows });
      return;
    }
    ctx.print('Exit codes: ' + Object.entries(EXIT_CODES).map(([k, v]) => `${v} ${k}`).join(', '));
    ctx.print();
    const width = Math.max(...rows.map((r) => r.code.length));
    for (const r of rows) ctx.print(`${r.code.padEnd(width)}  ${String(r.exitCode).padStart(3)}  ${r.summary}`);
  },
};
