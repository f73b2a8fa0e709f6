/**
 * tack.toml as a form, generated from its schema (JSON Schema made from tack's own zod schema):
 * each key's help is its description, each value is checked while typing by the same
 * validation the CLI runs (the server answers with the CLI's findings), and nothing is saved
 * while anything is wrong.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { post, put } from '../api.js';
import type { Finding } from '../types.js';
import { ErrorBox, Findings } from './ui.js';

interface FieldSchema {
  readonly type?: string;
  readonly enum?: readonly string[];
  readonly description?: string;
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly items?: { readonly type?: string };
  readonly properties?: Readonly<Record<string, FieldSchema>>;
}

export interface SettingsDoc {
  readonly values: Readonly<Record<string, unknown>>;
  readonly config: Readonly<Record<string, unknown>> | null;
  readonly findings: readonly Finding[];
  readonly schema: FieldSchema;
}

const SECTIONS: ReadonlyArray<readonly [string, string]> = [
  ['', 'Project'],
  ['plan', 'Plan'],
  ['train', 'Training'],
  ['buckets', 'Buckets'],
  ['samples', 'Samples and likeness'],
  ['caption', 'Captions'],
];

function read(values: Readonly<Record<string, unknown>> | null | undefined, key: string): unknown {
  if (!values) return undefined;
  const [section, name] = key.includes('.') ? key.split('.') : [undefined, key];
  const holder = section ? (values[section] as Record<string, unknown> | undefined) : values;
  return holder?.[name as string];
}

function display(value: unknown): string {
  if (value === undefined || value === null) return '';
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/** The typed value of an input, as tack.toml takes it; '' unsets an optional key (null). */
function parseInput(schema: FieldSchema, text: string): unknown {
  if (schema.type === 'array') {
    const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
    return schema.items?.type === 'number' || schema.items?.type === 'integer' ? parts.map(Number) : parts;
  }
  if (text.trim() === '') return schema.type === 'string' && schema.default === '' ? '' : null;
  if (schema.type === 'integer' || schema.type === 'number') return Number(text);
  return text;
}

function Field({ name, schema, value, effective, error, onChange, presets }: { name: string; schema: FieldSchema; value: unknown; effective: unknown; error?: Finding; onChange: (v: unknown) => void; presets: readonly string[] }) {
  const id = `setting-${name.replace('.', '-')}`;
  const label = name.split('.').pop() as string;
  let input;
  if (name === 'preset') {
    input = (
      <select id={id} value={String(value ?? effective ?? '')} onChange={(e) => onChange((e.target as HTMLSelectElement).value)} data-test="preset-picker">
        {[...new Set([...presets, String(value ?? effective ?? '')])].filter(Boolean).map((p) => (
          <option key={p} value={p}>
            {p}
          </option>
        ))}
      </select>
    );
  } else if (schema.type === 'boolean' && schema.default === undefined) {
    // An optional switch has three states: unset (the preset decides), on, off.
    input = (
      <select id={id} value={value === undefined ? '' : String(value)} onChange={(e) => onChange({ '': null, true: true, false: false }[(e.target as HTMLSelectElement).value as '' | 'true' | 'false'])}>
        <option value="">(from the preset{effective !== undefined ? `: ${String(effective)}` : ''})</option>
        <option value="true">yes</option>
        <option value="false">no</option>
      </select>
    );
  } else if (schema.type === 'boolean') {
    input = <input id={id} type="checkbox" checked={Boolean(value ?? effective)} onChange={(e) => onChange((e.target as HTMLInputElement).checked)} />;
  } else if (schema.enum) {
    input = (
      <select id={id} value={String(value ?? effective ?? '')} onChange={(e) => onChange((e.target as HTMLSelectElement).value || null)}>
        {value === undefined && effective === undefined ? <option value="">(from the preset)</option> : null}
        {schema.enum.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else {
    input = (
      <input
        id={id}
        value={display(value)}
        placeholder={effective !== undefined ? display(effective) : '(from the preset)'}
        inputMode={schema.type === 'integer' || schema.type === 'number' ? 'decimal' : undefined}
        onInput={(e) => onChange(parseInput(schema, (e.target as HTMLInputElement).value))}
        data-test={id}
      />
    );
  }
  return (
    <div class={`field ${error ? 'invalid' : ''}`}>
      <label for={id}>{label}</label>
      {input}
      {schema.description ? <div class="help">{schema.description}</div> : null}
      {error ? (
        <div class="field-error" data-test="field-error">
          {error.message} {error.fix ? <span class="hint">{error.fix}</span> : null}
        </div>
      ) : null}
    </div>
  );
}

export function SettingsForm({ pid, doc, presets, onSaved }: { pid: string; doc: SettingsDoc; presets: readonly string[]; onSaved: () => void }) {
  const [patch, setPatch] = useState<Record<string, unknown>>({});
  const [findings, setFindings] = useState<readonly Finding[]>(doc.findings);
  const [error, setError] = useState<unknown>(undefined);
  const [saved, setSaved] = useState(false);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (timer.current) clearTimeout(timer.current);
    if (Object.keys(patch).length === 0) return;
    timer.current = setTimeout(() => {
      post<{ findings: Finding[] }>(`/api/projects/${pid}/settings/check`, { patch }).then((r) => setFindings(r.findings), setError);
    }, 250) as unknown as number;
  }, [patch]);
  const errors = findings.filter((f) => f.severity === 'error');
  // Errors about a field show under it; the others (a whole section, the TOML) below the form.
  const fieldKeys = new Set(
    SECTIONS.flatMap(([section]) => Object.keys((section ? doc.schema.properties?.[section]?.properties : doc.schema.properties) ?? {}).map((k) => (section ? `${section}.${k}` : k))),
  );
  const save = async () => {
    setError(undefined);
    try {
      await put(`/api/projects/${pid}/settings`, { patch });
      setPatch({});
      setSaved(true);
      onSaved();
    } catch (e) {
      setError(e);
    }
  };
  const change = (key: string) => (value: unknown) => {
    setSaved(false);
    setPatch({ ...patch, [key]: value });
  };
  return (
    <div class="settings-form" data-test="settings-form">
      {SECTIONS.map(([section, title]) => {
        const props = section ? doc.schema.properties?.[section]?.properties : doc.schema.properties;
        if (!props) return null;
        const keys = Object.entries(props).filter(([, s]) => section !== '' || !s.properties);
        return (
          <details key={section} open={section === '' || section === 'plan' || section === 'train'}>
            <summary>{title}</summary>
            {section ? <p class="help">{doc.schema.properties?.[section]?.description}</p> : null}
            <div class="fields">
              {keys.map(([key, schema]) => {
                const full = section ? `${section}.${key}` : key;
                const value = full in patch ? patch[full] : read(doc.values, full);
                return <Field key={full} name={full} schema={schema} value={value === null ? undefined : value} effective={read(doc.config, full)} error={errors.find((f) => f.subject === full)} onChange={change(full)} presets={presets} />;
              })}
            </div>
          </details>
        );
      })}
      <div class="save-bar">
        <button disabled={Object.keys(patch).length === 0 || errors.length > 0} onClick={save} data-test="save-settings">
          Save tack.toml
        </button>
        <span class="muted">{saved ? 'Saved.' : Object.keys(patch).length ? `${Object.keys(patch).length} change(s) not saved` : ''}</span>
      </div>
      <Findings findings={errors.filter((f) => !f.subject || !fieldKeys.has(f.subject))} />
      <ErrorBox error={error} />
    </div>
  );
}
