import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TackError } from '../../core/index.js';
import { parseSelectedTags } from './labels.js';
import { ENGINE_POST_DEFAULTS, parseTagReplacements, selectWd14Tags, type ScoredLabel, type Wd14PostOptions } from './postprocess.js';

const CSV = `tag_id,name,category,count
9999999,general,9,100
9999998,sensitive,9,100
9999997,questionable,9,100
9999996,explicit,9,100
1,1girl,0,5000
2,long_hair,0,4000
3,^_^,0,10
4,":d",0,10
5,"hair ornament, red",0,10
6,smile,0,3000
7,hatsune_miku,4,900
8,kaname_madoka_(magical_girl)_(madoka_magica),4,50
`;

const labels = parseSelectedTags(CSV);
function scored(scores: Record<string, number>): ScoredLabel[] {
  return labels.map((l) => ({ ...l, score: Math.fround(scores[l.name] ?? 0) }));
}
const opts = (o: Partial<Wd14PostOptions> = {}): Wd14PostOptions => ({ ...ENGINE_POST_DEFAULTS, ...o });

test('selected_tags.csv is read with quoted names and its header checked', () => {
  assert.equal(labels.length, 12);
  assert.deepEqual(labels[7], { index: 7, name: ':d', category: 0 });
  assert.equal(labels[8]?.name, 'hair ornament, red');
  assert.throws(() => parseSelectedTags('id,tag,kind\n1,a,0\n'), (e: unknown) => e instanceof TackError && e.code === 'TAGGER_BAD_LABELS' && /tag_id,name,category/.test(e.message));
});

test('general tags come out in CSV order (not by score) at score >= threshold, compared in float32', () => {
  const s = scored({ smile: 0.99, '1girl': 0.35, long_hair: 0.5, '^_^': 0.3499999 });
  // float32(0.35) is 0.3499999940395355: the engine (NumPy 2) compares in float32, so it passes.
  assert.deepEqual(selectWd14Tags(s, opts()).tags, ['1girl', 'long_hair', 'smile']);
  assert.deepEqual(selectWd14Tags(s, opts({ generalThreshold: 0.6 })).tags, ['smile']);
});

test('underscores are removed only from names longer than 3 characters', () => {
  const s = scored({ long_hair: 0.9, '^_^': 0.9 });
  assert.deepEqual(selectWd14Tags(s, opts({ removeUnderscore: true })).tags, ['long hair', '^_^']);
});

test('character tags use their own threshold and go after general tags, or first', () => {
  const s = scored({ '1girl': 0.9, smile: 0.8, hatsune_miku: 0.7, 'kaname_madoka_(magical_girl)_(madoka_magica)': 0.95 });
  assert.deepEqual(selectWd14Tags(s, opts({ characterThreshold: 0.85 })).tags, ['1girl', 'smile', 'kaname_madoka_(magical_girl)_(madoka_magica)']);
  // Each character tag is inserted at the front in turn, as the engine does.
  assert.deepEqual(selectWd14Tags(s, opts({ characterTagsFirst: true })).tags, ['kaname_madoka_(magical_girl)_(madoka_magica)', 'hatsune_miku', '1girl', 'smile']);
  // name_(costume)_(series) -> "name_(costume), series", then underscores.
  const expanded = selectWd14Tags(s, opts({ characterThreshold: 0.9, characterTagExpand: true, removeUnderscore: true }));
  assert.deepEqual(expanded.tags, ['1girl', 'smile', 'kaname madoka (magical girl), madoka magica']);
});

test('rating is the argmax of the rating scores, first or last', () => {
  const s = scored({ general: 0.2, sensitive: 0.7, questionable: 0.7, '1girl': 0.9 });
  assert.deepEqual(selectWd14Tags(s, opts({ ratingTags: 'first' })).tags, ['sensitive', '1girl']);
  assert.deepEqual(selectWd14Tags(s, opts({ ratingTags: 'last' })).tags, ['1girl', 'sensitive']);
  assert.deepEqual(selectWd14Tags(s, opts()).tags, ['1girl']);
});

test('undesired tags are dropped, replacements applied, always-first tags moved so the last listed is first', () => {
  const s = scored({ '1girl': 0.9, long_hair: 0.9, smile: 0.9, ':d': 0.9 });
  const out = selectWd14Tags(s, opts({ removeUnderscore: true, undesiredTags: [' :d '], tagReplacements: [['long hair', 'very long hair']], alwaysFirstTags: ['smile', '1girl'] }));
  assert.deepEqual(out.tags, ['1girl', 'smile', 'very long hair']);
  assert.equal(out.text, '1girl, smile, very long hair');
});

test('tag replacements accept old=new and the engine form with escapes', () => {
  assert.deepEqual(parseTagReplacements(['1girl=woman', 'a\\,b,c;d,e\\;f']), [
    ['1girl', 'woman'],
    ['a,b', 'c'],
    ['d', 'e;f'],
  ]);
  assert.throws(() => parseTagReplacements(['nothing here']), (e: unknown) => e instanceof TackError && e.code === 'CAPTION_BAD_OPTION');
});
