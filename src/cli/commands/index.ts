import type { CommandSpec } from '../command.js';
import { errorsCommand } from './errors.js';
import { initCommand } from './init.js';

/** Every command, in the order `tack --help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [initCommand, errorsCommand];
