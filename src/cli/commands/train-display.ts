/**
 * The live view of a training run on stderr: on a terminal one redrawn line (epoch, bar,
 * steps, loss, speed, ETA) plus a printed line for each checkpoint and sample; in a log file
 * (not a terminal) a progress line every 30 seconds, for every step when steps are slow (5 s or
 * more, as on a CPU), and the latest step before each epoch, checkpoint or other line, so no
 * step that was reached is missing from the log. Redraws are throttled, so the display costs
 * nothing measurable at the engine's output rate (bench/supervision.ts).
 */
import { formatBytes, formatDuration } from '../../core/index.js';
import type { SupervisorEvent } from '../../run/index.js';
import type { Output } from '../output.js';

/** In a log file, steps at least this slow are each printed. */
const SLOW_STEP_MS = 5000;

const PHASE_WORDS: Record<string, string> = {
  starting: 'starting the trainer',
  'loading-model': 'loading the base model',
  'caching-latents': 'encoding the images (latent cache)',
  'caching-text-encoder': 'encoding the captions (text-encoder cache)',
  training: 'training',
  sampling: 'rendering sample images',
  saving: 'saving a checkpoint',
  done: 'finished',
};

export interface TrainDisplayOptions {
  readonly intervalMs?: number;
  readonly now?: () => number;
}

export class TrainDisplay {
  private lastDraw = -Infinity;
  private drawn = false;
  private lastLinePrint = -Infinity;
  private lastPrintedStep = -1;
  /** Log file: the newest progress not printed yet, and when the step last changed. */
  private pending: Extract<SupervisorEvent, { kind: 'progress' }> | undefined;
  private lastSeenStep = -1;
  private lastStepAt: number | undefined;
  private stepTookMs = 0;
  private epoch = 0;
  private totalEpochs = 0;
  private phase = 'starting';
  private samples: { epoch: number; count: number; dir: string } | undefined;
  private readonly interval: number;
  private readonly now: () => number;
  /** How many times the line was drawn (for the benchmark). */
  draws = 0;

  constructor(private readonly out: Output, options: TrainDisplayOptions = {}) {
    this.interval = options.intervalMs ?? (out.isTTY ? 100 : 30_000);
    this.now = options.now ?? Date.now;
  }

  private clear(): void {
    if (this.drawn && this.out.isTTY) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }

  private line(text: string): void {
    this.flushProgress();
    this.clear();
    this.out.write(`${text}\n`);
  }

  private formatProgress(event: Extract<SupervisorEvent, { kind: 'progress' }>): { fraction: number; text: string } {
    const p = event.progress;
    const fraction = p.totalSteps > 0 ? Math.min(1, p.step / p.totalSteps) : 0;
    const loss = p.loss === null ? '' : `  loss ${p.loss.toPrecision(3)}`;
    const speed = p.itPerSec === null ? '' : p.itPerSec >= 1 ? `  ${p.itPerSec.toFixed(2)} it/s` : `  ${(1 / p.itPerSec).toFixed(2)} s/it`;
    const eta = event.etaSec === null ? '' : `  ETA ${formatDuration(event.etaSec * 1000)}`;
    return { fraction, text: `${loss}${speed}${eta}` };
  }

  /** Log file: prints the newest progress line if it was not printed yet. */
  private flushProgress(): void {
    const event = this.pending;
    if (!event || this.out.isTTY) return;
    this.pending = undefined;
    const p = event.progress;
    if (p.step === this.lastPrintedStep) return;
    this.lastLinePrint = this.now();
    this.lastPrintedStep = p.step;
    this.draws++;
    const { fraction, text } = this.formatProgress(event);
    const epoch = this.totalEpochs ? `epoch ${this.epoch}/${this.totalEpochs} ` : '';
    this.out.write(`${epoch}step ${p.step}/${p.totalSteps} (${Math.floor(fraction * 100)}%)${text}\n`);
  }

