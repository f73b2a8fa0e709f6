export { engineErrors, presetErrors } from './errors.js';
export type { TrainerEngine, LaunchCommand, LaunchInput, BuiltLaunch, EngineLogSink } from './types.js';
export { sdScriptsEngine, buildLaunchArgv } from './sd-scripts/engine.js';
export type { TrainSettings, SettingKey, SettingReason, SettingSource, TrainOverrides } from './settings.js';
export { SETTING_KEYS, SOURCE_WORDS } from './settings.js';
export {
  adaptSettingsToDevice,
  buildGenImgPrecisionArgs,
  chooseDevice,
  describeDeviceSpeed,
  type DeviceAdaptation,
  type DeviceChoice,
  type DeviceSetting,
  type TorchAbilities,
  type TrainDevice,
} from './device.js';
export {
  BUILTIN_PRESETS,
  GPU_PROFILES,
  pickGpuProfile,
  gpuProfileByName,
  resolveTrainSettings,
  presetChain,
  type Preset,
  type PresetValues,
  type GpuProfile,
  type SettingDecision,
  type ResolvedSettings,
} from './presets.js';
export { listPresets, listSavedPresets, findPreset, savePreset, presetDir, userConfigDir, checkPresetName, PRESET_NAME_PATTERN } from './preset-store.js';
export { importKohyaPreset, splitGuiArgs, recogniseKohyaFile, describeKohyaFile, type KohyaImportResult, type ImportChange, type ImportAction, type KohyaFileKind } from './sd-scripts/kohya-import.js';
export { exportKohyaPreset, type KohyaExportPlan } from './sd-scripts/kohya-export.js';
export { buildEngineConfig, parseExtraArgs, type EngineConfigInput, type EngineConfigFiles, type EngineBuckets } from './sd-scripts/build-config.js';
export { checkEngineConfig, checkEngineRules, type EngineConfigTexts, type EngineConfigCheck } from './sd-scripts/config-check.js';
export { checkDatasetToml, DATASET_KEYS } from './sd-scripts/dataset-schema.js';
export { argSpec, allArgDests, flagFor, flattenArgsToml, checkArgsTypes } from './sd-scripts/args-schema.js';
export { SD_SCRIPTS_ARGS, SD_SCRIPTS_ARGS_COMMIT, type ArgSpec } from './sd-scripts/args-table.js';
export { parseEngineToml, formatTomlValue, type EngineTomlTable, type EngineTomlValue } from './sd-scripts/toml.js';
export { EngineLogParser, parseEngineLog, findEngineError, NAN_LOSS_PATTERN, type EngineEvent, type FailureKind, type TrainingPhase } from './sd-scripts/log-parser.js';
export { checkpointFileName, parseCheckpointName, parseSampleName, parseStateDirName, type CheckpointName, type SampleName } from './sd-scripts/outputs.js';
export {
  locateEngine,
  isSdScriptsDir,
  readGitHead,
  defaultInstallDir,
  venvPython,
  PINNED_SD_SCRIPTS_COMMIT,
  SD_SCRIPTS_REPO,
  TRAIN_SCRIPT,
  type EngineLocation,
  type LocateOptions,
} from './sd-scripts/locate.js';
export { inspectBaseModel, describeSafetensorsHeader, checkBaseModel, classifyTensors, BaseModelError, type BaseModelInfo, type ModelKind } from './sd-scripts/base-model.js';
export { probeScript, parseProbeOutput, gpuMemoryGiB, versionAtLeast, REQUIRED_MODULES, OPTIONAL_MODULES, type ProbeResult, type ProbeGpu } from './sd-scripts/probe.js';
export { buildDoctorReport, type DoctorCheck, type DoctorReport, type DoctorInput, type CheckStatus } from './sd-scripts/doctor.js';
export { planInstall, formatManualInstall, TORCH_PINS, type InstallPlan, type InstallStep, type InstallOptions, type CudaFlavour } from './sd-scripts/install.js';
