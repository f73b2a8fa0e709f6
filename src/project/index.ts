export { projectErrors } from './errors.js';
export { projectPaths, captionPathFor, CONFIG_FILE_NAME, type ProjectPaths } from './layout.js';
export { parseConfigText, validateConfig, formatConfigToml, type ConfigParseResult } from './config.js';
export { initProject, loadProject, saveProjectConfig, checkProjectConfig, type Project, type InitProjectOptions, type InitProjectResult } from './project.js';
export { checkTriggerToken, checkClassWord } from './trigger-token.js';
export { projectSchema, SD_SCRIPTS_SAMPLERS, TRAIN_DEVICES, type ProjectConfig, type ProjectConfigInput, type PlanSettings, type BucketSettings, type SdScriptsSampler } from './schema/index.js';
export { configJsonSchema, readConfigValues, applyConfigPatch, updateProjectConfig, type ConfigUpdate } from './config-edit.js';
