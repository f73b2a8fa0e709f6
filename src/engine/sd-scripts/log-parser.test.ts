import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EngineLogParser, findEngineError, parseEngineLog, type EngineEvent } from './log-parser.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/sd-scripts');
const RUN_LOG = readFileSync(path.join(FIXTURES, 'run.log'), 'utf8');

function of<K extends EngineEvent['kind']>(events: EngineEvent[], kind: K): Array<Extract<EngineEvent, { kind: K }>> {
  return events.filter((e): e is Extract<EngineEvent, { kind: K }> => e.kind === kind);
}

test('the genuine engine log: steps, total, epochs, losses, checkpoints, samples, end', () => {
  const events = parseEngineLog(RUN_LOG);
  const progress = of(events, 'progress');
  assert.deepEqual([...new Set(progress.map((p) => p.step))], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.ok(progress.every((p) => p.totalSteps === 12));
  // The loss after each step, as the bar showed it (tqdm prints 3 significant digits).
  const lossAfter = new Map<number, number | null>();
  for (const p of progress) lossAfter.set(p.step, p.loss);
  assert.deepEqual([1, 2, 3, 6, 7, 12].map((s) => lossAfter.get(s)), [1.13, 1.1, 1.08, 1.08, 1.07, 1.06]);
  const step1 = progress.find((p) => p.step === 1) as (typeof progress)[number];
  assert.equal(step1.elapsedSec, 61);
  assert.equal(step1.remainingSec, 11 * 60 + 13);
  assert.ok(Math.abs((step1.itPerSec as number) - 1 / 61.27) < 1e-9, '61.27s/it is 0.0163 it/s');
  assert.deepEqual(of(events, 'epoch').map((e) => [e.epoch, e.totalEpochs]), [[1, 2], [2, 2]]);
  assert.deepEqual(of(events, 'checkpoint-saving').map((e) => e.file), ['out/test_lora-000001.safetensors', 'out/test_lora.safetensors']);
  assert.deepEqual(of(events, 'sampling').map((e) => e.step), [6, 12]);
  assert.equal(of(events, 'model-saved').length, 1);
  const plan = Object.assign({}, ...of(events, 'plan').map(({ kind: _k, ...rest }) => rest));
  assert.deepEqual(plan, { totalSteps: 12, epochs: 2, batchesPerEpoch: 6, imagesWithRepeats: 6 });
  assert.equal(of(events, 'failure').length, 0, 'a successful run has no failure');
  assert.deepEqual(of(events, 'warning').map((w) => w.code), ['ENGINE_LOG_CLIP_SKIP'], 'the run passed --clip_skip 2 and the engine warned');
  const phases = of(events, 'phase').map((p) => p.phase);
  for (const phase of ['loading-model', 'caching-latents', 'caching-text-encoder', 'training', 'sampling', 'saving', 'done'] as const) assert.ok(phases.includes(phase), phase);
  const latents = of(events, 'phase-progress').filter((p) => p.phase === 'caching-latents');
  assert.deepEqual(latents.at(-1), { kind: 'phase-progress', phase: 'caching-latents', done: 6, total: 6 });
});

test('the folder-convention log (one step) parses too', () => {
  const events = parseEngineLog(readFileSync(path.join(FIXTURES, 'run_folder_convention.log'), 'utf8'));
  const last = of(events, 'progress').at(-1);
  assert.equal(last?.step, 1);
  assert.equal(last?.totalSteps, 1);
  assert.deepEqual(of(events, 'checkpoint-saving').map((e) => path.basename(e.file)), ['test_lora_folder.safetensors']);
  assert.equal(of(events, 'failure').length, 0);
});

test('chunks split anywhere (even inside a UTF-8 line) give the same events as the whole log', () => {
  const whole = parseEngineLog(RUN_LOG);
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const events: EngineEvent[] = [];
  const parser = new EngineLogParser((e) => events.push(e));
  for (let i = 0; i < RUN_LOG.length; ) {
    const n = 1 + Math.floor(rand() * 40);
    parser.push(RUN_LOG.slice(i, i + n));
    i += n;
  }
  parser.end();
  assert.deepEqual(events, whole);
});

test('known failures are recognised, in rich and in plain log form', () => {
  const cases: Array<[string, string, string]> = [
    [
      'Traceback (most recent call last):\n  File "sdxl_train_network.py", line 234, in <module>\n    trainer.train(args)\ntorch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 11.76 GiB total capacity)\n',
      'out-of-memory',
      'CUDA out of memory',
    ],
    ['usage: sdxl_train_network.py [-h] ...\nsdxl_train_network.py: error: unrecognized arguments: --text_encoder_lr1 1e-5\n', 'bad-arguments', 'unrecognized arguments: --text_encoder_lr1 1e-5'],
    ['Traceback (most recent call last):\nAssertionError: network for Text Encoder cannot be trained with caching Text Encoder outputs / Text Encoderの出力\n', 'assertion', 'network for Text Encoder cannot be trained'],
    [
      '2026-11-26 18:04:16 ERROR    No data found. Please verify     train_network.py:577\n                             arguments (train_data_dir must be                  \n                             the parent of folders with                         \n                             images)                                            \n',
      'no-data',
      'No data found. Please verify arguments (train_data_dir must be the parent of folders with images)',
    ],
    ['No data found. Please verify arguments (train_data_dir must be the parent of folders with images)\n', 'no-data', 'No data found'],
    ['Invalid user config / ユーザ設定の形式が正しくないようです\nvoluptuous.error.MultipleInvalid: extra keys not allowed @ data[\'datasets\'][0][\'subsets\'][0][\'caption_separatr\']\n', 'dataset-config', 'Invalid user config'],
    ['model is not found as a file or in Hugging Face, perhaps file name is wrong? / x: /models/none.safetensors\n', 'model-not-found', 'model is not found'],
    ['RuntimeError: NaN detected in latents: /data/img01.jpg\n', 'nan-latents', 'NaN detected in latents'],
    ['ValueError: fp16 mixed precision requires a GPU (not \'mps\').\n', 'device-unsupported', 'requires a GPU'],
    ["ModuleNotFoundError: No module named 'bitsandbytes'\n", 'missing-module', 'bitsandbytes'],
  ];
  for (const [text, failure, words] of cases) {
    const found = of(parseEngineLog(text), 'failure');
    assert.equal(found[0]?.failure, failure, `${failure} in ${JSON.stringify(text.slice(0, 60))}`);
    assert.ok(found[0]?.message.includes(words), `${failure}: message "${found[0]?.message}" should contain "${words}"`);
  }
});

test('a NaN average loss is reported once, at the step it appears', () => {
  const text = ['steps:  10%|█         | 1/10 [00:01<00:09,  1.00it/s, avr_loss=0.1]', 'steps:  20%|██        | 2/10 [00:02<00:08,  1.00it/s, avr_loss=nan]', 'steps:  30%|███       | 3/10 [00:03<00:07,  1.00it/s, avr_loss=nan]'].join('\r');
  const events = parseEngineLog(text);
  const failures = of(events, 'failure');
  assert.deepEqual(failures.map((f) => f.failure), ['nan-loss']);
  assert.ok(failures[0]?.message.includes('step 2'));
  assert.ok(Number.isNaN(of(events, 'progress')[1]?.loss));
});

test('a caption extension mismatch in the log becomes a warning (P3)', () => {
  const events = parseEngineLog('No caption file found for 758 images. Training will continue without captions for these images. If class token exists, it will be used.\n');
  assert.deepEqual(of(events, 'warning').map((w) => w.code), ['ENGINE_LOG_NO_CAPTIONS']);
});

test('the script exception explains a crash, not the CalledProcessError accelerate raises after it', () => {
  const parser = new EngineLogParser(() => undefined);
  parser.push("Traceback (most recent call last):\nRuntimeError: Expected all tensors to be on the same device\nTraceback (most recent call last):\nsubprocess.CalledProcessError: Command '['python', 'sdxl_train_network.py']' returned non-zero exit status 1.\n");
  parser.end();
  assert.equal(parser.lastError, 'RuntimeError: Expected all tensors to be on the same device');
});

test('the parser keeps the last lines for reports and the last exception', () => {
  const parser = new EngineLogParser(() => undefined);
  parser.push('line one\nline two\nTraceback (most recent call last):\nKeyError: \'ss_x\'\n');
  parser.end();
  assert.equal(parser.lastError, "KeyError: 'ss_x'");
  assert.deepEqual(parser.recent.slice(-2), ['Traceback (most recent call last):', "KeyError: 'ss_x'"]);
});

test('a tqdm bar is read as soon as it is drawn, not one redraw later, and never twice', () => {
  const steps: number[] = [];
  const parser = new EngineLogParser((e) => (e.kind === 'progress' ? steps.push(e.step) : undefined));
  // How the engine's stderr arrives: each redraw starts with \r and has no line end.
  parser.push('running training\n');
  parser.peek('steps:   0%|          | 0/4 [00:00<?, ?it/s]');
  assert.deepEqual(steps, [0], 'the first bar, before any redraw');
  parser.push('steps:   0%|          | 0/4 [00:00<?, ?it/s]\r');
  parser.peek('steps:  25%|██▌       | 1/4 [01:03<03:09, 63.00s/it]');
  parser.peek('steps:  25%|██▌       | 1/4 [01:03<03:09, 63.00s/it]');
  assert.deepEqual(steps, [0, 1], 'step 1 a whole step before step 2 ends its line');
  parser.push('steps:  25%|██▌       | 1/4 [01:03<03:09, 63.00s/it]\rsteps:  50%|█████     | 2/4 [02:06<02:06, 63.00s/it, avr_loss=1.05]\r');
  parser.end();
  assert.deepEqual(steps, [0, 1, 2]);
});

test("the engine's error: the last exception of a chained traceback, else its last ERROR record", () => {
  const chained = new EngineLogParser(() => undefined);
  chained.push(
    [
      'Traceback (most recent call last):',
      '  File "library/train_util.py", line 4892, in get_optimizer',
      '    import bitsandbytes as bnb',
      "ModuleNotFoundError: No module named 'bitsandbytes'",
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      'ImportError: No bitsandbytes / bitsandbytesがインストールされていないようです',
      'Traceback (most recent call last):',
      "subprocess.CalledProcessError: Command '['/usr/bin/python3', 'sdxl_train_network.py']' returned non-zero exit status 1.",
      '',
    ].join('\n'),
  );
  chained.end();
  assert.equal(chained.engineError, 'ImportError: No bitsandbytes / bitsandbytesがインストールされていないようです');
  const logged = new EngineLogParser(() => undefined);
  logged.push('2026-02-16 10:00:00 ERROR    model is not found as a file or in Hugging Face, perhaps  sdxl_train_util.py:100\n                             file name is wrong?\nsome other line\n');
  logged.end();
  assert.equal(logged.engineError, 'model is not found as a file or in Hugging Face, perhaps file name is wrong?');
  assert.equal(findEngineError('all fine\n'), undefined);
});

test('what a device cannot do is recognised: fp16 on the CPU, sdpa before torch 2, mixed precision on MPS', () => {
  for (const line of [
    `RuntimeError: "LayerNormKernelImpl" not implemented for 'Half'`,
    "AttributeError: module 'torch.nn.functional' has no attribute 'scaled_dot_product_attention'",
    "ValueError: fp16 mixed precision requires a GPU (not 'mps').",
    'ValueError: bf16 mixed precision requires PyTorch >= 1.10 and a supported device.',
  ]) {
    const failures = of(parseEngineLog(`Traceback (most recent call last):\n${line}\n`), 'failure');
    assert.deepEqual(failures.map((f) => f.failure), ['device-unsupported'], line);
  }
});
