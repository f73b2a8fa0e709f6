/**
 * Low-rank SVD of a LoRA module's product W = up · down (out x r · r x in) using the factor
 * structure: QR of up and of downᵀ (only their R factors are needed), then the SVD of the small
 * r x r core R_up R_downᵀ. This is exact (the same singular values and best rank-k
 * approximation as a dense SVD of W) at cost O((out + in) r²) instead of
 * O(out · in · min(out, in)). Rank choice follows sd-scripts'
 * networks/resize_lora.py (sd-scripts.md 7.5): fixed, or dynamic by sv_ratio, sv_fro or
 * sv_cumulative over the singular values of the merged matrix, then capped.
 */
import { choleskyUpper, gramMatrix, invertUpper, multiplyTall, upperFrobenius } from './kernels.js';
import { applyQ, householderQr, jacobiSvd, toColumnMajor, toRowMajor, type HouseholderQr } from './linalg.js';

export interface FactorSvd {
  /** Singular values of W, descending (at most min(r, out, in) of them; the rest are zero). */
  readonly s: Float64Array;
  /** min(out, in): how many singular values the dense matrix has (the engine's len(S)). */
  readonly fullLength: number;
  /**
   * New factors for rank k: up = U_k·diag(S_k) (out x k, row-major), down = V_kᵀ (k x in,
   * row-major); written into `into` when given (it must hold out·k and k·in values).
   */
  factors(k: number, into?: { up: Float64Array; down: Float64Array }): { up: Float64Array; down: Float64Array };
}

/**
 * Above this Frobenius condition number of R (an upper bound of the 2-norm one), R is taken
 * from Householder QR instead of the Cholesky factor of the Gram matrix: Cholesky-QR loses
 * accuracy as eps·κ², so 1e4 keeps the error near 1e-8 relative, far below what F32 or F16
 * output can show.
 */
export const MAX_GRAM_CONDITION = 1e4;

/**
 * SVD of up (out x r, row-major) · down (r x n, row-major). With `downTransposed`, `down` is
 * given as downᵀ (n x r, row-major), the layout the tiled loops read fastest (resize and merge
 * decode straight into it; a row of the file's layout is n values apart in it).
 */
