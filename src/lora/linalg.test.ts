import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyQ, chooseRank, factorSvd, householderQr, jacobiSvd, seededRandom } from './index.js';

function randomMatrix(n: number, seed: number): Float64Array {
  const rnd = seededRandom(seed);
  return Float64Array.from({ length: n }, () => rnd.normal());
}

/** Dense W = up · down, column-major. */
function product(up: Float64Array, down: Float64Array, out: number, n: number, r: number): Float64Array {
  const w = new Float64Array(out * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < out; i++) {
    let s = 0;
    for (let t = 0; t < r; t++) s += (up[i * r + t] as number) * (down[t * n + j] as number);
    w[j * out + i] = s;
  }
  return w;
}

test('Householder QR: Q·R reproduces the matrix and Q has orthonormal columns', () => {
  const m = 50;
  const k = 7;
  const a = randomMatrix(m * k, 1);
  const qr = householderQr(Float64Array.from(a), m, k);
  const identity = new Float64Array(k * k);
  for (let i = 0; i < k; i++) identity[i * k + i] = 1;
  const q = applyQ(qr, identity, k);
  const qr2 = applyQ(qr, qr.r, k);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs((qr2[i] as number) - (a[i] as number)) < 1e-12);
  for (let x = 0; x < k; x++) for (let y = 0; y < k; y++) {
    let dot = 0;
    for (let i = 0; i < m; i++) dot += (q[x * m + i] as number) * (q[y * m + i] as number);
    assert.ok(Math.abs(dot - (x === y ? 1 : 0)) < 1e-12);
  }
});

test('Jacobi SVD recovers known singular values and reconstructs the matrix', () => {
  // A = U diag(5, 3, 1, 0) Vᵀ built from rotations: singular values known exactly.
  const c = Math.cos(0.3);
  const s = Math.sin(0.3);
  const u = [c, s, 0, 0, -s, c, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]; // column-major
  const sv = [5, 3, 1, 0];
  const a = new Float64Array(16);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) a[j * 4 + i] = (u[j * 4 + i] as number) * (sv[j] as number); // V = I
  const svd = jacobiSvd(a, 4, 4);
  assert.deepEqual([...svd.s].map((x) => Number(x.toFixed(12))), sv);
});

test('factored SVD gives the same singular values and best rank-k approximation as a dense SVD', () => {
  const cases: Array<[number, number, number]> = [[24, 40, 6], [40, 24, 6], [64, 9 * 8, 5], [5, 30, 8]];
  for (const [out, n, r] of cases) {
    const up = randomMatrix(out * r, out);
    const down = randomMatrix(r * n, n + 1);
    const w = product(up, down, out, n, r);
    const tall = out >= n;
    const wt = new Float64Array(out * n);
    for (let i = 0; i < out; i++) for (let j = 0; j < n; j++) wt[i * n + j] = w[j * out + i] as number;
    const dense = tall ? jacobiSvd(w, out, n) : jacobiSvd(wt, n, out);
    const f = factorSvd(up, down, out, n, r);
    const count = Math.min(r, out, n);
    for (let i = 0; i < count; i++) assert.ok(Math.abs((f.s[i] as number) - (dense.s[i] as number)) < 1e-9 * (dense.s[0] as number), `singular value ${i} of ${out}x${n} r${r}`);
    for (const k of [1, 3]) {
      const { up: u2, down: d2 } = f.factors(k);
      const approx = product(u2, d2, out, n, k);
      let err = 0;
      for (let i = 0; i < w.length; i++) err += ((approx[i] as number) - (w[i] as number)) ** 2;
      let best = 0;
      for (let i = k; i < dense.s.length; i++) best += (dense.s[i] as number) ** 2;
      // Eckart-Young: the error of the best rank-k approximation is the tail of the spectrum.
      assert.ok(Math.abs(Math.sqrt(err) - Math.sqrt(best)) < 1e-9 * (dense.s[0] as number), `rank-${k} error ${Math.sqrt(err)} vs optimal ${Math.sqrt(best)}`);
    }
  }
});

