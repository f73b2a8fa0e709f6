import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SD_SCRIPTS_SAMPLERS } from '../../project/index.js';
import { SD_SCRIPTS_ARGS, SD_SCRIPTS_ARGS_COMMIT } from './args-table.js';
import { PINNED_SD_SCRIPTS_COMMIT } from './locate.js';

const REFERENCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'sd-scripts-args.json');

interface RefArg {
  dest: string;
  option_strings: string[];
  type: string | null;
  default: unknown;
  default_effective: unknown;
  choices: unknown[] | null;
  action: string | null;
  nargs: string | null;
}

test('the argument table is exactly the engine argument list extracted at the pinned commit', () => {
  const ref = JSON.parse(readFileSync(REFERENCE, 'utf8')) as { commit: string; count: number; arguments: RefArg[] };
  assert.equal(SD_SCRIPTS_ARGS_COMMIT, ref.commit);
  assert.equal(PINNED_SD_SCRIPTS_COMMIT, ref.commit, 'engine install pins the commit the table comes from');
  assert.equal(SD_SCRIPTS_ARGS.length, ref.count);
  ref.arguments.forEach((a, i) => {
    const ours = SD_SCRIPTS_ARGS[i];
    assert.ok(ours, `argument ${a.dest} missing`);
    assert.deepEqual(
      { dest: ours.dest, flags: ours.flags, type: ours.type, default: ours.default, choices: ours.choices, action: ours.action, nargs: ours.nargs },
      { dest: a.dest, flags: a.option_strings, type: a.type, default: a.action === 'store_true' ? a.default_effective : a.default, choices: a.choices, action: a.action, nargs: a.nargs },
      `argument ${a.dest}`,
    );
  });
});

test('[samples] sampler accepts exactly the engine\'s --sample_sampler choices', () => {
  assert.deepEqual([...SD_SCRIPTS_SAMPLERS], SD_SCRIPTS_ARGS.find((a) => a.dest === 'sample_sampler')?.choices);
});

test('the documented-but-missing --text_encoder_lr1/2 are not engine arguments (P9)', () => {
  const dests = new Set(SD_SCRIPTS_ARGS.map((a) => a.dest));
  assert.ok(dests.has('text_encoder_lr'));
  assert.ok(!dests.has('text_encoder_lr1'));
  assert.ok(!dests.has('text_encoder_lr2'));
});
