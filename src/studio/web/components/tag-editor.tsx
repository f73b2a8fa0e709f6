/**
 * A caption as tag chips: the trigger pinned first, chips reordered by dragging and removed
 * with x, new tags typed with completion from the project's tags and the tagger's labels.
 * Sentence captions are edited as text. Every change is saved at once (`tack tags set`).
 */
import { useRef, useState } from 'preact/hooks';
import { joinTags, splitTags } from '../../../caption/tags.js';
import { get } from '../api.js';

interface Props {
  readonly pid: string;
  readonly token: string;
  readonly text: string | null;
  readonly sentence: boolean;
  readonly onSave: (text: string) => Promise<void>;
}

let suggestionTimer: number | undefined;

export function TagEditor({ pid, token, text, sentence, onSave }: Props) {
  const [draft, setDraft] = useState('');
  const [suggestions, setSuggestions] = useState<string[]>([]);
  const [dragFrom, setDragFrom] = useState<number | undefined>(undefined);
  const [saving, setSaving] = useState<'idle' | 'saving' | 'saved'>('idle');
  const listId = useRef(`tags-${Math.random().toString(36).slice(2)}`).current;
  const all = splitTags(text ?? '');
  const rest = all.filter((t) => t.toLowerCase() !== token.toLowerCase());
  const save = async (tags: readonly string[]) => {
    setSaving('saving');
    try {
      await onSave(joinTags([token, ...tags]));
      setSaving('saved');
    } catch {
      setSaving('idle');
    }
  };
  if (sentence) {
    return (
      <form
        class="sentence-editor"
        onSubmit={(e) => {
          e.preventDefault();
          const value = ((e.target as HTMLFormElement).elements.namedItem('text') as HTMLTextAreaElement).value;
          setSaving('saving');
          void onSave(value).then(() => setSaving('saved'), () => setSaving('idle'));
        }}
      >
        <textarea name="text" rows={2} defaultValue={text ?? ''} data-test="caption-text" />
        <button type="submit">Save</button> <span class="muted small">{saving === 'saved' ? 'saved' : ''}</span>
      </form>
    );
  }
  const complete = (q: string) => {
    setDraft(q);
    if (suggestionTimer) clearTimeout(suggestionTimer);
    suggestionTimer = setTimeout(() => {
      void get<{ matches: Array<{ tag: string }> }>(`/api/projects/${pid}/tag-labels?q=${encodeURIComponent(q)}`).then((r) => setSuggestions(r.matches.map((m) => m.tag)), () => undefined);
    }, 120) as unknown as number;
  };
  return (
    <div class="tag-editor" data-test="tag-editor">
      <span class="chip pinned" title="The trigger is always first">
        {token}
      </span>
      {rest.map((tag, i) => (
        <span
          key={`${tag}-${i}`}
          class="chip"
          draggable
          onDragStart={() => setDragFrom(i)}
          onDragOver={(e) => e.preventDefault()}
          onDrop={(e) => {
            e.preventDefault();
            if (dragFrom === undefined || dragFrom === i) return;
            const next = [...rest];
            const [moved] = next.splice(dragFrom, 1);
            next.splice(i, 0, moved as string);
            setDragFrom(undefined);
            void save(next);
          }}
          data-test="chip"
        >
          {tag}
          <button class="chip-x" aria-label={`remove ${tag}`} onClick={() => void save(rest.filter((_, j) => j !== i))}>
            x
          </button>
        </span>
      ))}
      <form
        class="chip-add"
        onSubmit={(e) => {
          e.preventDefault();
          const added = splitTags(draft).filter((t) => !rest.includes(t) && t.toLowerCase() !== token.toLowerCase());
          setDraft('');
          if (added.length) void save([...rest, ...added]);
        }}
      >
        <input value={draft} list={listId} placeholder="add a tag" onInput={(e) => complete((e.target as HTMLInputElement).value)} data-test="tag-input" />
        <datalist id={listId}>
          {suggestions.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      </form>
      <span class="muted small" data-test="save-state">
        {saving === 'saving' ? 'saving...' : saving === 'saved' ? 'saved' : ''}
      </span>
    </div>
  );
}
