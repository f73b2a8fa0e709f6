import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TackError } from '../core/index.js';
import { applyTagEdit, matchesFilter, parseReplacePairs, parseTagFilter, suggestTraitTags, tagFrequencies } from './edit.js';
import { buildSentencePrompt, cleanSentence } from './sentence.js';

test('filters select captions by tags present and absent, ignoring case and underscores', () => {
  const f = parseTagFilter('Outdoors, !night');
  assert.equal(matchesFilter('xanrms, 1girl, outdoors, day', f), true);
  assert.equal(matchesFilter('xanrms, 1girl, outdoors, night', f), false);
  assert.equal(matchesFilter('xanrms, 1girl, indoors', f), false);
  assert.equal(matchesFilter('xanrms, long_hair', parseTagFilter('long hair')), true);
  assert.throws(() => parseTagFilter(' , '), (e: unknown) => e instanceof TackError && e.code === 'CAPTION_BAD_EDIT');
});

test('remove, replace and add keep the trigger first and never duplicate tags', () => {
  const caption = 'xanrms, 1girl, solo, long hair, smile';
  assert.equal(applyTagEdit(caption, { id: '1', op: 'remove', tags: ['Solo', 'long_hair', 'xanrms'] }, 'xanrms'), 'xanrms, 1girl, smile');
  assert.equal(applyTagEdit(caption, { id: '2', op: 'replace', pairs: [['smile', 'smiling, happy'], ['solo', '']] }, 'xanrms'), 'xanrms, 1girl, long hair, smiling, happy');
  assert.equal(applyTagEdit(caption, { id: '3', op: 'replace', pairs: [['smile', 'solo']] }, 'xanrms'), 'xanrms, 1girl, solo, long hair');
  assert.equal(applyTagEdit(caption, { id: '4', op: 'add', tags: ['film grain', 'smile'] }, 'xanrms'), 'xanrms, 1girl, solo, long hair, smile, film grain');
  assert.equal(applyTagEdit(caption, { id: '5', op: 'add', tags: ['film grain'], where: 'outdoors' }, 'xanrms'), caption);
  // An edit that changes nothing returns the text as it was (spacing untouched).
  assert.equal(applyTagEdit('xanrms,1girl', { id: '6', op: 'remove', tags: ['solo'] }, 'xanrms'), 'xanrms,1girl');
});

test('replace pairs need old=new', () => {
  assert.deepEqual(parseReplacePairs('1girl=woman, smile = smiling, solo='), [
    ['1girl', 'woman'],
    ['smile', 'smiling'],
    ['solo', ''],
  ]);
  assert.throws(() => parseReplacePairs('woman'), (e: unknown) => e instanceof TackError && e.code === 'CAPTION_BAD_EDIT');
});

test('the frequency table counts each caption once per tag, most frequent first', () => {
  const table = tagFrequencies(['xanrms, 1girl, smile, smile', 'xanrms, 1girl, outdoors', 'xanrms, Smile']);
  assert.deepEqual(table.slice(0, 3), [
    { tag: 'xanrms', count: 3, share: 1 },
    { tag: '1girl', count: 2, share: 2 / 3 },
    { tag: 'smile', count: 2, share: 2 / 3 },
  ]);
});

test('suggest finds subject traits in most captions and leaves out trigger and class', () => {
  const captions = Array.from({ length: 10 }, (_, i) => `xanrms, 1girl, brown hair, freckles, looking at viewer${i < 9 ? ', brown eyes' : ''}${i < 5 ? ', outdoors' : ''}`);
  const s = suggestTraitTags(captions, { minShare: 0.8, exclude: ['xanrms', '1girl', 'woman'] });
  assert.deepEqual(
    s.map((x) => [x.tag, x.kind, x.count]),
    [
      ['brown hair', 'trait', 10],
      ['freckles', 'trait', 10],
      ['looking at viewer', 'frequent', 10],
      ['brown eyes', 'trait', 9],
    ],
  );
});

test('sentence answers are cleaned into one caption line', () => {
  assert.equal(cleanSentence('"The image shows a woman reading a book in a café."'), 'a woman reading a book in a café.');
  assert.equal(cleanSentence('In this image we can see a man on a bike.\n\nThe background is blurred.'), 'a man on a bike.');
  assert.equal(cleanSentence('**Caption:** A woman   laughing ,  outdoors'), 'a woman laughing, outdoors');
  assert.equal(cleanSentence('<s>A woman smiling</s>'), 'a woman smiling');
  assert.equal(cleanSentence('   '), '');
});

test('the endpoint prompt names the subject by the class word only', () => {
  assert.match(buildSentencePrompt('man').prompt, /only as "a man"/);
  assert.match(buildSentencePrompt('1girl').prompt, /only as "a woman"/);
  assert.match(buildSentencePrompt('elf').system, /one specific elf/);
});
