/**
 * The hot loops of resize and merge, on Float64Array with explicit strides so the factors are
 * used in the layout they have in the file (up row-major out x r, down row-major r x in)
 * without transposing. Each kernel keeps a tile of sums in local variables (registers) while
 * it streams over the long dimension, so most loads feed several multiply-adds; this is what
 * makes them several times faster than one dot product or one axpy at a time.
 * Small matrices here are k x k or r x k, column-major: element (i, j) at [j * rows + i].
 * Index sums are written `(x + y) | 0`: it tells V8 they stay 32-bit integers, which drops an
 * overflow check per load (measured 25 % faster). Arrays are far below 2^31 elements.
 */

/**
 * G = AᵀA (k x k, column-major, both triangles) for A with `rows` rows and k columns whose
 * element (i, p) is a[i * si + p * sp].
 */
export function gramMatrix(a: Float64Array, rows: number, k: number, si: number, sp: number, g: Float64Array = new Float64Array(k * k)): Float64Array {
  const full = k - (k % 4);
  const end = (rows * si) | 0;
  for (let p = 0; p < full; p += 4) {
    const p0 = p * sp;
    const p1 = p0 + sp;
    const p2 = p1 + sp;
    const p3 = p2 + sp;
    for (let q = p; q < full; q += 4) {
      const q0 = q * sp;
      const q1 = q0 + sp;
      const q2 = q1 + sp;
      const q3 = q2 + sp;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let o = 0; o < end; o = (o + si) | 0) {
        const a0 = a[(o + p0) | 0] as number;
        const a1 = a[(o + p1) | 0] as number;
        const a2 = a[(o + p2) | 0] as number;
        const a3 = a[(o + p3) | 0] as number;
        const b0 = a[(o + q0) | 0] as number;
        const b1 = a[(o + q1) | 0] as number;
        const b2 = a[(o + q2) | 0] as number;
        const b3 = a[(o + q3) | 0] as number;
        s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
        s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
        s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
        s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
      }
      putPair(g, k, p, q, s00, s01, s02, s03);
      putPair(g, k, p + 1, q, s10, s11, s12, s13);
      putPair(g, k, p + 2, q, s20, s21, s22, s23);
      putPair(g, k, p + 3, q, s30, s31, s32, s33);
    }
  }
  // Columns beyond the last full tile of four (ranks that are not multiples of 4).
  for (let q = full; q < k; q++) {
    for (let p = 0; p <= q; p++) {
      let s = 0;
      for (let i = 0, o = 0; i < rows; i++, o += si) s += (a[o + p * sp] as number) * (a[o + q * sp] as number);
      g[q * k + p] = s;
      g[p * k + q] = s;
    }
  }
  return g;
}

/** Stores G(x, q..q+3) and its mirror G(q..q+3, x). */
function putPair(g: Float64Array, k: number, x: number, q: number, v0: number, v1: number, v2: number, v3: number): void {
  g[q * k + x] = v0;
  g[(q + 1) * k + x] = v1;
  g[(q + 2) * k + x] = v2;
  g[(q + 3) * k + x] = v3;
  g[x * k + q] = v0;
  g[x * k + q + 1] = v1;
  g[x * k + q + 2] = v2;
  g[x * k + q + 3] = v3;
}

/**
 * The upper-triangular R (k x k, column-major, positive diagonal) with RᵀR = G, or undefined
 * when G is not numerically positive definite (a pivot is not positive and finite).
 */
export function choleskyUpper(g: Float64Array, k: number): Float64Array | undefined {
  const r = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    const cj = j * k;
    let d = g[cj + j] as number;
    for (let t = 0; t < j; t++) d -= (r[cj + t] as number) ** 2;
    if (!(d > 0) || !Number.isFinite(d)) return undefined;
    const rjj = Math.sqrt(d);
    r[cj + j] = rjj;
    for (let i = j + 1; i < k; i++) {
      const ci = i * k;
      let s = g[ci + j] as number;
      for (let t = 0; t < j; t++) s -= (r[cj + t] as number) * (r[ci + t] as number);
      r[ci + j] = s / rjj;
    }
  }
  return r;
}

/** The inverse of an upper-triangular R (k x k, column-major, nonzero diagonal). */
export function invertUpper(r: Float64Array, k: number): Float64Array {
  const inv = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    const cj = j * k;
    inv[cj + j] = 1 / (r[cj + j] as number);
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let t = i + 1; t <= j; t++) s += (r[t * k + i] as number) * (inv[cj + t] as number);
      inv[cj + i] = -s / (r[i * k + i] as number);
    }
  }
  return inv;
}

