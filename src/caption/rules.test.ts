import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyCaptionRules, checkCaptionText, defaultCaption, formatTrainingCaption, type CaptionCheckContext } from './index.js';

const tagsCtx: CaptionCheckContext = { token: 'xanrms', className: 'woman', captioner: 'wd14', subject: 'captions/a.txt', tokenLimit: 0 };
const codes = (raw: Uint8Array | string, ctx: CaptionCheckContext = tagsCtx) => checkCaptionText(raw, ctx).map((f) => f.code);
const utf8 = (s: string) => new TextEncoder().encode(s);

test('a caption in the recipe form has no findings', () => {
  assert.deepEqual(checkCaptionText(utf8('xanrms, 1girl, solo, smile\n'), tagsCtx), []);
  assert.deepEqual(checkCaptionText(utf8('xanrms, a woman laughing on a beach at sunset\n'), { ...tagsCtx, captioner: 'sentence' }), []);
});

test('bytes that are not UTF-8 are an error naming the offset (the engine crashes on them, P14)', () => {
  const latin1 = Uint8Array.from([...utf8('xanrms, caf'), 0xe9, ...utf8(', 1girl')]);
  const [f] = checkCaptionText(latin1, tagsCtx);
  assert.equal(f?.code, 'CAPTION_NOT_UTF8');
  assert.equal(f?.severity, 'error');
  assert.match(f?.message ?? '', /byte 11 is 0xe9/);
  assert.equal(f?.subject, 'captions/a.txt');
  // Overlong encodings and lone surrogates are not UTF-8 either.
  assert.deepEqual(codes(Uint8Array.from([0xc0, 0xaf])), ['CAPTION_NOT_UTF8']);
  assert.deepEqual(codes(Uint8Array.from([0xed, 0xa0, 0x80])), ['CAPTION_NOT_UTF8']);
  // Real multi-byte text is fine.
  assert.deepEqual(codes(utf8('xanrms, 1girl, café, 東京')), []);
});

test('empty, whitespace-only, BOM and multi-line captions are reported', () => {
  assert.deepEqual(codes(new Uint8Array(0)), ['CAPTION_EMPTY']);
  assert.match(checkCaptionText('  \n', tagsCtx)[0]?.message ?? '', /only whitespace/);
  assert.deepEqual(codes(utf8('\uFEFFxanrms, 1girl')), ['CAPTION_BOM']);
  assert.deepEqual(codes('xanrms, 1girl\nsmile, outdoors\n'), ['CAPTION_MULTILINE']);
  assert.deepEqual(codes('\nxanrms, 1girl'), ['CAPTION_MULTILINE']);
});

test('the trigger must come first and be followed by a comma (P16)', () => {
  assert.deepEqual(codes('1girl, solo'), ['CAPTION_TRIGGER_MISSING']);
  assert.deepEqual(codes('1girl, xanrms, solo'), ['CAPTION_TRIGGER_NOT_FIRST']);
  const fused = checkCaptionText('xanrms 1girl, solo', tagsCtx);
  assert.deepEqual(fused.map((f) => f.code), ['CAPTION_TRIGGER_FUSED']);
  assert.match(fused[0]?.fix ?? '', /"xanrms, 1girl"/);
  // The trigger is compared case-insensitively (CLIP lowercases).
  assert.deepEqual(codes('XANRMS, 1girl'), []);
});

test('Pony quality tags in training captions are reported (P15)', () => {
  const [f] = checkCaptionText('xanrms, 1girl, score_9, score_8_up, source_anime, rating_safe', tagsCtx);
  assert.equal(f?.code, 'CAPTION_PONY_TAGS');
  assert.deepEqual(f?.data?.tags, ['score_9', 'score_8_up', 'source_anime', 'rating_safe']);
  assert.deepEqual(codes('xanrms, 1girl, score 9'), ['CAPTION_PONY_TAGS']);
  assert.deepEqual(codes('xanrms, a woman, score_9, on a beach', { ...tagsCtx, captioner: 'sentence' }), ['CAPTION_PONY_TAGS']);
});

test('class words must fit the captioner: 1girl/1boy with tags, woman/man with sentences', () => {
  assert.deepEqual(codes('xanrms, woman, solo'), ['CAPTION_CLASS_WORD']);
  assert.deepEqual(codes('xanrms woman, solo'), ['CAPTION_TRIGGER_FUSED', 'CAPTION_CLASS_WORD']);
  assert.deepEqual(codes('xanrms, 1boy, solo'), ['CAPTION_CLASS_CONFLICT']);
  assert.deepEqual(codes('xanrms, solo'), ['CAPTION_CLASS_MISSING']);
  assert.deepEqual(codes('xanrms, 1boy, beard', { ...tagsCtx, className: 'man' }), []);
  const sentence = { ...tagsCtx, captioner: 'sentence' as const };
  assert.deepEqual(codes('xanrms, 1girl, smiling at the camera', sentence), ['CAPTION_CLASS_WORD']);
  assert.deepEqual(codes('xanrms, a person smiling at the camera', sentence), ['CAPTION_CLASS_MISSING']);
  assert.deepEqual(codes('xanrms, anything goes', { ...tagsCtx, captioner: 'none' }), []);
});