  /** Sample images come in bursts, one per prompt: they are reported as one line per epoch. */
  private flushSamples(): void {
    const s = this.samples;
    if (!s) return;
    this.samples = undefined;
    this.line(`  samples epoch ${s.epoch}: ${s.count} image(s) in ${s.dir}`);
  }

  handle = (event: SupervisorEvent): void => {
    switch (event.kind) {
      case 'started':
        this.line(event.attached ? `Following the run on ${event.where} (trainer pid ${event.pid}).` : `Trainer started${event.where === 'local' ? '' : ` on ${event.where}`} (pid ${event.pid}).`);
        break;
      case 'link':
        this.line(`  ${event.message}`);
        break;
      case 'phase':
        if (event.phase !== this.phase) {
          this.phase = event.phase;
          if (event.phase !== 'training' && event.phase !== 'done') this.line(`  ${PHASE_WORDS[event.phase] ?? event.phase}...`);
        } else if (event.done !== undefined && event.total !== undefined && this.out.isTTY) {
          const t = this.now();
          if (t - this.lastDraw >= this.interval || event.done === event.total) {
            this.lastDraw = t;
            this.out.write(`\r\x1b[2K  ${PHASE_WORDS[event.phase] ?? event.phase} ${event.done}/${event.total}`);
            this.drawn = true;
          }
        }
        break;
      case 'epoch':
        this.epoch = event.epoch;
        this.totalEpochs = event.totalEpochs;
        if (!this.out.isTTY) this.line(`epoch ${event.epoch}/${event.totalEpochs}`);
        break;
      case 'progress': {
        const p = event.progress;
        const t = this.now();
        const finished = p.step >= p.totalSteps;
        if (!this.out.isTTY) {
          if (p.step !== this.lastSeenStep) {
            this.stepTookMs = this.lastStepAt === undefined ? 0 : t - this.lastStepAt;
            this.lastStepAt = t;
            this.lastSeenStep = p.step;
          }
          this.pending = event;
          if (finished || t - this.lastLinePrint >= this.interval || this.stepTookMs >= SLOW_STEP_MS) this.flushProgress();
          break;
        }
        if (!finished && t - this.lastDraw < this.interval) return;
        this.lastDraw = t;
        this.draws++;
        const { fraction, text } = this.formatProgress(event);
        const epoch = this.totalEpochs ? `epoch ${this.epoch}/${this.totalEpochs} ` : '';
        const width = 24;
        const filled = Math.round(fraction * width);
        const line = `${epoch}${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${p.step}/${p.totalSteps} ${Math.floor(fraction * 100)}%${text}`;
        this.out.write(`\r\x1b[2K${line.slice(0, Math.max(20, this.out.columns - 1))}`);
        this.drawn = true;
        break;
      }
      case 'checkpoint':
        this.flushSamples();
        this.line(`  checkpoint epoch ${event.epoch}${event.final ? ' (final)' : ''}: ${event.file} (${formatBytes(event.sizeBytes)})`);
        break;
      case 'sample':
        if (this.samples && this.samples.epoch !== event.epoch) this.flushSamples();
        if (this.samples) this.samples.count++;
        else this.samples = { epoch: event.epoch, count: 1, dir: event.file.slice(0, Math.max(0, event.file.lastIndexOf('/'))) || '.' };
        break;
      case 'warning':
        this.line(`  warning: ${event.message}`);
        break;
      case 'stopping':
        this.line(
          event.reason === 'cancelled'
            ? 'Stopping the trainer (SIGINT); it is killed if it does not stop within the grace period...'
            : event.reason === 'nan-loss'
              ? 'The loss became NaN: stopping the trainer (it would only train garbage from here)...'
              : 'The trainer has printed nothing for too long: stopping it...',
        );
        break;
    }
  };

  finish(): void {
    this.flushSamples();
    this.flushProgress();
    this.clear();
  }
}