/** Frobenius norm of the upper triangle of a k x k column-major matrix. */
export function upperFrobenius(r: Float64Array, k: number): number {
  let s = 0;
  for (let j = 0; j < k; j++) for (let i = 0; i <= j; i++) s += (r[j * k + i] as number) ** 2;
  return Math.sqrt(s);
}

/**
 * out(i, c) = Σ_t a(i, t) · m(t, c) for a tall A (rows x r, element (i, t) at a[i * ai + t * at])
 * and a small M (r x k, row-major: m[t * k + c]); out(i, c) is written at out[i * oi + c * oc].
 * Row-major A (at = 1) uses 4 x 4 tiles of sums; column-major A uses 1 x 8 tiles, which keep
 * the strided loads of A to one per step.
 */
export function multiplyTall(a: Float64Array, rows: number, r: number, ai: number, at: number, m: Float64Array, k: number, out: Float64Array, oi: number, oc: number): void {
  let rowsDone = 0;
  let colsDone = 0;
  if (at === 1) {
    rowsDone = rows - (rows % 4);
    colsDone = k - (k % 4);
    for (let i = 0; i < rowsDone; i += 4) {
      const b0 = i * ai;
      const b1 = b0 + ai;
      const b2 = b1 + ai;
      const b3 = b2 + ai;
      for (let c = 0; c < colsDone; c += 4) {
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        for (let t = 0, om = c; t < r; t = (t + 1) | 0, om = (om + k) | 0) {
          const m0 = m[om] as number;
          const m1 = m[(om + 1) | 0] as number;
          const m2 = m[(om + 2) | 0] as number;
          const m3 = m[(om + 3) | 0] as number;
          const x0 = a[(b0 + t) | 0] as number;
          const x1 = a[(b1 + t) | 0] as number;
          const x2 = a[(b2 + t) | 0] as number;
          const x3 = a[(b3 + t) | 0] as number;
          s00 += x0 * m0; s01 += x0 * m1; s02 += x0 * m2; s03 += x0 * m3;
          s10 += x1 * m0; s11 += x1 * m1; s12 += x1 * m2; s13 += x1 * m3;
          s20 += x2 * m0; s21 += x2 * m1; s22 += x2 * m2; s23 += x2 * m3;
          s30 += x3 * m0; s31 += x3 * m1; s32 += x3 * m2; s33 += x3 * m3;
        }
        const o0 = i * oi + c * oc;
        const o1 = o0 + oi;
        const o2 = o1 + oi;
        const o3 = o2 + oi;
        out[o0] = s00; out[o0 + oc] = s01; out[o0 + 2 * oc] = s02; out[o0 + 3 * oc] = s03;
        out[o1] = s10; out[o1 + oc] = s11; out[o1 + 2 * oc] = s12; out[o1 + 3 * oc] = s13;
        out[o2] = s20; out[o2 + oc] = s21; out[o2 + 2 * oc] = s22; out[o2 + 3 * oc] = s23;
        out[o3] = s30; out[o3 + oc] = s31; out[o3 + 2 * oc] = s32; out[o3 + 3 * oc] = s33;
      }
    }
  } else {
    rowsDone = rows;
    colsDone = k - (k % 8);
    for (let i = 0; i < rows; i++) {
      const b0 = i * ai;
      for (let c = 0; c < colsDone; c += 8) {
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        for (let t = 0, oa = b0, om = c; t < r; t++, oa += at, om += k) {
          const x = a[oa] as number;
          s0 += x * (m[om] as number);
          s1 += x * (m[om + 1] as number);
          s2 += x * (m[om + 2] as number);
          s3 += x * (m[om + 3] as number);
          s4 += x * (m[om + 4] as number);
          s5 += x * (m[om + 5] as number);
          s6 += x * (m[om + 6] as number);
          s7 += x * (m[om + 7] as number);
        }
        const o = i * oi + c * oc;
        out[o] = s0; out[o + oc] = s1; out[o + 2 * oc] = s2; out[o + 3 * oc] = s3;
        out[o + 4 * oc] = s4; out[o + 5 * oc] = s5; out[o + 6 * oc] = s6; out[o + 7 * oc] = s7;
      }
    }
  }
  // Edges: columns past the last full tile (all rows), and rows past the last full tile.
  for (let i = 0; i < rows; i++) {
    for (let c = i < rowsDone ? colsDone : 0; c < k; c++) {
      let s = 0;
      for (let t = 0; t < r; t++) s += (a[i * ai + t * at] as number) * (m[t * k + c] as number);
      out[i * oi + c * oc] = s;
    }
  }
}
