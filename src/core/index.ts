export * from './errors.js';
export * from './findings.js';
export * from './fs.js';
export * from './dirs.js';
export * from './units.js';
export * from './progress.js';
export * from './concurrency.js';
export * from './suggest.js';
