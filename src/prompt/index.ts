export { buildSamplePrompts, formatSdScriptsPromptFile, PONY_QUALITY_PREFIX, type SamplePrompt } from './sample-prompts.js';
