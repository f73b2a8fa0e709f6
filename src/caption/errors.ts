import { defineErrors } from '../core/index.js';

/** Error codes of captioning (`tack caption`, `tack tags`). Download, ONNX and endpoint failures are in io (HUB_, ONNX_, CHAT_). */
export const captionErrors = defineErrors({
  CAPTION_BAD_OPTION: { category: 'usage', summary: 'a captioning option or [caption] setting has a value tack cannot use' },
  CAPTION_NO_PHOTOS: { category: 'input', summary: 'the project has no photos to caption (add some with `tack add`)' },
  CAPTION_BAD_EDIT: { category: 'usage', summary: 'a `tack tags` edit is malformed (e.g. replace without "old=new")' },
  CAPTION_NOTHING_TO_UNDO: { category: 'input', summary: '`tack tags undo` found no caption change to undo' },
  CAPTION_UNDO_CONFLICT: { category: 'input', summary: 'captions were changed by hand after the change being undone' },
  CAPTION_SENTENCE_FAILED: { category: 'environment', summary: 'the sentence captioner returned nothing usable for a photo' },
  CAPTION_ALL_FAILED: { category: 'input', summary: 'no photo could be captioned (every photo failed to decode or caption)' },
  TAGGER_UNKNOWN_MODEL: { category: 'usage', summary: 'the tagger model name is not a known WD14 tagger or Hugging Face repo id' },
  TAGGER_BAD_LABELS: { category: 'input', summary: "the tagger's selected_tags.csv is missing, malformed, or does not match the model" },
  TAGGER_UNSUPPORTED_MODEL: { category: 'input', summary: 'the ONNX file is not shaped like a WD14 tagger (input [N,H,W,3], one score per tag)' },
  TAGGER_MODEL_DIR: { category: 'input', summary: 'the [caption] model_dir folder lacks model.onnx or selected_tags.csv' },
});