export function factorSvd(up: Float64Array, down: Float64Array, out: number, n: number, r: number, downTransposed = false): FactorSvd {
  const fullLength = Math.min(out, n);
  if (r > out || r > n) return denseSvd(up, downTransposed ? toColumnMajor(down, n, r) : down, out, n, r);
  // downᵀ row-major is down read as a column-major n x r matrix.
  const downT = downTransposed ? down : toRowMajor(down, n, r);
  // R factors of up and of downᵀ. Fast path: Cholesky of the Gram matrices (half the work of
  // Householder QR, in tiled loops); Householder QR when a factor is ill-conditioned.
  const gramU = choleskyUpper(gramMatrix(up, out, r, r, 1), r);
  const gramD = gramU && choleskyUpper(gramMatrix(downT, n, r, r, 1), r);
  const useGram = gramU !== undefined && gramD !== undefined && conditionOf(gramU, r) <= MAX_GRAM_CONDITION && conditionOf(gramD, r) <= MAX_GRAM_CONDITION;
  const qrU = useGram ? undefined : householderQr(toColumnMajor(up, out, r), out, r);
  const qrD = useGram ? undefined : householderQr(toColumnMajor(downT, n, r), n, r);
  const ru = useGram ? (gramU as Float64Array) : (qrU as HouseholderQr).r;
  const rd = useGram ? (gramD as Float64Array) : (qrD as HouseholderQr).r;
  const core = new Float64Array(r * r);
  for (let j = 0; j < r; j++) {
    for (let i = 0; i < r; i++) {
      let s = 0;
      // R matrices are upper triangular: Ru[i,t] nonzero for t >= i, Rd[j,t] for t >= j.
      for (let t = Math.max(i, j); t < r; t++) s += (ru[t * r + i] as number) * (rd[t * r + j] as number);
      core[j * r + i] = s;
    }
  }
  const svd = jacobiSvd(core, r, r);
  return {
    s: svd.s,
    fullLength,
    factors(k, into) {
      // Q_up = up·R_up⁻¹ and Q_down = downᵀ·R_down⁻¹, so the new factors are plain products
      // up·(R_up⁻¹ U_k S_k) and (R_down⁻¹ V_k)ᵀ·down: half the work of applying the reflectors.
      // Reflectors are used instead when a Householder R is too ill-conditioned to invert.
      const x = new Float64Array(r * k);
      const z = new Float64Array(r * k);
      for (let c = 0; c < k; c++) {
        const sc = svd.s[c] as number;
        for (let i = 0; i < r; i++) {
          x[c * r + i] = (svd.u[c * r + i] as number) * sc;
          z[c * r + i] = svd.v[c * r + i] as number;
        }
      }
      if (useGram || (wellConditioned(ru, r) && wellConditioned(rd, r))) {
        const newUp = into ? into.up.subarray(0, out * k) : new Float64Array(out * k);
        const newDown = into ? into.down.subarray(0, k * n) : new Float64Array(k * n);
        // up (i, t) at [i·r + t] → new up (i, c) at [i·k + c]; downᵀ (j, t) at [j·r + t] → new down (c, j) at [c·n + j].
        multiplyTall(up, out, r, r, 1, toRowMajor(solveUpper(ru, r, x, k), r, k), k, newUp, k, 1);
        multiplyTall(downT, n, r, r, 1, toRowMajor(solveUpper(rd, r, z, k), r, k), k, newDown, 1, n);
        return { up: newUp, down: newDown };
      }
      return { up: toRowMajor(applyQ(qrU as HouseholderQr, x, k), out, k), down: applyQ(qrD as HouseholderQr, z, k) };
    },
  };
}

/** ‖R‖_F·‖R⁻¹‖_F, an upper bound of R's condition number (Infinity if R is singular). */
function conditionOf(rm: Float64Array, r: number): number {
  const c = upperFrobenius(rm, r) * upperFrobenius(invertUpper(rm, r), r);
  return Number.isFinite(c) ? c : Infinity;
}

function wellConditioned(rm: Float64Array, r: number): boolean {
  let min = Infinity;
  let max = 0;
  for (let i = 0; i < r; i++) {
    const d = Math.abs(rm[i * r + i] as number);
    if (d < min) min = d;
    if (d > max) max = d;
  }
  return max > 0 && min / max > 1e-8;
}

/** R⁻¹·X for upper-triangular R (r x r) and X (r x k), both column-major. */
function solveUpper(rm: Float64Array, r: number, x: Float64Array, k: number): Float64Array {
  const y = Float64Array.from(x);
  for (let c = 0; c < k; c++) {
    const yc = c * r;
    for (let i = r - 1; i >= 0; i--) {
      let s = y[yc + i] as number;
      for (let t = i + 1; t < r; t++) s -= (rm[t * r + i] as number) * (y[yc + t] as number);
      y[yc + i] = s / (rm[i * r + i] as number);
    }
  }
  return y;
}

/** Dense path for degenerate shapes (rank larger than a side): tiny matrices only. */
function denseSvd(up: Float64Array, down: Float64Array, out: number, n: number, r: number): FactorSvd {
  const w = new Float64Array(out * n); // column-major
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < out; i++) {
      let s = 0;
      for (let t = 0; t < r; t++) s += (up[i * r + t] as number) * (down[t * n + j] as number);
      w[j * out + i] = s;
    }
  }
  const tall = out >= n;
  const svd = tall ? jacobiSvd(w, out, n) : jacobiSvd(transpose(w, out, n), n, out);
  const p = Math.min(out, n);
  return {
    s: svd.s,
    fullLength: p,
    factors(k) {
      const upOut = new Float64Array(out * k);
      const downOut = new Float64Array(k * n);
      for (let c = 0; c < k; c++) {
        const sc = svd.s[c] as number;
        for (let i = 0; i < out; i++) upOut[i * k + c] = (tall ? (svd.u[c * out + i] as number) : (svd.v[c * out + i] as number)) * sc;
        for (let j = 0; j < n; j++) downOut[c * n + j] = tall ? (svd.v[c * n + j] as number) : (svd.u[c * n + j] as number);
      }
      return { up: upOut, down: downOut };
    },
  };
}

