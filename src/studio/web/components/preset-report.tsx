/** What importing a kohya_ss GUI preset did, key by key, and the pitfalls it found. */
import type { Finding } from '../types.js';
import { Findings } from './ui.js';

export interface PresetImport {
  readonly name: string;
  readonly changes: ReadonlyArray<{ readonly key: string; readonly guiValue: unknown; readonly action: string; readonly result?: string; readonly note?: string }>;
  readonly findings: readonly Finding[];
}

export function PresetReport({ report }: { report: PresetImport }) {
  const shown = report.changes.filter((c) => c.action !== 'ignored');
  return (
    <div class="preset-report" data-test="preset-report">
      <h3>kohya_ss preset imported as "{report.name}"</h3>
      <Findings findings={report.findings} empty="No pitfalls found in the preset." />
      <table class="table small">
        <thead>
          <tr>
            <th>GUI key</th>
            <th>GUI value</th>
            <th>what tack did</th>
            <th>tack setting</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((c) => (
            <tr key={c.key}>
              <td>
                <code>{c.key}</code>
              </td>
              <td>{JSON.stringify(c.guiValue)}</td>
              <td>
                {c.action}
                {c.note ? <div class="muted">{c.note}</div> : null}
              </td>
              <td>{c.result ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
