/** URLs of a run's files, served from inside the project. */
export function runFileUrl(pid: string, runId: string, runDir: string, file: string): string {
  const inRun = file.startsWith(runDir) ? file.slice(runDir.length + 1) : file;
  return `/api/projects/${pid}/files/runs/${encodeURIComponent(runId)}/${inRun.split('/').map(encodeURIComponent).join('/')}`;
}

/** A project file (given relative to the project) as a URL. */
export function projectFileUrl(pid: string, relative: string): string {
  return `/api/projects/${pid}/files/${relative.split('/').map(encodeURIComponent).join('/')}`;
}
