export { runCli, main, findCommand, type RunCliOptions } from './main.js';
export { EXIT_CODES } from './exit-codes.js';
export { memoryOutput } from './output.js';
