/** What Ctrl-C means for a remote run: asked on a terminal (s or d), decided by --on-interrupt otherwise. */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { memoryOutput } from '../output.js';
import { remoteInterrupts, type KeyInput } from './train-remote.js';

function terminal(): KeyInput & { press(key: string): void; raw: boolean[] } {
  const events = new EventEmitter();
  const raw: boolean[] = [];
  return {
    isTTY: true,
    raw,
    setRawMode: (on: boolean) => raw.push(on),
    resume: () => undefined,
    pause: () => undefined,
    on: (event, listener) => events.on(event, listener),
    removeListener: (event, listener) => events.removeListener(event, listener),
    press: (key) => void events.emit('data', Buffer.from(key)),
  };
}

test('on a terminal Ctrl-C asks: d detaches, s stops, other keys are ignored', () => {
  for (const [key, expect] of [['d', 'detach'], ['S', 'stop']] as const) {
    const ctrlC = new AbortController();
    const stderr = memoryOutput(true);
    const keys = terminal();
    const interrupts = remoteInterrupts({ signal: ctrlC.signal, stderr }, 'ask', 'pod', 'my-lora', keys);
    ctrlC.abort();
    assert.match(stderr.text(), /The run goes on on pod while you choose: \[s\] stop it there, \[d\] detach \(tack attach my-lora follows it again\)\?/);
    keys.press('x');
    assert.equal(interrupts.stop.aborted || interrupts.detach.aborted, false, 'another key does nothing');
    keys.press(key);
    assert.equal(interrupts.detach.aborted, expect === 'detach');
    assert.equal(interrupts.stop.aborted, expect === 'stop');
    assert.deepEqual(keys.raw, [true, false], 'the terminal is put back');
  }
});

test('without a terminal, or with --on-interrupt, Ctrl-C does what it says without asking', () => {
  const cases = [
    ['ask', false, 'stop'],
    ['detach', true, 'detach'],
    ['stop', true, 'stop'],
  ] as const;
  for (const [mode, tty, expect] of cases) {
    const ctrlC = new AbortController();
    const stderr = memoryOutput();
    const keys = { ...terminal(), isTTY: tty };
    const interrupts = remoteInterrupts({ signal: ctrlC.signal, stderr }, mode, 'pod', 'p', keys);
    assert.equal(interrupts.stop.aborted || interrupts.detach.aborted, false, 'nothing before Ctrl-C');
    ctrlC.abort();
    assert.equal(interrupts.stop.aborted, expect === 'stop', `${mode}, tty ${tty}`);
    assert.equal(interrupts.detach.aborted, expect === 'detach', `${mode}, tty ${tty}`);
    assert.equal(stderr.text(), '', 'no question asked');
  }
});
