/**
 * Inline SVG line charts for the report (pure): no script, no external library, so the report
 * stays one self-contained file that opens anywhere.
 */

export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  readonly points: ReadonlyArray<{ readonly x: number; readonly y: number; readonly marker?: 'copy' | 'no-face' | 'best' }>;
}

export interface LineChartOptions {
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  /** Horizontal reference lines (e.g. the likeness threshold). */
  readonly guides?: ReadonlyArray<{ readonly y: number; readonly label: string }>;
  /** Vertical markers (e.g. epoch boundaries). */
  readonly verticals?: ReadonlyArray<{ readonly x: number; readonly label: string }>;
  readonly integerX?: boolean;
  readonly width?: number;
  readonly height?: number;
  readonly yMin?: number;
  readonly yMax?: number;
}

const esc = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);

function niceTicks(min: number, max: number, count: number): number[] {
  const span = max - min || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

export function renderLineChart(options: LineChartOptions): string {
  const w = options.width ?? 720;
  const h = options.height ?? 320;
  const m = { left: 56, right: 170, top: 36, bottom: 44 };
  const all = options.series.flatMap((s) => s.points);
  const xs = all.map((p) => p.x);
  const ys = [...all.map((p) => p.y), ...(options.guides ?? []).map((g) => g.y)];
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs) : 1;
  let yMin = options.yMin ?? (ys.length ? Math.min(...ys) : 0);
  let yMax = options.yMax ?? (ys.length ? Math.max(...ys) : 1);
  if (yMax - yMin < 1e-9) {
    yMin -= 0.5;
    yMax += 0.5;
  }
  const pad = (yMax - yMin) * 0.08;
  if (options.yMin === undefined) yMin -= pad;
  if (options.yMax === undefined) yMax += pad;
  const px = (x: number) => m.left + ((x - xMin) / (xMax - xMin || 1)) * (w - m.left - m.right);
  const py = (y: number) => h - m.bottom - ((y - yMin) / (yMax - yMin)) * (h - m.top - m.bottom);
  const parts: string[] = [];
  parts.push(`<svg id="${esc(options.id)}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(options.title)}">`);
  parts.push(`<rect width="${w}" height="${h}" fill="#fff"/>`);
  parts.push(`<text x="${m.left}" y="22" font-size="15" font-weight="bold" fill="#111">${esc(options.title)}</text>`);
  for (const t of niceTicks(yMin, yMax, 5)) {
    parts.push(`<line x1="${m.left}" x2="${w - m.right}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 6}" y="${py(t) + 4}" font-size="11" text-anchor="end" fill="#555">${t}</text>`);
  }
  const xTicks = options.integerX ? Array.from(new Set(xs)).sort((a, b) => a - b) : niceTicks(xMin, xMax, 6);
  for (const t of xTicks) parts.push(`<text x="${px(t)}" y="${h - m.bottom + 16}" font-size="11" text-anchor="middle" fill="#555">${t}</text>`);
  parts.push(`<line x1="${m.left}" x2="${w - m.right}" y1="${h - m.bottom}" y2="${h - m.bottom}" stroke="#888"/>`);
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${h - m.bottom}" stroke="#888"/>`);
  parts.push(`<text x="${(m.left + w - m.right) / 2}" y="${h - 8}" font-size="12" text-anchor="middle" fill="#333">${esc(options.xLabel)}</text>`);
  parts.push(`<text x="14" y="${(m.top + h - m.bottom) / 2}" font-size="12" text-anchor="middle" fill="#333" transform="rotate(-90 14 ${(m.top + h - m.bottom) / 2})">${esc(options.yLabel)}</text>`);
  for (const v of options.verticals ?? []) {
    if (v.x < xMin || v.x > xMax) continue;
    parts.push(`<line x1="${px(v.x)}" x2="${px(v.x)}" y1="${m.top}" y2="${h - m.bottom}" stroke="#bbb" stroke-dasharray="3 3"/><text x="${px(v.x) + 3}" y="${m.top + 10}" font-size="10" fill="#777">${esc(v.label)}</text>`);
  }
  for (const g of options.guides ?? []) {
    parts.push(`<line class="guide" x1="${m.left}" x2="${w - m.right}" y1="${py(g.y)}" y2="${py(g.y)}" stroke="#c0392b" stroke-dasharray="6 4"/><text x="${w - m.right + 4}" y="${py(g.y) + 4}" font-size="11" fill="#c0392b">${esc(g.label)}</text>`);
  }
  options.series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    if (pts.length > 1) parts.push(`<polyline class="series" fill="none" stroke="${s.color}" stroke-width="2.5" points="${pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) {
      const cx = px(p.x).toFixed(1);
      const cy = py(p.y).toFixed(1);
      if (p.marker === 'best') parts.push(`<circle class="best" cx="${cx}" cy="${cy}" r="8" fill="none" stroke="#1f8a45" stroke-width="3"/>`);
      if (p.marker === 'copy') parts.push(`<rect class="copy" x="${Number(cx) - 6}" y="${Number(cy) - 6}" width="12" height="12" fill="none" stroke="#c0392b" stroke-width="2"/>`);
      if (p.marker === 'no-face') parts.push(`<path class="no-face" d="M${Number(cx) - 6},${Number(cy) - 6}L${Number(cx) + 6},${Number(cy) + 6}M${Number(cx) + 6},${Number(cy) - 6}L${Number(cx) - 6},${Number(cy) + 6}" stroke="#e67e22" stroke-width="2"/>`);
      if (pts.length <= 60) parts.push(`<circle cx="${cx}" cy="${cy}" r="3.5" fill="${s.color}"/>`);
    }
    const ly = m.top + 10 + i * 18;
    parts.push(`<line x1="${w - m.right + 10}" x2="${w - m.right + 30}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="3"/><text x="${w - m.right + 34}" y="${ly + 4}" font-size="11" fill="#333">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
