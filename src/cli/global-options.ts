import type { OptionSpec } from './command.js';

export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean', description: 'Print one JSON document on stdout (its fields are documented in docs/).' },
  help: { type: 'boolean', short: 'h', description: 'Show help for the command.' },
};
