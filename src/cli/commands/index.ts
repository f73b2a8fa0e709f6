import type { CommandSpec } from '../command.js';
import { addCommand } from './add.js';
import { demoCommand } from './demo.js';
import { doctorCommand } from './doctor.js';
import { errorsCommand } from './errors.js';
import { initCommand } from './init.js';
import { planCommand } from './plan.js';
import { prepareCommand } from './prepare.js';
import { removeCommand } from './remove.js';

/** Every command, in the order `tack --help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [initCommand, addCommand, removeCommand, doctorCommand, planCommand, prepareCommand, demoCommand, errorsCommand];
