export { runDoctor, type DoctorReport, type DoctorVerdict, type DoctorOptions } from './doctor.js';
export { prepareDataset, planProject, type PrepareOptions, type PrepareResult } from './prepare.js';
export { chooseCaption, surveyCaptions, type CaptionSurvey } from './captions.js';
export { followRunLikeness, LIVE_LIKENESS_FILE, type LiveLikeness, type EpochLikeness, type FollowLikenessOptions } from './live-likeness.js';
