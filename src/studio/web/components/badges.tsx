/** The doctor's findings on a photo as short badges (blurry, low res x2.1, near-dup 2, turned by EXIF, HEIC, crop 23%). */
import type { DoctorDoc, PhotoReport } from '../types.js';
import { Badge } from './ui.js';

export interface PhotoBadge {
  readonly label: string;
  readonly tone: 'bad' | 'warn' | 'info';
  readonly title: string;
}

const SIMPLE: Readonly<Record<string, string>> = {
  DOCTOR_BLURRY: 'blurry',
  DOCTOR_SOFT: 'soft',
  DOCTOR_SMALL: 'small',
  DOCTOR_DUPLICATE: 'duplicate',
  DOCTOR_EXIF_ROTATED: 'turned by EXIF',
  DOCTOR_DARK: 'dark',
  DOCTOR_OVEREXPOSED: 'overexposed',
  DOCTOR_GRAYSCALE: 'black & white',
  DOCTOR_CMYK: 'CMYK',
  DOCTOR_16_BIT: '16-bit',
  DOCTOR_TRANSPARENT: 'transparent',
  DOCTOR_ANIMATED: 'animated',
  DOCTOR_UNREADABLE: 'unreadable',
};

export function photoBadges(report: PhotoReport, doctor: DoctorDoc): PhotoBadge[] {
  const out: PhotoBadge[] = [];
  for (const f of report.findings) {
    const tone = f.severity === 'error' ? 'bad' : f.severity === 'warning' ? 'warn' : 'info';
    let label = SIMPLE[f.code];
    if (f.code === 'DOCTOR_LOW_RESOLUTION') label = `low res x${(report.bucket?.scale ?? 1).toFixed(1)}`;
    if (f.code === 'DOCTOR_NEAR_DUPLICATE') label = `near-dup ${doctor.duplicates.findIndex((d) => d.files.includes(report.file)) + 1}`;
    if (f.code === 'DOCTOR_FORMAT_CONVERTED') label = (report.format ?? 'format').toUpperCase();
    if (f.code === 'DOCTOR_CROP' || f.code === 'DOCTOR_HEAVY_CROP') label = `crop ${Math.round((report.bucket?.cropFraction ?? 0) * 100)}%`;
    if (f.code.startsWith('CAPTION_')) label = 'caption';
    if (label && !out.some((b) => b.label === label)) out.push({ label, tone, title: f.message });
  }
  // The photo a near-duplicate group keeps carries the group's badge too, so both are found.
  const group = doctor.duplicates.findIndex((d) => d.keep === report.file);
  if (group >= 0) out.push({ label: `${doctor.duplicates[group]?.kind === 'exact' ? 'duplicate' : 'near-dup'} ${group + 1} (kept)`, tone: 'info', title: `The one to keep of ${doctor.duplicates[group]?.files.join(', ')}` });
  return out;
}

export function BadgeList({ badges }: { badges: readonly PhotoBadge[] }) {
  return (
    <div class="badges" data-test="badges">
      {badges.map((b) => (
        <Badge key={b.label} tone={b.tone} title={b.title}>
          {b.label}
        </Badge>
      ))}
    </div>
  );
}
