/**
 * selected_tags.csv of the SmilingWolf taggers: header "tag_id,name,category,count", one row
 * per model output in output order; category 9 = rating, 0 = general, 4 = character
 * (sd-scripts.md 8.1). Parsed as RFC 4180 CSV (quoted names may hold commas).
 */
import { captionErrors } from '../errors.js';

export const CATEGORY = { general: 0, character: 4, rating: 9 } as const;

export interface TagLabel {
  /** Row (= model output) index. */
  readonly index: number;
  /** The name as in the CSV (underscores kept). */
  readonly name: string;
  readonly category: number;
}

function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

export function parseSelectedTags(text: string, file = 'selected_tags.csv'): TagLabel[] {
  const rows = parseCsvRows(text.replace(/^\uFEFF/, ''));
  const header = rows[0] ?? [];
  if (header[0] !== 'tag_id' || header[1] !== 'name' || header[2] !== 'category') {
    throw captionErrors.create('TAGGER_BAD_LABELS', `${file} does not start with the header tag_id,name,category (got "${header.slice(0, 3).join(',')}").`, 'The file is not a WD14 selected_tags.csv: download the model again or check the model folder.', {
      details: { file },
    });
  }
  const labels = rows.slice(1).map((r, index) => {
    const category = Number(r[2]);
    if (r.length < 3 || !r[1] || !Number.isInteger(category)) {
      throw captionErrors.create('TAGGER_BAD_LABELS', `${file} row ${index + 2} is malformed: "${r.join(',')}".`, 'Download the model again; the file is damaged.', { details: { file, row: index + 2 } });
    }
    return { index, name: r[1], category };
  });
  if (labels.filter((l) => l.category === CATEGORY.rating).length === 0 && labels.length > 0 && labels.every((l) => l.category !== CATEGORY.general)) {
    throw captionErrors.create('TAGGER_BAD_LABELS', `${file} has no general (0) or rating (9) tags.`, 'Use the selected_tags.csv that came with the model.', { details: { file } });
  }
  return labels;
}
