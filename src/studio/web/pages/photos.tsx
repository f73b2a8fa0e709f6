/**
 * Photos: the grid, worst first, each photo with the doctor's badges; drop photos or folders
 * anywhere on the page (or pick them) to import them like `tack add`; remove with undo.
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import { get, path, post } from '../api.js';
import { useLive } from '../events.js';
import type { DoctorDoc, Job, PhotoItem, PhotoReport, PhotosDoc } from '../types.js';
import { BadgeList, photoBadges } from '../components/badges.js';
import { filesFromDrop, filesFromInput, uploadPhotos, type PickedFile, type UploadReport } from '../components/drop.js';
import { JobLine, useProjectJobs } from '../components/jobs.js';
import { ErrorBox, Findings, formatBytes, Loading, Section } from '../components/ui.js';

export function thumbUrl(pid: string, photo: Pick<PhotoItem, 'file' | 'sha256'>): string {
  return `/api/projects/${pid}/photos/${path(photo.file)}/thumb?v=${photo.sha256}`;
}

interface Row {
  readonly photo: PhotoItem;
  readonly report?: PhotoReport;
}

/** Unchecked photos first (they are new), then the doctor's worst first, then by name. */
function rows(doc: PhotosDoc): Row[] {
  const reports = new Map(doc.doctor?.photos.map((p) => [p.file, p]) ?? []);
  return doc.photos
    .map((photo) => ({ photo, ...(reports.get(photo.file) ? { report: reports.get(photo.file) as PhotoReport } : {}) }))
    .sort((a, b) => (a.report ? 1 : 0) - (b.report ? 1 : 0) || (b.report?.harm ?? 0) - (a.report?.harm ?? 0) || a.photo.file.localeCompare(b.photo.file));
}

function PhotoCard({ pid, row, doctor, selected, onToggle }: { pid: string; row: Row; doctor: DoctorDoc | null; selected: boolean; onToggle: () => void }) {
  const { photo, report } = row;
  return (
    <div class={`photo-card ${report?.verdict ?? 'unchecked'} ${selected ? 'selected' : ''}`} data-test="photo-card">
      <a href={`#/p/${pid}/photos/${encodeURIComponent(photo.file)}`} class="thumb">
        <img src={thumbUrl(pid, photo)} alt={photo.file} loading="lazy" decoding="async" width={photo.width ?? undefined} height={photo.height ?? undefined} />
      </a>
      <div class="photo-meta">
        <label class="select">
          <input type="checkbox" checked={selected} onChange={onToggle} aria-label={`select ${photo.file}`} />
          <span class="name" title={photo.file}>
            {photo.file}
          </span>
        </label>
        {report && doctor ? <BadgeList badges={photoBadges(report, doctor)} /> : <span class="muted small">not checked yet</span>}
      </div>
    </div>
  );
}