test('long captions are reported in CLIP tokens against the trainer limit', () => {
  const long = `xanrms, 1girl, ${Array.from({ length: 40 }, (_, i) => `tag number ${i}`).join(', ')}`;
  const [f] = checkCaptionText(long, { ...tagsCtx, tokenLimit: 75 });
  assert.equal(f?.code, 'CAPTION_LONG');
  assert.ok((f?.data?.tokens as number) > 75);
});

test('the default caption is trigger, comma, class word in the captioner form', () => {
  assert.equal(defaultCaption({ token: 'xanrms', class: 'woman', captioner: 'wd14' }), 'xanrms, 1girl');
  assert.equal(defaultCaption({ token: 'xanrms', class: 'man', captioner: 'sentence' }), 'xanrms, man');
  assert.equal(defaultCaption({ token: 'xanrms', class: 'dog', captioner: 'wd14' }), 'xanrms, dog');
  assert.equal(defaultCaption({ token: 'xanrms', class: 'woman', captioner: 'none' }), 'xanrms, woman');
});

test('training captions get the trigger first with a comma, no Pony tags, one line, and say what changed', () => {
  const config = { token: 'xanrms', class: 'woman', captioner: 'wd14' as const };
  const out = formatTrainingCaption('\uFEFFscore_9, 1girl, xanrms, smile\nsmile, outdoors\n', config);
  assert.equal(out.text, 'xanrms, 1girl, smile, outdoors');
  assert.equal(out.changes.length, 5);
  assert.match(out.changes.join('\n'), /byte-order mark[\s\S]*joined 2 lines[\s\S]*score_9[\s\S]*moved the trigger[\s\S]*1 repeated tag/);
  assert.deepEqual(formatTrainingCaption('xanrms, 1girl, smile', config), { text: 'xanrms, 1girl, smile', changes: [] });
  assert.equal(formatTrainingCaption('xanrms woman, smile', config).text, 'xanrms, woman, smile');
  assert.equal(formatTrainingCaption('1girl, smile', config).text, 'xanrms, 1girl, smile');
  assert.equal(formatTrainingCaption('   \n', config).text, 'xanrms, 1girl');
  assert.equal(formatTrainingCaption('score_9, source_anime', config).text, 'xanrms, 1girl');
});

test('sentence captions keep their wording and get the trigger in front', () => {
  const config = { token: 'xanrms', class: 'woman', captioner: 'sentence' as const };
  assert.equal(formatTrainingCaption('a woman, smiling, on a beach', config).text, 'xanrms, a woman, smiling, on a beach');
  assert.equal(formatTrainingCaption('xanrms a woman on a beach', config).text, 'xanrms, a woman on a beach');
  assert.equal(formatTrainingCaption('a photo of xanrms woman on a beach', config).text, 'xanrms, a photo of woman on a beach');
  assert.equal(formatTrainingCaption('score_9, a woman on a beach', config).text, 'xanrms, a woman on a beach');
  assert.deepEqual(formatTrainingCaption('xanrms, a woman on a beach', config).changes, []);
});

test('model tags get the trigger then the class tag, without duplicates or Pony tags', () => {
  const config = { token: 'xanrms', class: 'woman', captioner: 'wd14' as const };
  assert.equal(applyCaptionRules({ kind: 'tags', tags: ['solo', '1girl', 'long hair', 'score_9'] }, config).text, 'xanrms, 1girl, solo, long hair');
  assert.equal(applyCaptionRules({ kind: 'tags', tags: ['solo'] }, config).text, 'xanrms, 1girl, solo');
  assert.equal(applyCaptionRules({ kind: 'sentence', text: 'A woman reading.' }, config).text, 'xanrms, A woman reading.');
});

test('Pony tags removed from a sentence leave no stray commas', () => {
  const config = { token: 'xanrms', class: 'woman', captioner: 'sentence' as const };
  assert.equal(formatTrainingCaption('a woman on a pier, score_9.', config).text, 'xanrms, a woman on a pier.');
  assert.equal(formatTrainingCaption('a woman, score_9, source_anime, on a pier', config).text, 'xanrms, a woman, on a pier');
  assert.equal(formatTrainingCaption('rating_safe, a woman on a pier,', config).text, 'xanrms, a woman on a pier');
});