test('rank choice follows the engine: fixed, zero matrix, ratio, fro, cumulative, capped', () => {
  const s = Float64Array.from([10, 5, 2, 1]);
  assert.equal(chooseRank(s, 100, 3).rank, 3);
  assert.equal(chooseRank(Float64Array.from([1e-7, 0]), 100, 3).rank, 1);
  // sv_ratio 4: values > 2.5 are 10 and 5 -> the pinned engine keeps count + 1 = 3
  assert.equal(chooseRank(s, 100, 32, { method: 'ratio', param: 4 }).rank, 3);
  // sv_cumulative 0.8: cumulative shares .556 .833 -> first >= .8 is index 1 -> rank 2
  assert.equal(chooseRank(s, 100, 32, { method: 'cumulative', param: 0.8 }).rank, 2);
  // sv_fro 0.99: squared shares .1/.13: 100/130=.769, 125/130=.9615, 129/130=.992 >= .9801 -> rank 3
  assert.equal(chooseRank(s, 100, 32, { method: 'fro', param: 0.99 }).rank, 3);
  assert.equal(chooseRank(s, 100, 2, { method: 'fro', param: 0.99 }).rank, 2);
  const kept = chooseRank(s, 100, 2);
  assert.ok(Math.abs(kept.froRetained - Math.sqrt(125 / 130)) < 1e-12);
  assert.ok(Math.abs(kept.relativeError - Math.sqrt(5 / 130)) < 1e-12);
  assert.ok(Math.abs(kept.sumRetained - 15 / 18) < 1e-12);
});

test('nearly rank-deficient factors (lightly trained LoRAs) still give the exact spectrum and best rank-k approximation', () => {
  // up has two almost parallel columns (condition number ~1e9), which Cholesky of the Gram
  // matrix cannot resolve: the Householder path must take over and stay exact.
  const out = 48;
  const n = 36;
  const r = 6;
  const up = randomMatrix(out * r, 11);
  for (let i = 0; i < out; i++) up[i * r + 5] = (up[i * r + 4] as number) * (1 + 1e-9 * Math.sin(i));
  const down = randomMatrix(r * n, 12);
  const w = product(up, down, out, n, r);
  const dense = jacobiSvd(w, out, n);
  const f = factorSvd(up, down, out, n, r);
  for (let i = 0; i < r; i++) assert.ok(Math.abs((f.s[i] as number) - (dense.s[i] as number)) < 1e-9 * (dense.s[0] as number), `singular value ${i}: ${f.s[i]} vs ${dense.s[i]}`);
  for (const k of [2, 4]) {
    const { up: u2, down: d2 } = f.factors(k);
    const approx = product(u2, d2, out, n, k);
    let err = 0;
    for (let i = 0; i < w.length; i++) err += ((approx[i] as number) - (w[i] as number)) ** 2;
    let best = 0;
    for (let i = k; i < dense.s.length; i++) best += (dense.s[i] as number) ** 2;
    assert.ok(Math.abs(Math.sqrt(err) - Math.sqrt(best)) < 1e-9 * (dense.s[0] as number), `rank-${k} error ${Math.sqrt(err)} vs optimal ${Math.sqrt(best)}`);
  }
});

test('factored SVD with down given transposed equals the row-major call', () => {
  const [out, n, r] = [40, 52, 7];
  const up = randomMatrix(out * r, 21);
  const down = randomMatrix(r * n, 22);
  const downT = new Float64Array(n * r);
  for (let t = 0; t < r; t++) for (let j = 0; j < n; j++) downT[j * r + t] = down[t * n + j] as number;
  const a = factorSvd(up, down, out, n, r).factors(3);
  const b = factorSvd(up, downT, out, n, r, true).factors(3);
  assert.deepEqual([...b.up], [...a.up]);
  assert.deepEqual([...b.down], [...a.down]);
});
