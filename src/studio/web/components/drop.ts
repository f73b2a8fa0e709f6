/**
 * Dropped photos and folders, with the path inside the dropped folder kept (so a caption file
 * next to its photo stays next to it), then sent one by one to the studio.
 */
import { ApiError, post, uploadRaw } from '../api.js';
import type { Job } from '../types.js';

export interface PickedFile {
  readonly file: File;
  /** "folder/sub/name.jpg" for files from a dropped folder, else the name. */
  readonly path: string;
}

function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => {
    const out: FileSystemEntry[] = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(out);
        else {
          out.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

async function walk(entry: FileSystemEntry, prefix: string, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, path: `${prefix}${entry.name}` });
  } else if (entry.isDirectory && !entry.name.startsWith('.')) {
    for (const child of await readAll((entry as FileSystemDirectoryEntry).createReader())) await walk(child, `${prefix}${entry.name}/`, out);
  }
}

/** The files of a drop, folders walked. */
export async function filesFromDrop(data: DataTransfer): Promise<PickedFile[]> {
  const out: PickedFile[] = [];
  const entries = [...data.items].map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => Boolean(e));
  if (entries.length) for (const e of entries) await walk(e, '', out);
  else for (const file of data.files) out.push({ file, path: file.name });
  return out;
}

/** The files of an <input type=file> (a folder chooser gives webkitRelativePath). */
export function filesFromInput(input: HTMLInputElement): PickedFile[] {
  return [...(input.files ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

export interface UploadReport {
  readonly job?: Job;
  readonly rejected: ReadonlyArray<{ readonly path: string; readonly message: string; readonly hint: string }>;
}

/** Sends the files (three at a time), then starts the import job; refused files are listed, not fatal. */
export async function uploadPhotos(pid: string, files: readonly PickedFile[], onProgress: (sent: number, total: number) => void): Promise<UploadReport> {
  const { batch } = await post<{ batch: string }>(`/api/projects/${pid}/uploads`);
  const total = files.reduce((s, f) => s + f.file.size, 0);
  const sent = new Map<number, number>();
  const rejected: Array<{ path: string; message: string; hint: string }> = [];
  let next = 0;
  let accepted = 0;
  const worker = async () => {
    while (next < files.length) {
      const index = next++;
      const item = files[index] as PickedFile;
      try {
        await uploadRaw(`/api/projects/${pid}/uploads/${batch}?path=${encodeURIComponent(item.path)}`, item.file, (s) => {
          sent.set(index, s);
          onProgress([...sent.values()].reduce((a, b) => a + b, 0), total);
        });
        accepted++;
      } catch (error) {
        const e = error instanceof ApiError ? error : new ApiError('STUDIO_UPLOAD', String(error), 'Drop it again.', 0);
        rejected.push({ path: item.path, message: e.message, hint: e.hint });
      }
      sent.set(index, item.file.size);
      onProgress([...sent.values()].reduce((a, b) => a + b, 0), total);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  if (accepted === 0) return { rejected };
  const { job } = await post<{ job: Job }>(`/api/projects/${pid}/uploads/${batch}/import`);
  return { job, rejected };
}
