/**
 * Turns the engine's console output into events. Formats (sd-scripts.md 5.3, 6.1, 6.2, 6.3,
 * 6.5; checked on the genuine log in the shared fixtures):
 *   - tqdm bars on stderr, updated with carriage returns, never a newline between updates:
 *     `steps:  17%|█▋        | 2/12 [01:51<09:15, 55.54s/it, avr_loss=1.1]`;
 *   - rich log records (time, level, message, file.py:line) wrapped at 80 columns when the
 *     output is not a terminal, continuation lines indented by 29 spaces; with
 *     --console_log_simple plain messages instead;
 *   - plain prints: `epoch 1/2`, `saving checkpoint: out/x-000001.safetensors`,
 *     `total optimization steps / 学習ステップ数: 12`, tracebacks.
 * Known failures are recognised from the text because some of them exit with code 0
 * ("No data found", P4) and a NaN loss never stops the engine (sd-scripts.md 10.6).
 */

export type FailureKind =
  | 'out-of-memory'
  | 'nan-loss'
  | 'nan-latents'
  | 'bad-arguments'
  | 'dataset-config'
  | 'assertion'
  | 'no-data'
  | 'model-not-found'
  | 'no-gpu'
  | 'missing-module'
  | 'config-not-found'
  | 'device-unsupported'
  | 'crashed';

export type TrainingPhase = 'starting' | 'loading-model' | 'caching-latents' | 'caching-text-encoder' | 'training' | 'sampling' | 'saving' | 'done';

export type EngineEvent =
  | { readonly kind: 'progress'; readonly step: number; readonly totalSteps: number; readonly elapsedSec: number; readonly remainingSec: number | null; readonly itPerSec: number | null; readonly loss: number | null }
  | { readonly kind: 'epoch'; readonly epoch: number; readonly totalEpochs: number }
  | { readonly kind: 'plan'; readonly totalSteps?: number; readonly epochs?: number; readonly batchesPerEpoch?: number; readonly imagesWithRepeats?: number }
  | { readonly kind: 'phase'; readonly phase: TrainingPhase }
  | { readonly kind: 'phase-progress'; readonly phase: TrainingPhase; readonly done: number; readonly total: number }
  | { readonly kind: 'checkpoint-saving'; readonly file: string }
  | { readonly kind: 'sampling'; readonly step: number }
  | { readonly kind: 'model-saved' }
  | { readonly kind: 'warning'; readonly code: string; readonly message: string }
  | { readonly kind: 'failure'; readonly failure: FailureKind; readonly message: string };

const ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]/g;
const RICH_HEAD = /^(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d| {19}) (DEBUG|INFO|WARNING|ERROR|CRITICAL) +(.*)$/;
const INDENTED_HEAD = /^ {20,}(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d .*)$/;
const RICH_CONT = /^ {29}(\S.*)$/;
const RICH_FILE = /\s+[\w.-]+\.py:\d+\s*$/;
const STEPS = /^steps:\s+\d+%\|[^|]*\|\s*(\d+)\/(\d+) \[([\d:]+)<([\d:?]+),\s*(?:([\d.]+)(it\/s|s\/it)|\?it\/s)(?:,\s*([^\]]*))?\]/;
const BAR = /^(?:[\w ]+:\s*)?\d+%\|[^|]*\|\s*(\d+)\/(\d+) \[/;
const EPOCH = /^epoch (\d+)\/(\d+)\s*$/;

/**
 * A NaN average loss in the progress bar's postfix ("avr_loss=nan"), as a plain pattern that a
 * watcher without this parser can search the raw log for (tack's helper on a remote, in Python).
 */
export const NAN_LOSS_PATTERN = 'avr_loss=[nN][aA][nN]';
const SAVING = /^saving checkpoint: (.+?)\s*$/;
const EXCEPTION = /^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Invalid)): (.*)$/;
const BARE_EXCEPTION = /^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt))\s*$/;
/**
 * What a device cannot do (seen with torch 1.13 on the CPU and in accelerate's checks): fp16
 * kernels on the CPU, scaled_dot_product_attention before torch 2, mixed precision on MPS.
 */
