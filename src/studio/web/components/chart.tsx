/** A line chart in plain SVG (loss per step, likeness per epoch): no chart library, nothing to download. */
export interface Series {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** CSS class for the line and markers (colours live in app.css). */
  readonly tone: string;
  readonly markers?: boolean;
}

export interface LineChartProps {
  readonly series: readonly Series[];
  readonly xLabel: string;
  readonly yLabel: string;
  readonly yMin?: number;
  readonly yMax?: number;
  /** Draw a dashed line at this y (e.g. the likeness threshold). */
  readonly guide?: { readonly y: number; readonly label: string };
  /** Mark this x (e.g. the recommended epoch). */
  readonly mark?: number;
  readonly integerX?: boolean;
  readonly test?: string;
}

function niceTicks(min: number, max: number, count: number, integer: boolean): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(integer ? 1 : 0, [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw);
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const W = 640;
const H = 220;
const PAD = { left: 52, right: 12, top: 24, bottom: 34 };

export function LineChart(props: LineChartProps) {
  const all = props.series.flatMap((s) => s.points);
  if (all.length === 0) return <div class="chart empty" data-test={props.test}>No points yet.</div>;
  let [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  // yMin/yMax widen the range (likeness from 0 up), never cut points off.
  let y0 = Math.min(...all.map((p) => p[1]), props.guide?.y ?? Infinity, props.yMin ?? Infinity);
  let y1 = Math.max(...all.map((p) => p[1]), props.guide?.y ?? -Infinity, props.yMax ?? -Infinity);
  if (y0 === y1) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => H - PAD.bottom - ((y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const xt = niceTicks(x0, x1, 6, Boolean(props.integerX));
  const yt = niceTicks(y0, y1, 4, false);
  // Enough decimals to tell neighbouring ticks apart (a loss moves in the third decimal).
  const step = yt.length > 1 ? Math.abs((yt[1] as number) - (yt[0] as number)) : 1;
  const digits = Math.min(6, Math.max(0, -Math.floor(Math.log10(step))));
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.yLabel} by ${props.xLabel}`} data-test={props.test}>
      {yt.map((y) => (
        <g key={`y${y}`}>
          <line class="grid" x1={PAD.left} x2={W - PAD.right} y1={sy(y)} y2={sy(y)} />
          <text class="tick" x={PAD.left - 6} y={sy(y) + 4} text-anchor="end">
            {y.toFixed(digits)}
          </text>
        </g>
      ))}
      {xt.map((x) => (
        <text key={`x${x}`} class="tick" x={sx(x)} y={H - PAD.bottom + 16} text-anchor="middle">
          {x}
        </text>
      ))}
      <text class="axis" x={(W + PAD.left) / 2} y={H - 4} text-anchor="middle">
        {props.xLabel}
      </text>
      <text class="axis" x={8} y={14}>
        {props.yLabel}
      </text>
      {props.guide ? (
        <g>
          <line class="guide" x1={PAD.left} x2={W - PAD.right} y1={sy(props.guide.y)} y2={sy(props.guide.y)} />
          <text class="tick" x={W - PAD.right} y={sy(props.guide.y) - 4} text-anchor="end">
            {props.guide.label}
          </text>
        </g>
      ) : null}
      {props.mark !== undefined ? <line class="mark" x1={sx(props.mark)} x2={sx(props.mark)} y1={PAD.top} y2={H - PAD.bottom} /> : null}
      {props.series.map((s) => (
        <g key={s.name} class={`series ${s.tone}`}>
          <polyline fill="none" points={s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')} />
          {s.markers
            ? s.points.map(([x, y]) => (
                <circle key={`${x}`} cx={sx(x)} cy={sy(y)} r={4}>
                  <title>{`${s.name}: ${props.xLabel} ${x}, ${y.toFixed(3)}`}</title>
                </circle>
              ))
            : null}
        </g>
      ))}
    </svg>
  );
}
