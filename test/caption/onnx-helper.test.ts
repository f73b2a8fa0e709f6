/** The ONNX writer used by the tagger tests and the benchmark builds models the runtime computes as expected. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openOnnxSession } from '../../src/io/onnx-session.js';
import { tempDir } from '../helpers/cli.js';
import { OnnxModelBuilder, seededRandom, writeTaggerModel } from '../helpers/onnx.js';

test('a conv + relu + pool + linear model computes what a direct JavaScript evaluation gives', async () => {
  const { dir, cleanup } = await tempDir('tack-onnx-');
  try {
    const rng = seededRandom(11);
    const [cin, cout, k, size, classes] = [2, 3, 3, 5, 4];
    const w = Float32Array.from({ length: cout * cin * k * k }, () => rng() - 0.5);
    const bias = Float32Array.from({ length: cout }, () => rng() - 0.5);
    const lw = Float32Array.from({ length: cout * classes }, () => rng() - 0.5);
    const lb = Float32Array.from({ length: classes }, () => rng() - 0.5);
    const m = new OnnxModelBuilder();
    const x = m.input('x', 'float32', ['N', cin, size, size]);
    const y = m.relu(m.conv(x, { inChannels: cin, outChannels: cout, kernel: k, pad: 1, weights: w, bias }, size));
    m.output(m.linear(m.flatten(m.globalAveragePool(y)), cout, classes, { weights: lw, bias: lb }), 'float32', ['N', classes], 'logits');
    assert.equal(m.macs, size * size * cout * cin * k * k + cout * classes);
    const file = `${dir}/model.onnx`;
    await m.write(file);
    const input = Float32Array.from({ length: cin * size * size }, () => rng() * 2 - 1);
    const session = await openOnnxSession(file, { threads: 1 });
    assert.deepEqual(session.inputs[0]?.shape, ['N', cin, size, size]);
    const out = (await session.run({ x: { data: input, dims: [1, cin, size, size] } })).logits?.data as Float32Array;
    await session.close();
    // Direct evaluation: same-padded 3x3 convolution, ReLU, global mean, then the linear layer.
    const pooled = new Float64Array(cout);
    for (let o = 0; o < cout; o++) {
      for (let yy = 0; yy < size; yy++) {
        for (let xx = 0; xx < size; xx++) {
          let v = bias[o] as number;
          for (let c = 0; c < cin; c++)
            for (let dy = 0; dy < k; dy++)
              for (let dx = 0; dx < k; dx++) {
                const sy = yy + dy - 1;
                const sx = xx + dx - 1;
                if (sy >= 0 && sy < size && sx >= 0 && sx < size) v += (w[((o * cin + c) * k + dy) * k + dx] as number) * (input[(c * size + sy) * size + sx] as number);
              }
          pooled[o] = (pooled[o] as number) + Math.max(0, v) / (size * size);
        }
      }
    }
    for (let j = 0; j < classes; j++) {
      let v = lb[j] as number;
      for (let o = 0; o < cout; o++) v += (pooled[o] as number) * (lw[o * classes + j] as number);
      assert.ok(Math.abs((out[j] as number) - v) < 1e-5, `logit ${j}: ${out[j]} vs ${v}`);
    }
  } finally {
    await cleanup();
  }
});

test('tagger-shaped models have the WD14 names and shapes and a fixed batch when asked', async () => {
  const { dir, cleanup } = await tempDir('tack-onnx-');
  try {
    await writeTaggerModel(`${dir}/t.onnx`, { size: 32, tagCount: 7, batch: 1 });
    const session = await openOnnxSession(`${dir}/t.onnx`);
    assert.deepEqual(session.inputs, [{ name: 'input_1:0', type: 'float32', shape: [1, 32, 32, 3] }]);
    assert.deepEqual(session.outputs, [{ name: 'predictions_sigmoid', type: 'float32', shape: [1, 7] }]);
    await session.close();
  } finally {
    await cleanup();
  }
});