/** Column-major m x n to column-major n x m. */
function transpose(a: Float64Array, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) t[i * n + j] = a[j * m + i] as number;
  return t;
}

export type DynamicMethod = 'ratio' | 'fro' | 'cumulative';

export interface RankChoice {
  readonly rank: number;
  /** sum(S[:k]) / sum(S). */
  readonly sumRetained: number;
  /** sqrt(sum(S[:k]²) / sum(S²)): the share of the Frobenius norm kept. */
  readonly froRetained: number;
  /** ||W - W_k||_F / ||W||_F. */
  readonly relativeError: number;
  /** S[0] / S[k-1]. */
  readonly maxRatio: number;
}

/** sd-scripts' MIN_SV: a module whose largest singular value is at most this is a zero matrix. */
export const MIN_SV = 1e-6;

/** First index i with values[i] >= target (torch.searchsorted, left side). */
function searchSorted(values: readonly number[], target: number): number {
  for (let i = 0; i < values.length; i++) if ((values[i] as number) >= target) return i;
  return values.length;
}

/**
 * The rank sd-scripts' resize would keep: `s` holds the nonzero singular values, `fullLength`
 * is len(S) of the dense matrix (the rest are zeros). Then capped at `maxRank` and at the
 * number of values available (a rank above the module's own adds only zero directions).
 */
export function chooseRank(s: Float64Array, fullLength: number, maxRank: number, dynamic?: { method: DynamicMethod; param: number }): RankChoice {
  const len = Math.max(1, fullLength);
  let index: number;
  if (!dynamic) index = maxRank - 1;
  else if (dynamic.method === 'ratio') {
    const min = (s[0] ?? 0) / dynamic.param;
    let count = 0;
    for (const v of s) if (v > min) count++;
    // sd-scripts at the pinned commit keeps count + 1 values (index_sv_ratio returns the count).
    index = count;
  } else {
    const squared = dynamic.method === 'fro';
    const values = Array.from(s, (v) => (squared ? v * v : v));
    const total = values.reduce((a, b) => a + b, 0);
    let acc = 0;
    const cumulative = values.map((v) => (acc += v) / total);
    while (cumulative.length < len) cumulative.push(1);
    index = searchSorted(cumulative, squared ? dynamic.param ** 2 : dynamic.param);
  }
  index = Math.max(0, Math.min(index, len - 1));
  let rank = index + 1;
  if ((s[0] ?? 0) <= MIN_SV) rank = 1;
  else if (rank > maxRank) rank = maxRank;
  rank = Math.max(1, Math.min(rank, s.length));
  let sumAll = 0;
  let sumKept = 0;
  let sqAll = 0;
  let sqKept = 0;
  s.forEach((v, i) => {
    sumAll += Math.abs(v);
    sqAll += v * v;
    if (i < rank) {
      sumKept += Math.abs(v);
      sqKept += v * v;
    }
  });
  const froRetained = sqAll > 0 ? Math.sqrt(sqKept / sqAll) : 1;
  let tail = 0;
  for (let i = rank; i < s.length; i++) tail += (s[i] as number) ** 2;
  return {
    rank,
    sumRetained: sumAll > 0 ? sumKept / sumAll : 1,
    froRetained,
    relativeError: sqAll > 0 ? Math.sqrt(tail / sqAll) : 0,
    maxRatio: (s[rank - 1] ?? 0) > 0 ? (s[0] as number) / (s[rank - 1] as number) : Infinity,
  };
}
