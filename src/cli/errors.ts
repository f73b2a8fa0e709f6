import { defineErrors } from '../core/index.js';

export const cliErrors = defineErrors({
  CLI_UNKNOWN_COMMAND: { category: 'usage', summary: 'the command name is not one of tack\'s commands' },
  CLI_UNKNOWN_OPTION: { category: 'usage', summary: 'an option is not known to the command' },
  CLI_BAD_OPTION: { category: 'usage', summary: 'an option has a value of the wrong kind or out of range' },
  CLI_MISSING_ARGUMENT: { category: 'usage', summary: 'a required argument or option is missing' },
  CLI_TOO_MANY_ARGUMENTS: { category: 'usage', summary: 'more arguments were given than the command takes' },
});