export function PhotosPage({ pid }: { pid: string }) {
  const { data, error, reload } = useLive(
    () => get<PhotosDoc>(`/api/projects/${pid}/photos`),
    (e) => (e.kind === 'studio' && (e.type === 'photos' || e.type === 'captions')) || (e.kind === 'job' && e.event.type === 'state'),
    [pid],
  );
  const { jobs } = useProjectJobs(pid);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [upload, setUpload] = useState<{ sent: number; total: number } | undefined>(undefined);
  const [report, setReport] = useState<UploadReport | undefined>(undefined);
  const [undo, setUndo] = useState<number>(0);
  const [actionError, setActionError] = useState<unknown>(undefined);
  const [dragging, setDragging] = useState(false);
  // While photos are selected the grid keeps its order, so a report that arrives meanwhile
  // cannot move a photo away from under the pointer.
  const order = useRef<string[]>([]);
  const list = useMemo(() => {
    if (!data) return [];
    const sorted = rows(data);
    if (selected.size === 0 || order.current.length === 0) {
      order.current = sorted.map((r) => r.photo.file);
      return sorted;
    }
    const rank = new Map(order.current.map((f, i) => [f, i]));
    return [...sorted].sort((a, b) => (rank.get(a.photo.file) ?? Infinity) - (rank.get(b.photo.file) ?? Infinity));
  }, [data, selected.size > 0]);

  const send = async (files: PickedFile[]) => {
    if (files.length === 0) return;
    setReport(undefined);
    setActionError(undefined);
    setUpload({ sent: 0, total: files.reduce((s, f) => s + f.file.size, 0) });
    try {
      setReport(await uploadPhotos(pid, files, (sent, total) => setUpload({ sent, total })));
    } catch (e) {
      setActionError(e);
    } finally {
      setUpload(undefined);
    }
  };
  const remove = async () => {
    try {
      const doc = await post<{ removed: unknown[] }>(`/api/projects/${pid}/photos/remove`, { files: [...selected] });
      setUndo(doc.removed.length);
      setSelected(new Set());
      reload();
    } catch (e) {
      setActionError(e);
    }
  };
  const restore = async () => {
    try {
      await post(`/api/projects/${pid}/photos/restore`);
      setUndo(0);
      reload();
    } catch (e) {
      setActionError(e);
    }
  };
  const recheck = () => post(`/api/projects/${pid}/jobs`, { kind: 'doctor' }).catch(setActionError);
  const lastImport = jobs.find((j) => j.kind === 'import');
  const lastDoctor = jobs.find((j) => j.kind === 'doctor');
  // Running imports and checks, and the newest of each when it failed (with its reason).
  const active = jobs.filter((j: Job) => (j.kind === 'import' || j.kind === 'doctor') && (j.status === 'running' || j.status === 'queued' || ((j === lastImport || j === lastDoctor) && (j.status === 'failed' || j.status === 'interrupted'))));
  const imported = lastImport?.status === 'succeeded' ? (lastImport.result as { added?: unknown[]; skipped?: unknown[]; failed?: Array<{ source: string; message: string }> } | undefined) : undefined;

  return (
    <div
      class={`page photos-page ${dragging ? 'dragging' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        if (e.dataTransfer) void filesFromDrop(e.dataTransfer).then(send, setActionError);
      }}
    >
      <Section
        title={`Photos${data ? ` (${data.photos.length})` : ''}`}
        test="photos"
        actions={
          <>
            <label class="button">
              Add photos
              <input type="file" multiple accept="image/*,.heic,.heif,.txt" hidden onChange={(e) => void send(filesFromInput(e.target as HTMLInputElement))} data-test="add-photos" />
            </label>
            <label class="button">
              Add a folder
              <input type="file" hidden {...{ webkitdirectory: '' }} onChange={(e) => void send(filesFromInput(e.target as HTMLInputElement))} />
            </label>
            <button onClick={recheck}>Check again</button>
            <button class="danger" disabled={selected.size === 0} onClick={remove} data-test="remove-selected">
              Remove {selected.size || ''}
            </button>
          </>
        }
      >
        <p class="muted">Drop photos or folders anywhere here. Your originals are only read; tack keeps its own copy.</p>
        {upload ? (
          <div class="progress" data-test="upload-progress">
            <div class="bar" style={{ width: `${upload.total ? Math.round((100 * upload.sent) / upload.total) : 0}%` }} />
            <span class="label">
              Sending {formatBytes(upload.sent)} of {formatBytes(upload.total)}
            </span>
          </div>
        ) : null}
        {active.map((j) => (
          <JobLine key={j.id} job={j} />
        ))}
        {report?.rejected.length ? (
          <div class="error" data-test="rejected">
            <strong>Not added:</strong>
            <ul>
              {report.rejected.map((r) => (
                <li key={r.path}>
                  {r.path}: {r.message} <span class="hint">{r.hint}</span>
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        {imported ? (
          <p class="muted" data-test="import-summary">
            Last import: {imported.added?.length ?? 0} added, {imported.skipped?.length ?? 0} already here{imported.failed?.length ? `, ${imported.failed.length} could not be read` : ''}.
          </p>
        ) : null}
        {undo ? (
          <div class="toast" data-test="undo-toast">
            Removed {undo} photo{undo === 1 ? '' : 's'} (kept in .tack/removed). <button onClick={restore}>Undo</button>
          </div>
        ) : null}
        <ErrorBox error={actionError ?? error} onRetry={reload} />
        {data?.doctor ? (
          <div class={`verdict ${data.doctor.verdict}`} data-test="verdict">
            <strong>{data.doctor.verdict.toUpperCase()}</strong> {data.doctor.summary}
            {!data.doctorFresh ? <span class="muted"> (checking the new photos...)</span> : null}
          </div>
        ) : null}
        {data?.doctor ? <Findings findings={data.doctor.findings} /> : null}
        {!data ? <Loading what="photos" /> : null}
        <div class="photo-grid" data-test="photo-grid">
          {list.map((row) => (
            <PhotoCard
              key={row.photo.file}
              pid={pid}
              row={row}
              doctor={data?.doctor ?? null}
              selected={selected.has(row.photo.file)}
              onToggle={() => {
                const next = new Set(selected);
                if (next.has(row.photo.file)) next.delete(row.photo.file);
                else next.add(row.photo.file);
                setSelected(next);
              }}
            />
          ))}
        </div>
      </Section>
    </div>
  );
}
