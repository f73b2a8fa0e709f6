import type { OptionSpec } from './command.js';

export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean', description: 'Print one JSON document on stdout (fields documented in docs/json.md).' },
  help: { type: 'boolean', short: 'h', description: 'Show help for the command.' },
};
