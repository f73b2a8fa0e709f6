/**
 * Progress is reported by domain code through a callback and drawn only by the CLI (or sent to
 * the studio). Domain code never writes to the terminal.
 */
export interface ProgressEvent {
  /** Units finished so far (files, steps, bytes ...). */
  readonly done: number;
  readonly total: number;
  /** What was just finished, e.g. a file name. */
  readonly item?: string;
  /** Unit of `done`/`total` when it is not a count of items, e.g. 'bytes'. */
  readonly unit?: 'items' | 'bytes' | 'steps';
}

export type ProgressListener = (event: ProgressEvent) => void;
