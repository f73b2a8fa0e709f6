export { runDoctor, type DoctorReport, type DoctorVerdict, type DoctorOptions } from './doctor.js';
export { prepareDataset, planProject, type PrepareOptions, type PrepareResult } from './prepare.js';
export { chooseCaption, surveyCaptions, type CaptionSurvey } from './captions.js';
