/**
 * The small dense linear algebra tack needs, in Float64Array, column-major (column j of an
 * m x n matrix is a[j*m .. j*m+m-1], so inner loops run over contiguous memory).
 *  - Householder QR of a tall m x k matrix (k small), keeping the reflectors so Q can be
 *    applied without being formed.
 *  - One-sided Jacobi SVD (Hestenes), used on the small k x k core of a low-rank product, and
 *    by the benchmark's dense baseline on full matrices.
 */

export interface HouseholderQr {
  readonly rows: number;
  readonly cols: number;
  /** Reflector vectors below the diagonal (column-major, m x k), v_j[j..m-1]. */
  readonly v: Float64Array;
  readonly beta: Float64Array;
  /** R, k x k, column-major, upper triangular. */
  readonly r: Float64Array;
}

/** QR of `a` (m x k, column-major, overwritten). Needs m >= k. */
export function householderQr(a: Float64Array, m: number, k: number): HouseholderQr {
  const beta = new Float64Array(k);
  const r = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    const col = j * m;
    let tail = 0;
    for (let i = col + j + 1; i < col + m; i++) tail += (a[i] as number) * (a[i] as number);
    const x0 = a[col + j] as number;
    const norm = Math.sqrt(tail + x0 * x0);
    if (norm === 0) {
      beta[j] = 0;
      r[j * k + j] = 0;
      for (let c = j + 1; c < k; c++) r[c * k + j] = a[c * m + j] as number;
      continue;
    }
    const alpha = x0 >= 0 ? -norm : norm;
    const v0 = x0 - alpha;
    a[col + j] = v0;
    const vnorm2 = tail + v0 * v0;
    const b = vnorm2 === 0 ? 0 : 2 / vnorm2;
    beta[j] = b;
    r[j * k + j] = alpha;
    reflectColumns(a, m, col, j, b, j + 1, k);
    for (let c = j + 1; c < k; c++) r[c * k + j] = a[c * m + j] as number;
  }
  return { rows: m, cols: k, v: a, beta, r };
}

/**
 * Q * [x; 0] for the Q of `qr` (m x k) and x (k x p, column-major): an m x p column-major
 * result, computed by applying the reflectors in reverse order.
 */
export function applyQ(qr: HouseholderQr, x: Float64Array, p: number): Float64Array {
  const { rows: m, cols: k, v, beta } = qr;
  const y = new Float64Array(m * p);
  for (let c = 0; c < p; c++) for (let i = 0; i < k; i++) y[c * m + i] = x[c * k + i] as number;
  for (let j = k - 1; j >= 0; j--) {
    const b = beta[j] as number;
    if (b === 0) continue;
    reflectColumns(y, m, j * m, j, b, 0, p, v);
  }
  return y;
}

/**
 * Applies the reflector H = I - b·v·vᵀ (v = vs[vStart + j .. vStart + m - 1]) to columns
 * [from, to) of the column-major m-row matrix `x`, rows j..m-1. Four columns per pass share the
 * loads of v: this is the hot loop of resize and merge.
 */
function reflectColumns(x: Float64Array, m: number, vStart: number, j: number, b: number, from: number, to: number, vs: Float64Array = x): void {
  let c = from;
  for (; c + 3 < to; c += 4) {
    const c0 = c * m;
    const c1 = c0 + m;
    const c2 = c1 + m;
    const c3 = c2 + m;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = j; i < m; i++) {
      const vi = vs[vStart + i] as number;
      s0 += vi * (x[c0 + i] as number);
      s1 += vi * (x[c1 + i] as number);
      s2 += vi * (x[c2 + i] as number);
      s3 += vi * (x[c3 + i] as number);
    }
    s0 *= b;
    s1 *= b;
    s2 *= b;
    s3 *= b;
    for (let i = j; i < m; i++) {
      const vi = vs[vStart + i] as number;
      x[c0 + i] = (x[c0 + i] as number) - s0 * vi;
      x[c1 + i] = (x[c1 + i] as number) - s1 * vi;
      x[c2 + i] = (x[c2 + i] as number) - s2 * vi;
      x[c3 + i] = (x[c3 + i] as number) - s3 * vi;
    }
  }
  for (; c < to; c++) {
    const c0 = c * m;
    let s0 = 0;
    for (let i = j; i < m; i++) s0 += (vs[vStart + i] as number) * (x[c0 + i] as number);
    s0 *= b;
    for (let i = j; i < m; i++) x[c0 + i] = (x[c0 + i] as number) - s0 * (vs[vStart + i] as number);
  }
}

