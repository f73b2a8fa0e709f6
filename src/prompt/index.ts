export { promptErrors } from './errors.js';
export {
  buildSamplePrompts,
  formatSdScriptsPromptFile,
  parseSdScriptsPromptFile,
  checkSamplePrompts,
  isPonyConfig,
  subjectWords,
  PONY_QUALITY_PREFIX,
  PONY_NEGATIVE,
  STANDARD_NEGATIVE,
  type SamplePrompt,
  type SamplePromptConfig,
  type SampleFraming,
  type SampleSettings,
  type SdScriptsPromptLine,
} from './sample-prompts.js';
export {
  parseA1111Prompt,
  parsePromptAttention,
  extractExtraNetworks,
  formatA1111Prompt,
  formatLoraTag,
  escapePromptText,
  type ParsedPrompt,
  type PromptChunk,
  type ExtraNetworkTag,
} from './a1111-prompt.js';
export { parseInfotext, formatInfotext, quoteInfotextValue, parseLoraHashes, type Infotext, type InfotextInput, type AdetailerSettings } from './infotext.js';
export { readPngTextChunks, readPngText, writePngText, encodeTextChunk, isPng, crc32, type PngTextChunk } from './png-text.js';
export { parseUiSampler, sdScriptsSamplerToUi, type UiSampler } from './samplers.js';
export { buildSampleInfotext, type SampleInfotextInput } from './sample-infotext.js';
export { readGenerationSettings, parseComfyGraph, type GenerationSettings, type SettingsSource } from './generation-settings.js';
