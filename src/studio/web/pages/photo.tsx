/**
 * One photo: the image with the trainer's bucket crop drawn over it (what sd-scripts keeps and
 * cuts), the doctor's findings with their fixes, and the photo's facts.
 */
import { useState } from 'preact/hooks';
import { get, path, post } from '../api.js';
import { useLive } from '../events.js';
import { navigate } from '../router.js';
import type { BucketAssignment, CaptionsDoc, PhotosDoc } from '../types.js';
import { BadgeList, photoBadges } from '../components/badges.js';
import { ErrorBox, Findings, formatBytes, Loading, Section } from '../components/ui.js';

/** The bucket crop over the photo: the kept area outlined, the cut areas shaded. */
export function CropOverlay({ bucket }: { bucket: BucketAssignment }) {
  const [rw, rh] = bucket.resized;
  const [left, top] = bucket.cropOffset;
  const [bw, bh] = bucket.bucket;
  return (
    <svg class="crop-overlay" viewBox={`0 0 ${rw} ${rh}`} preserveAspectRatio="none" data-test="crop-overlay" aria-label={`trained area ${bw}x${bh}`}>
      <path class="cut" fill-rule="evenodd" d={`M0 0H${rw}V${rh}H0Z M${left} ${top}h${bw}v${bh}h${-bw}Z`} />
      <rect class="kept" x={left} y={top} width={bw} height={bh} />
    </svg>
  );
}

export function PhotoPage({ pid, file }: { pid: string; file: string }) {
  const { data, error, reload } = useLive(() => get<PhotosDoc>(`/api/projects/${pid}/photos`), (e) => e.kind === 'job' && e.event.type === 'state', [pid]);
  const captions = useLive(() => get<CaptionsDoc>(`/api/projects/${pid}/captions`), (e) => e.kind === 'studio' && e.type === 'captions', [pid]);
  const [actionError, setActionError] = useState<unknown>(undefined);
  if (!data) return <div class="page">{error ? <ErrorBox error={error} onRetry={reload} /> : <Loading what="the photo" />}</div>;
  const photo = data.photos.find((p) => p.file === file);
  if (!photo) return <div class="page"><ErrorBox error={new Error(`No photo named ${file} in this project.`)} /></div>;
  const report = data.doctor?.photos.find((p) => p.file === file);
  const caption = captions.data?.captions.find((c) => c.photo === file);
  const names = data.photos.map((p) => p.file);
  const at = names.indexOf(file);
  const go = (i: number) => names[i] !== undefined && navigate({ page: 'photo', project: pid, item: names[i] as string });
  const remove = async () => {
    try {
      await post(`/api/projects/${pid}/photos/remove`, { files: [file] });
      navigate({ page: 'photos', project: pid });
    } catch (e) {
      setActionError(e);
    }
  };
  const size = report?.size ?? (photo.width && photo.height ? ([photo.width, photo.height] as const) : undefined);
  return (
    <div class="page photo-page">
      <Section
        title={file}
        test="photo-detail"
        actions={
          <>
            <button disabled={at <= 0} onClick={() => go(at - 1)}>
              Previous
            </button>
            <button disabled={at >= names.length - 1} onClick={() => go(at + 1)}>
              Next
            </button>
            <button class="danger" onClick={remove}>
              Remove
            </button>
          </>
        }
      >
        <ErrorBox error={actionError} />
        <div class="photo-layout">
          <div class="viewer" style={size ? { aspectRatio: `${size[0]} / ${size[1]}` } : {}}>
            <img src={`/api/projects/${pid}/photos/${path(file)}/image`} alt={file} />
            {report?.bucket ? <CropOverlay bucket={report.bucket} /> : null}
          </div>
          <div class="facts">
            {report && data.doctor ? <BadgeList badges={photoBadges(report, data.doctor)} /> : <p class="muted">Not checked yet.</p>}
            <dl>
              <dt>format</dt>
              <dd>{(photo.format ?? '?').toUpperCase()}</dd>
              <dt>size</dt>
              <dd>{size ? `${size[0]} x ${size[1]}` : '?'} ({formatBytes(photo.sizeBytes)})</dd>
              {report?.bucket ? (
                <>
                  <dt>trained at</dt>
                  <dd>
                    {report.bucket.bucket[0]} x {report.bucket.bucket[1]} bucket, resized {report.bucket.upscaled ? 'up' : 'down'} x{report.bucket.scale.toFixed(2)}, {Math.round(report.bucket.cropFraction * 100)}% cut
                  </dd>
                </>
              ) : null}
              {report?.stats ? (
                <>
                  <dt>sharpness</dt>
                  <dd>{Math.round(report.stats.sharpness)}</dd>
                </>
              ) : null}
              <dt>caption</dt>
              <dd data-test="photo-caption">{caption?.text ?? '(none: the training copy gets the trigger and class)'}</dd>
            </dl>
            <p class="muted small">The outlined area is what the trainer keeps; the shaded strips are cut when it crops the photo to its bucket.</p>
            <Findings findings={report?.findings ?? []} empty="Nothing to fix in this photo." />
          </div>
        </div>
      </Section>
    </div>
  );
}
