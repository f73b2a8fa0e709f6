export { remoteErrors } from './errors.js';
export {
  addRemote,
  checkRemoteName,
  findRemote,
  formatSshTarget,
  listRemotes,
  parseSshTarget,
  remotesFile,
  removeRemote,
  DEFAULT_REMOTE_DIR,
  LOCAL_MACHINE,
  REMOTE_NAME_PATTERN,
  type RemoteEntry,
  type SshTarget,
  type TransferMode,
} from './registry.js';
export { sshClientFor, manualSshCommand } from './client.js';
export { RemoteSession, helperProgram, type RemoteInfo } from './session.js';
export { runRemoteDoctor, buildRemoteDoctor, type RemoteCheck, type RemoteDoctorResult } from './doctor.js';
export { RemoteTransport, type LinkStats, type RemoteRunPlace, type RemoteTransportOptions } from './follow.js';
export { prepareRemoteRun, prepareRemoteResume, attachRemoteRun, findRemoteRun, lockFollow, remoteProjectDir, type PreparedRemoteRun, type RemoteTrainOptions, type RemoteProgressKind, type FollowOptions } from './train.js';
export { syncToRemote, hashLocalFiles, type SyncResult, type SyncEntry, type SyncRequest } from './sync.js';
export { resolveRemoteModel, type RemoteModel } from './model.js';
export { chooseTransfer, pushFiles, pullFiles, hasLocalRsync } from './transfer.js';
export { readRemoteRunStatus, type RemoteRunStatus, type RemoteRunState } from './status.js';
export { installEngineOnRemote, remoteInstallMachine, type RemoteInstallOptions } from './install.js';
