/**
 * tack preset import against real files saved by the kohya_ss GUI (test/fixtures/kohya_ss, with
 * their repository path, commit and licence): each is recognised for what it is, everything that
 * is not an SDXL networks.lora preset is refused with a code that names the kind, no key of the
 * GUI's own files is called "not a kohya_ss GUI key", and zeros are read as the GUI reads them.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { engineConfigFor, KOHYA_FIXTURES, readKohyaFixture } from '../../../test/helpers/kohya-preset.js';
import { isTackError } from '../../core/index.js';
import { argSpec } from './args-schema.js';
import { toNumber } from './kohya-gui-zero.js';
import { isKohyaGuiKey } from './kohya-gui-tabs.js';
import { importKohyaPreset, recogniseKohyaFile, type KohyaImportResult } from './kohya-import.js';

interface Refused {
  readonly file: string;
  readonly code: string;
  readonly training: string;
  readonly family: string;
  readonly words: RegExp;
}

const REFUSED: readonly Refused[] = [
  { file: 'TI-AdamW8bit-SDXL.json', code: 'PRESET_NOT_LORA', training: 'textual-inversion', family: 'sdxl', words: /is an SDXL Textual Inversion configuration \(token_string, init_word, num_vectors_per_token/ },
  { file: 'dreambooth-Prodigy-SDXL.json', code: 'PRESET_NOT_LORA', training: 'dreambooth', family: 'sdxl', words: /is an SDXL DreamBooth \(full model\) configuration \(learning_rate_te/ },
  { file: 'SDXL - AI_Now PagedAdamW8bit v1.0.json', code: 'PRESET_NOT_LORA', training: 'fine-tune', family: 'sdxl', words: /is an SDXL fine-tuning \(full model\) configuration \(.*dataset_repeats/ },
  { file: 'sd3_bdsqlsz_v1.json', code: 'PRESET_NOT_LORA', training: 'dreambooth', family: 'sd3', words: /is a Stable Diffusion 3 DreamBooth \(full model\) configuration/ },
  { file: 'flux1D - adamw8bit fp8.json', code: 'PRESET_OTHER_MODEL', training: 'lora', family: 'flux1', words: /is a Flux\.1 LoRA preset \(flux1_checkbox: true, LoRA_type: Flux1\): tack trains SDXL LoRAs .*not Flux\.1\./ },
  { file: 'locon-AdamW8bit.json', code: 'PRESET_OTHER_MODEL', training: 'lora', family: 'sd1', words: /is a Stable Diffusion 1\.x Kohya LoCon LoRA preset \(sdxl: false/ },
  { file: 'lion_optimizer.json', code: 'PRESET_OTHER_MODEL', training: 'lora', family: 'sd1', words: /Stable Diffusion 1\.x LoRA preset \(no sdxl key; model_list: runwayml\/stable-diffusion-v1-5\)/ },
  { file: 'SDXL - LoKR v1.0.json', code: 'PRESET_OTHER_NETWORK', training: 'lora', family: 'sdxl', words: /SDXL LyCORIS\/LoKr LoRA preset: LoRA_type "LyCORIS\/LoKr" trains with lycoris\.kohya/ },
  { file: 'meta-1_lat.json', code: 'PRESET_BAD_FILE', training: 'lora', family: 'unknown', words: /not a kohya_ss preset: none of its 8 keys is a setting of any kohya_ss GUI tab/ },
];

const IMPORTED = ['SDXL - LoRA AI_characters standard v1.1.json', 'locon-dadaptation-sdxl.json', 'SDXL - edgLoRAXL AI_Now.json', 'SDXL-Standard-Adafactor.json'];

async function imported(file: string): Promise<KohyaImportResult> {
  return importKohyaPreset(await readKohyaFixture(file), { name: 'x', file });
}

test('every fixture is listed here, so a new one gets an expectation', () => {
  const files = readdirSync(KOHYA_FIXTURES).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(files, [...REFUSED.map((r) => r.file), ...IMPORTED].sort());
});

test('files that are not SDXL networks.lora presets are refused with a code that names what they are', async () => {
  for (const r of REFUSED) {
    const json = await readKohyaFixture(r.file);
    const kind = recogniseKohyaFile(json);
    assert.deepEqual([kind.training, kind.family], [r.training, r.family], r.file);
    try {
      importKohyaPreset(json, { name: 'x', file: r.file });
      assert.fail(`${r.file} was imported`);
    } catch (error) {
      assert.ok(isTackError(error), String(error));
      assert.equal(error.code, r.code, `${r.file}: ${error.message}`);
      assert.match(error.message, r.words, r.file);
      assert.ok(error.message.startsWith(r.file), 'the message names the file');
      assert.doesNotMatch(error.message, r.family === 'flux1' ? /Stable Diffusion 1/ : /^$/, 'a Flux preset is not called SD 1.x');
      assert.ok(error.hint, 'says what to do');
    }
  }
});

test('every key of the GUI\'s own files is a known GUI key (of the LoRA tab or another tab/version)', async () => {
  for (const file of [...REFUSED.filter((r) => r.code !== 'PRESET_BAD_FILE').map((r) => r.file), ...IMPORTED]) {
    const unknown = Object.keys(await readKohyaFixture(file)).filter((k) => !isKohyaGuiKey(k));
    assert.deepEqual(unknown, [], file);
  }
  for (const file of IMPORTED) {
    const result = await imported(file);
    assert.deepEqual(result.changes.filter((c) => c.action === 'unknown').map((c) => c.key), [], `${file}: no "not a kohya_ss GUI key"`);
  }
  const old = await imported('SDXL - LoRA AI_characters standard v1.1.json');
  const note = (key: string) => old.changes.find((c) => c.key === key)?.note ?? '';
  assert.match(note('no_token_padding'), /a key of another GUI tab\/version: the DreamBooth and Textual Inversion tabs/);
  assert.match(note('stop_text_encoder_training_pct'), /a key of another GUI tab\/version: the GUI's training code/);
  assert.match(note('use_wandb'), /a key of another GUI tab\/version: older GUI versions/);
  assert.match(note('lora_network_weights'), /legacy name of network_weights/);
});

test('the SDXL LoRA fixtures import into settings the engine accepts, zeros read as the GUI reads them', async () => {
  for (const file of IMPORTED) {
    const json = await readKohyaFixture(file);
    const result = await imported(file);
    assert.deepEqual([result.recognised.training, result.recognised.family, result.recognised.network?.module], ['lora', 'sdxl', 'networks.lora'], file);
    const config = engineConfigFor(result.preset);
    assert.deepEqual(config.errors, [], `${file}: the engine accepts the configuration`);
    // A key the file holds at 0 is left out by the GUI, so the engine runs with its default;
    // tack writes it as 0 only where 0 is that default (keep_tokens), never in extra_args.
    for (const [key, value] of Object.entries(json)) {
      if (toNumber(value) !== 0) continue;
      if (new RegExp(`^${key} = 0(\\.0)?$`, 'm').test(`${config.argsToml}\n${config.datasetToml}`)) assert.equal(argSpec(key)?.default, 0, `${file}: ${key} = 0 is written`);
      assert.ok(!(result.preset.values.extra_args ?? []).some((a) => a === `${key}=0`), `${file}: extra_args ${key}=0`);
    }
  }
});

test('bucket_reso_steps 1 is corrected to a multiple of 32 for SDXL at import, with a finding', async () => {
  const result = await imported('locon-dadaptation-sdxl.json');
  assert.equal(result.preset.planHints?.bucket_reso_steps, 32);
  const f = result.findings.find((x) => x.code === 'PRESET_BUCKET_STEPS');
  assert.equal(f?.severity, 'warning');
  assert.match(f?.message ?? '', /bucket_reso_steps = 1: SDXL bucket sides must be multiples of 32/);
  assert.equal(result.changes.find((c) => c.key === 'bucket_reso_steps')?.result, '[buckets] bucket_reso_steps = 32');
  for (const [steps, hint] of [[64, 64], [32, 32], [48, 64], [256, 256]] as const) {
    const r = importKohyaPreset({ sdxl: true, LoRA_type: 'Standard', bucket_reso_steps: steps }, { name: 'x', file: 'x.json' });
    assert.equal(r.preset.planHints?.bucket_reso_steps, hint, `${steps}`);
    assert.equal(r.findings.some((x) => x.code === 'PRESET_BUCKET_STEPS'), steps !== hint);
  }
});

test('a flag in additional_parameters that has its own tack setting becomes that setting (edgLoRAXL: --max_grad_norm=1)', async () => {
  const result = await imported('SDXL - edgLoRAXL AI_Now.json');
  assert.equal(result.preset.values.max_grad_norm, 1);
  assert.ok(!(result.preset.values.extra_args ?? []).some((a) => a.startsWith('max_grad_norm=')));
  assert.equal(result.preset.values.min_snr_gamma, 0, 'min_snr_gamma 0 is off');
  assert.equal(result.preset.values.noise_offset, 0.0357);
});
