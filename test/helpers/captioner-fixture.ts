/**
 * A tiny vision-encoder-decoder captioner in the transformers.js layout (config.json,
 * preprocessor_config.json, tokenizer files, onnx/encoder_model.onnx,
 * onnx/decoder_model_merged.onnx). The encoder outputs the mean of the normalised pixels; the
 * decoder is a bigram table over 7 words that always says "a woman smiling", then "outdoors"
 * for a bright photo and "indoors" for a dark one, then ends.
 */
import type { FakeHubFile } from './fake-hub.js';
import { OnnxModelBuilder } from './onnx.js';

const VOCAB = ['<s>', '</s>', 'a', 'woman', 'smiling', 'outdoors', 'indoors'];

function encoderModel(): Uint8Array {
  const m = new OnnxModelBuilder();
  const x = m.input('pixel_values', 'float32', ['batch_size', 3, 16, 16]);
  const mean = m.reduceMean(x, [1, 2, 3], true);
  const shaped = m.node('Reshape', [mean, m.constInt64([-1, 1, 1])]);
  m.output(shaped, 'float32', ['batch_size', 1, 1], 'last_hidden_state');
  return m.toBytes();
}

function decoderModel(): Uint8Array {
  const n = VOCAB.length;
  const table = new Float32Array(n * n);
  const next = (from: string, to: string, logit = 10) => {
    table[VOCAB.indexOf(from) * n + VOCAB.indexOf(to)] = logit;
  };
  next('<s>', 'a');
  next('a', 'woman');
  next('woman', 'smiling');
  next('smiling', 'outdoors', 5);
  next('smiling', 'indoors', 5);
  next('outdoors', '</s>');
  next('indoors', '</s>');
  const brightness = new Float32Array(n);
  brightness[VOCAB.indexOf('outdoors')] = 4;
  brightness[VOCAB.indexOf('indoors')] = -4;
  const m = new OnnxModelBuilder();
  const ids = m.input('input_ids', 'int64', ['batch_size', 'decoder_sequence_length']);
  const enc = m.input('encoder_hidden_states', 'float32', ['batch_size', 'encoder_sequence_length', 1]);
  const rows = m.node('Gather', [m.constFloat(table, [n, n]), ids], undefined, { axis: 0 });
  const shift = m.node('Mul', [enc, m.constFloat(brightness, [n])]);
  m.output(m.node('Add', [rows, shift]), 'float32', ['batch_size', 'decoder_sequence_length', n], 'logits');
  return m.toBytes();
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value, null, 2));

export function tinyCaptionerFiles(): FakeHubFile[] {
  const vocab = Object.fromEntries(VOCAB.map((w, i) => [w, i]));
  return [
    {
      path: 'config.json',
      content: json({
        model_type: 'vision-encoder-decoder',
        architectures: ['VisionEncoderDecoderModel'],
        is_encoder_decoder: true,
        encoder: { model_type: 'vit', hidden_size: 1, image_size: 16, patch_size: 16, num_channels: 3 },
        decoder: { model_type: 'gpt2', n_embd: 1, n_head: 1, n_layer: 1, vocab_size: VOCAB.length, bos_token_id: 0, eos_token_id: 1, add_cross_attention: true },
        decoder_start_token_id: 0,
        bos_token_id: 0,
        eos_token_id: 1,
        pad_token_id: 1,
      }),
    },
    {
      path: 'generation_config.json',
      content: json({ decoder_start_token_id: 0, bos_token_id: 0, eos_token_id: 1, pad_token_id: 1, max_length: 12 }),
    },
    {
      path: 'preprocessor_config.json',
      content: json({
        image_processor_type: 'ViTImageProcessor',
        do_resize: true,
        size: { height: 16, width: 16 },
        resample: 2,
        do_rescale: true,
        rescale_factor: 1 / 255,
        do_normalize: true,
        image_mean: [0.5, 0.5, 0.5],
        image_std: [0.5, 0.5, 0.5],
      }),
    },
    {
      path: 'tokenizer.json',
      content: json({
        version: '1.0',
        truncation: null,
        padding: null,
        added_tokens: [
          { id: 0, content: '<s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
          { id: 1, content: '</s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
        ],
        normalizer: null,
        pre_tokenizer: { type: 'Whitespace' },
        post_processor: null,
        decoder: null,
        model: { type: 'WordLevel', vocab, unk_token: '</s>' },
      }),
    },
    {
      path: 'tokenizer_config.json',
      content: json({ tokenizer_class: 'PreTrainedTokenizer', bos_token: '<s>', eos_token: '</s>', pad_token: '</s>', unk_token: '</s>' }),
    },
    { path: 'onnx/encoder_model.onnx', content: encoderModel(), lfs: true },
    { path: 'onnx/decoder_model_merged.onnx', content: decoderModel(), lfs: true },
  ];
}