const DEVICE_UNSUPPORTED = /not implemented for 'Half'|has no attribute 'scaled_dot_product_attention'|mixed precision requires (?:a GPU \(not|PyTorch >= [\d.]+ and a supported device)/;

function seconds(text: string): number {
  let total = 0;
  for (const part of text.split(':')) total = total * 60 + Number(part);
  return total;
}

export interface LogParserStats {
  lines: number;
  events: number;
}

/**
 * A streaming parser: feed it chunks as they arrive (any split, even inside a UTF-8 sequence
 * when given strings from a StringDecoder); it calls `emit` for each event in order.
 */
export class EngineLogParser {
  private tail = '';
  private richMessage: string | undefined;
  private richLevel = '';
  private lastErrorRecord: string | undefined;
  /** The bar last read early by peek(), so that its terminated copy is not counted twice. */
  private lastBar: string | undefined;
  private phase: TrainingPhase = 'starting';
  private lastException: string | undefined;
  private nanReported = false;
  private sawPlanTrainImages = false;
  readonly stats: LogParserStats = { lines: 0, events: 0 };
  /** The last lines of output, for error reports (ANSI codes removed). */
  readonly recent: string[] = [];

  constructor(private readonly emit: (event: EngineEvent) => void, private readonly keepLines = 40) {}

  /** Feeds a chunk of output. */
  push(chunk: string): void {
    const text = this.tail + chunk;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) {
        this.line(text.slice(start, i));
        start = i + 1;
      }
    }
    this.tail = text.slice(start);
  }

  /**
   * Reads an unterminated line of one stream early: tqdm redraws its bar as "\r<bar>" with no
   * line end, so the newest step is otherwise parsed only at the next redraw, a whole step later
   * (minutes on a CPU). The same line, parsed again once it is terminated, is not repeated.
   */
  peek(partial: string): void {
    const text = partial.indexOf('\x1b') >= 0 ? partial.replace(ESCAPES, '') : partial;
    if (text.startsWith('steps:') && text.trimEnd().endsWith(']')) this.progress(text.trimEnd(), true);
  }

  /** Flushes the last partial line and any open log record. */
  end(): void {
    if (this.tail) this.line(this.tail);
    this.tail = '';
    this.flushRich();
  }

  /** The last exception line of a traceback seen so far (e.g. "AssertionError: ..."). */
  get lastError(): string | undefined {
    return this.lastException;
  }

  /**
   * The engine's own words for why it stopped: the exception it raised last (the script's, not
   * accelerate's CalledProcessError wrapper), else its last ERROR log record.
   */
  get engineError(): string | undefined {
    return this.lastException ?? this.lastErrorRecord;
  }

  get currentPhase(): TrainingPhase {
    return this.phase;
  }

  private out(event: EngineEvent): void {
    this.stats.events++;
    this.emit(event);
  }

  private setPhase(phase: TrainingPhase): void {
    if (phase === this.phase) return;
    this.phase = phase;
    this.out({ kind: 'phase', phase });
  }

  private remember(line: string): void {
    if (!line.trim()) return;
    this.recent.push(line);
    if (this.recent.length > this.keepLines) this.recent.shift();
  }

  private line(raw: string): void {
    const line = raw.indexOf('\x1b') >= 0 ? raw.replace(ESCAPES, '') : raw;
    this.stats.lines++;
    if (line.length === 0) {
      this.flushRich();
      return;
    }
    if (line.startsWith('steps:')) {
      this.flushRich();
      this.progress(line);
      return;
    }
    if (this.richMessage !== undefined) {
      const cont = RICH_CONT.exec(line);
      if (cont) {
        this.richMessage += ` ${(cont[1] as string).replace(RICH_FILE, '').trimEnd()}`;
        return;
      }
      this.flushRich();
    }
    const shifted = line.length > 19 && line.charCodeAt(19) === 32 ? INDENTED_HEAD.exec(line) : null;
    if (shifted) {
      this.line(shifted[1] as string);
      return;
    }
    this.remember(line);
    const head = line.charCodeAt(0) === 32 || (line.charCodeAt(0) >= 48 && line.charCodeAt(0) <= 57) ? RICH_HEAD.exec(line) : null;
    if (head) {
      this.richLevel = head[1] as string;
      this.richMessage = (head[2] as string).replace(RICH_FILE, '').trimEnd();
      return;
    }
    const bar = line.indexOf('%|') > 0 ? BAR.exec(line.trimStart()) : null;
    if (bar) {
      if (this.phase === 'caching-latents' || this.phase === 'caching-text-encoder' || this.phase === 'sampling') {
        this.out({ kind: 'phase-progress', phase: this.phase, done: Number(bar[1]), total: Number(bar[2]) });
      }
      return;
    }
    this.message(line.trim());
  }

  private flushRich(): void {
    if (this.richMessage === undefined) return;
    const message = this.richMessage;
    this.richMessage = undefined;
    if ((this.richLevel === 'ERROR' || this.richLevel === 'CRITICAL') && message.trim()) this.lastErrorRecord = message.trim();
    this.message(message);
  }

  private progress(line: string, peeked = false): void {
    const m = STEPS.exec(line);
    if (!m) return;
    if (m[0] === this.lastBar) {
      if (!peeked) this.lastBar = undefined;
      const rest = line.slice(m[0].length);
      if (rest.trim() && !peeked) this.line(rest);
      return;
    }
    this.lastBar = m[0];
    this.remember(m[0]);
    if (this.phase !== 'training' && this.phase !== 'done') this.setPhase('training');
    const rate = m[5] ? Number(m[5]) : null;
    const itPerSec = rate === null || rate === 0 ? null : m[6] === 's/it' ? 1 / rate : rate;
    const post = m[7] ?? '';
    const lossText = /avr_loss=([^,\s\]]+)/.exec(post)?.[1];
    const loss = lossText === undefined ? null : lossText.toLowerCase() === 'nan' ? Number.NaN : Number(lossText);
    const step = Number(m[1]);
    this.out({
      kind: 'progress',
      step,
      totalSteps: Number(m[2]),
      elapsedSec: seconds(m[3] as string),
      remainingSec: m[4]?.includes('?') ? null : seconds(m[4] as string),
      itPerSec,
      loss: loss === null || Number.isNaN(loss) ? (loss === null ? null : Number.NaN) : loss,
    });
    if (loss !== null && Number.isNaN(loss) && !this.nanReported) {
      this.nanReported = true;
      this.out({ kind: 'failure', failure: 'nan-loss', message: `The average loss became NaN at step ${step}.` });
    }
    // tqdm does not end its line, so a log record can follow on the same line.
    const rest = line.slice(m[0].length);
    if (rest.trim() && !peeked) this.line(rest);
    if (!peeked) this.lastBar = undefined;
  }

  private message(text: string): void {
    let m: RegExpExecArray | null;
    if ((m = EPOCH.exec(text))) {
      this.out({ kind: 'epoch', epoch: Number(m[1]), totalEpochs: Number(m[2]) });
      return;
    }
    if ((m = SAVING.exec(text))) {
      this.setPhase('saving');
      this.out({ kind: 'checkpoint-saving', file: m[1] as string });
      return;
    }
    if (text.startsWith('total optimization steps')) {
      this.out({ kind: 'plan', totalSteps: Number(/(\d+)\s*$/.exec(text)?.[1]) });
      return;
    }
    if (text.startsWith('num epochs')) {
      this.out({ kind: 'plan', epochs: Number(/(\d+)\s*$/.exec(text)?.[1]) });
      return;
    }
    if (text.startsWith('num batches per epoch')) {
      this.out({ kind: 'plan', batchesPerEpoch: Number(/(\d+)\s*$/.exec(text)?.[1]) });
      return;
    }
    if (text.startsWith('num train images * repeats') && !this.sawPlanTrainImages) {
      this.sawPlanTrainImages = true;
      this.out({ kind: 'plan', imagesWithRepeats: Number(/(\d+)\s*$/.exec(text)?.[1]) });
      return;
    }
    if (text.startsWith('override steps.')) {
      const steps = /(\d+)\s*$/.exec(text)?.[1];
      if (steps) this.out({ kind: 'plan', totalSteps: Number(steps) });
      return;
    }
    if (text === 'model saved.' || text.endsWith(' model saved.')) {
      this.setPhase('done');
      this.out({ kind: 'model-saved' });
      return;
    }
    if (text.includes('generating sample images at step')) {
      this.setPhase('sampling');
      const step = /(\d+)\s*$/.exec(text)?.[1];
      this.out({ kind: 'sampling', step: step ? Number(step) : 0 });
      return;
    }
    {
      if (text.startsWith('caching latents')) return this.setPhase('caching-latents');
      if (text.startsWith('caching Text Encoder outputs')) return this.setPhase('caching-text-encoder');
      if (text.startsWith('load StableDiffusion checkpoint') || text.startsWith('loading model for process')) return this.setPhase('loading-model');
      if (text.startsWith('No data found')) {
        this.out({ kind: 'failure', failure: 'no-data', message: text });
        return;
      }
      if (text.startsWith('model is not found as a file')) {
        this.out({ kind: 'failure', failure: 'model-not-found', message: text });
        return;
      }
      if (text.startsWith('Invalid user config')) {
        this.out({ kind: 'failure', failure: 'dataset-config', message: text });
        return;
      }
      if (text.startsWith('clip_skip will be unexpected')) {
        this.out({ kind: 'warning', code: 'ENGINE_LOG_CLIP_SKIP', message: 'The engine warned that clip_skip has no effect on SDXL (P5).' });
        return;
      }
      if (text.startsWith('No caption file found for')) {
        this.out({ kind: 'warning', code: 'ENGINE_LOG_NO_CAPTIONS', message: `${text} (P3: check caption_extension).` });
        return;
      }
      if (text.startsWith('ignore directory without repeats')) {
        this.out({ kind: 'warning', code: 'ENGINE_LOG_IGNORED_FOLDER', message: text });
        return;
      }
      if (/ not found\.$/.test(text) && text.includes('.toml')) {
        this.out({ kind: 'failure', failure: 'config-not-found', message: text });
        return;
      }
    }
    if (text.startsWith('running training')) return this.setPhase('training');
    if (text.includes('error: unrecognized arguments') || /: error: argument /.test(text)) {
      this.out({ kind: 'failure', failure: 'bad-arguments', message: text.replace(/^.*?: error: /, '') });
      return;
    }
    if (text.includes('CUDA out of memory') || text.includes('OutOfMemoryError')) {
      this.lastException = text;
      this.out({ kind: 'failure', failure: 'out-of-memory', message: text });
      return;
    }
    m = EXCEPTION.exec(text) ?? BARE_EXCEPTION.exec(text);
    if (m) {
      const name = m[1] as string;
      // accelerate's launcher re-raises a failed script as CalledProcessError: the script's own
      // exception, printed before it, is the one that explains the failure.
      if (!(name.endsWith('CalledProcessError') && this.lastException)) this.lastException = text;
      const detail = (m[2] ?? '').trim();
      if (name === 'AssertionError') this.out({ kind: 'failure', failure: 'assertion', message: detail || text });
      else if (name.endsWith('MultipleInvalid')) this.out({ kind: 'failure', failure: 'dataset-config', message: text });
      else if (detail.includes('NaN detected in latents')) this.out({ kind: 'failure', failure: 'nan-latents', message: detail });
      else if (name === 'ModuleNotFoundError' || name === 'ImportError') this.out({ kind: 'failure', failure: 'missing-module', message: text });
      else if (DEVICE_UNSUPPORTED.test(detail)) this.out({ kind: 'failure', failure: 'device-unsupported', message: text });
      else if (detail.includes('requires a GPU') || detail.includes('Torch not compiled with CUDA')) this.out({ kind: 'failure', failure: 'no-gpu', message: detail });
      return;
    }
  }
}

/** The engine's error in a finished output (the generation script's, a log file's): see EngineLogParser.engineError. */
export function findEngineError(text: string): string | undefined {
  const parser = new EngineLogParser(() => undefined, 1);
  parser.push(text);
  parser.end();
  return parser.engineError;
}

/** Parses a whole log text at once (tests, `tack runs show`). */
export function parseEngineLog(text: string): EngineEvent[] {
  const events: EngineEvent[] = [];
  const parser = new EngineLogParser((e) => events.push(e));
  parser.push(text);
  parser.end();
  return events;
}