export interface Svd {
  /** m x n, column-major; column j is the left singular vector of s[j] (zero when s[j] is 0). */
  readonly u: Float64Array;
  /** Singular values, descending. */
  readonly s: Float64Array;
  /** n x n, column-major; column j is the right singular vector of s[j]. */
  readonly v: Float64Array;
}

/** The Givens rotation (c, s) of two columns of `length` values starting at `x0` and `y0`. */
function rotateColumns(a: Float64Array, x0: number, y0: number, length: number, c: number, s: number): void {
  for (let i = 0; i < length; i = (i + 1) | 0) {
    const x = (x0 + i) | 0;
    const y = (y0 + i) | 0;
    const ax = a[x] as number;
    const ay = a[y] as number;
    a[x] = c * ax - s * ay;
    a[y] = s * ax + c * ay;
  }
}

/**
 * Thin SVD of `a` (m x n, column-major, m >= n, not modified) by one-sided Jacobi: rotate
 * column pairs until all columns are orthogonal (relative tolerance near machine precision).
 * The squared column norms are kept up to date through each rotation (Rutishauser's update)
 * and recomputed exactly at the start of every sweep, so a pair costs one dot product, not
 * three. `(x + y) | 0` keeps V8 on 32-bit index arithmetic without overflow checks.
 */
export function jacobiSvd(a: Float64Array, m: number, n: number, maxSweeps = 60): Svd {
  const u = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const squared = new Float64Array(n);
  const eps = 1e-15;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = j * m, end = i + m; i < end; i++) s += (u[i] as number) * (u[i] as number);
      squared[j] = s;
    }
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      const cp = p * m;
      for (let q = p + 1; q < n; q++) {
        const cq = q * m;
        let gamma = 0;
        for (let i = 0; i < m; i = (i + 1) | 0) gamma += (u[(cp + i) | 0] as number) * (u[(cq + i) | 0] as number);
        const alpha = squared[p] as number;
        const beta = squared[q] as number;
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        rotateColumns(u, cp, cq, m, c, s);
        rotateColumns(v, p * n, q * n, n, c, s);
        squared[p] = alpha - t * gamma;
        squared[q] = beta + t * gamma;
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(n);
  const order = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = j * m, end = i + m; i < end; i++) s += (u[i] as number) * (u[i] as number);
    norms[j] = Math.sqrt(s);
    // Insertion sort by descending norm (n is small; stable for equal norms).
    let at = j;
    while (at > 0 && (norms[order[at - 1] as number] as number) < (norms[j] as number)) {
      order[at] = order[at - 1] as number;
      at--;
    }
    order[at] = j;
  }
  const su = new Float64Array(m * n);
  const sv = new Float64Array(n * n);
  const s = new Float64Array(n);
  for (let to = 0; to < n; to++) {
    const from = order[to] as number;
    const norm = norms[from] as number;
    s[to] = norm;
    if (norm > 0) for (let i = 0; i < m; i++) su[to * m + i] = (u[from * m + i] as number) / norm;
    sv.set(v.subarray(from * n, from * n + n), to * n);
  }
  return { u: su, s, v: sv };
}

/** Row-major (rows x cols) to column-major. */
export function toColumnMajor(rowMajor: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    for (let j = 0; j < cols; j++) out[j * rows + i] = rowMajor[base + j] as number;
  }
  return out;
}

/** Column-major (rows x cols) to row-major. */
export function toRowMajor(colMajor: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) {
    const base = j * rows;
    for (let i = 0; i < rows; i++) out[i * cols + j] = colMajor[base + i] as number;
  }
  return out;
}
