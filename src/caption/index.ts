export { captionErrors } from './errors.js';
export { checkCaptionText, firstInvalidUtf8Offset, type CaptionCheckContext } from './check.js';
export {
  defaultCaption,
  formatTrainingCaption,
  applyCaptionRules,
  captionFileText,
  classTagFor,
  classSentenceWordFor,
  classWordFor,
  type Captioner,
  type CaptionRuleConfig,
  type FormattedCaption,
} from './rules.js';
export { splitTags, joinTags, tagKey, dedupeTags, isPonyTag, TAG_SEPARATOR } from './tags.js';
export { captionProject, type CaptionProjectOptions, type CaptionProjectResult, type PhotoCaptionOutcome, type PhotoCaptionStatus } from './run.js';
export { resolveCaptionSettings, type CaptionOverrides, type CaptionSettings } from './settings.js';
export {
  readProjectCaptions,
  readTagTable,
  editProjectTags,
  undoLastCaptionChange,
  readCaptionHistory,
  suggestProjectTags,
  type ProjectCaption,
  type TagTable,
  type TagEditRequest,
  type TagEditResult,
  type UndoResult,
  type SuggestResult,
} from './tag-edits.js';
export { parseTagFilter, parseTagList, parseReplacePairs, applyTagEdit, tagFrequencies, suggestTraitTags, type TagCount, type TagSuggestion, type TagFilter } from './edit.js';
export { TAGGER_MODELS, DEFAULT_TAGGER, resolveTaggerModel, type TaggerModelInfo } from './wd14/models.js';
export { parseSelectedTags, type TagLabel } from './wd14/labels.js';
export { selectWd14Tags, processLabelName, parseTagReplacements, ENGINE_POST_DEFAULTS, type Wd14PostOptions, type Wd14Selection, type ScoredLabel } from './wd14/postprocess.js';
export { resolveTaggerFiles, loadTagger, runTagger, type Tagger, type TaggerFiles, type TaggerItem } from './wd14/tagger.js';
export { buildSentencePrompt, cleanSentence, LOCAL_SENTENCE_MODELS } from './sentence.js';
export { captionStorePaths } from './store.js';
export { setProjectCaption, type SetCaptionResult } from './set-caption.js';
export { readCachedTaggerLabels } from './cached-labels.js';
