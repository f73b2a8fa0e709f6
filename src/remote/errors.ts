import { defineErrors } from '../core/index.js';

/** Failures around remote machines: the registry, ssh, the machine itself, transfers, remote runs. */
export const remoteErrors = defineErrors({
  REMOTE_NOT_FOUND: { category: 'input', summary: 'no remote with that name was added (tack remote list shows them)' },
  REMOTE_EXISTS: { category: 'input', summary: 'a remote with that name already exists' },
  REMOTE_BAD_NAME: { category: 'usage', summary: 'a remote name has characters that cannot be used, or is the reserved name "local"' },
  REMOTE_BAD_TARGET: { category: 'usage', summary: 'the ssh target is not [user@]host[:port] or a Host from the ssh config' },
  REMOTE_KEY_MISSING: { category: 'input', summary: 'the ssh key file given with --key does not exist' },
  REMOTE_BAD_REGISTRY: { category: 'input', summary: 'remotes.json in tack\'s config folder cannot be read' },
  REMOTE_SSH_MISSING: { category: 'environment', summary: 'the OpenSSH client (ssh) is not installed or not on the PATH' },
  REMOTE_HOST_KEY_UNKNOWN: { category: 'environment', summary: 'the remote\'s host key is not in known_hosts; tack never accepts a host key by itself' },
  REMOTE_HOST_KEY_CHANGED: { category: 'environment', summary: 'the remote\'s host key differs from the one in known_hosts (a new machine at the same address, or an attack)' },
  REMOTE_AUTH_REFUSED: { category: 'environment', summary: 'the remote refused the ssh key (tack never asks for a password)' },
  REMOTE_UNREACHABLE: { category: 'environment', summary: 'the remote cannot be reached (address, port, network, or the machine is off)' },
  REMOTE_SSH_FAILED: { category: 'environment', summary: 'ssh failed for another reason (its message is shown)' },
  REMOTE_NO_PYTHON: { category: 'environment', summary: 'the remote has no python3 (tack\'s helper and sd-scripts need it)' },
  REMOTE_HELPER_FAILED: { category: 'environment', summary: 'tack\'s helper on the remote failed or gave an answer tack cannot read' },
  REMOTE_DISK_FULL: { category: 'environment', summary: 'the remote\'s disk has too little free space for the upload or the run' },
  REMOTE_TRANSFER_FAILED: { category: 'environment', summary: 'copying files to or from the remote failed (rsync or tar over ssh)' },
  REMOTE_ENGINE_NOT_READY: { category: 'environment', summary: 'the remote cannot train yet: sd-scripts, python, torch or a CUDA GPU is missing there' },
  REMOTE_MODEL_MISSING: { category: 'input', summary: 'the base model is not on the remote and no way to get it there was given' },
  REMOTE_MODEL_CHECKSUM: { category: 'input', summary: 'the base model downloaded on the remote does not have the expected SHA-256' },
  REMOTE_DOWNLOAD_FAILED: { category: 'environment', summary: 'downloading the base model on the remote failed' },
  REMOTE_LAUNCH_FAILED: { category: 'environment', summary: 'the run could not be started on the remote' },
  REMOTE_RUN_BUSY: { category: 'input', summary: 'the remote run is already followed by another tack process, or still running' },
  REMOTE_NOTHING_TO_ATTACH: { category: 'input', summary: 'the project has no remote run to attach to' },
  REMOTE_RUN_GONE: { category: 'environment', summary: 'the remote run folder no longer exists (deleted, or the machine was replaced)' },
});
