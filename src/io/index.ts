export { clipTokenize } from './clip-tokenizer.js';
