/**
 * The studio's side of the job queue: it adds jobs and moves the queue on (workers move it too,
 * so the queue does not need the studio), settles jobs whose worker died, and makes sure every
 * training it can see has a likeness follower (`tack evaluate --follow` as a CPU job), so each
 * epoch's samples are scored while the run trains, whether the training was started here or
 * with `tack train` in a terminal.
 */
import { dispatchJobs, FINAL_STATUSES, liveProbes, reconcileJobs, viewJob, type JobEvent, type JobLauncher, type JobSpec, type JobStore, type JobView } from '../jobs/index.js';

export interface JobServiceOptions {
  readonly launch: JobLauncher;
  /** Checks a job's inputs for its kind (the CLI's table); throws on bad inputs. */
  readonly checkInputs: (spec: JobSpec) => void;
  /** How often dead workers are looked for and the queue is moved (default 2 s). */
  readonly tickMs?: number;
}

export class JobService {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: JobStore,
    private readonly options: JobServiceOptions,
  ) {}

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 2000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  view(job: Parameters<typeof viewJob>[0]): JobView {
    return viewJob(job, liveProbes());
  }

  /** Queues a job for the studio and starts it if its machine is free. */
  enqueue(spec: JobSpec): JobView {
    this.options.checkInputs(spec);
    const job = this.store.insert({ origin: 'studio', ...spec });
    this.dispatch();
    return this.view(this.store.require(job.id));
  }

  dispatch(): void {
    try {
      dispatchJobs(this.store, { launch: this.options.launch });
    } catch {
      /* the store was busy past its timeout: the next tick retries */
    }
  }

  /** Called with each batch of new job events (the event hub). */
  onEvents(events: readonly JobEvent[]): void {
    const ended = events.filter((e) => e.type === 'state' && e.data.state === 'succeeded');
    for (const e of ended) {
      const job = this.store.get(e.jobId);
      // New photos or captions: the doctor's badges are checked again.
      if (job?.project && (job.kind === 'import' || job.kind === 'caption')) this.refreshDoctor(job.project);
    }
    if (events.some((e) => e.type === 'run' || (e.type === 'state' && FINAL_STATUSES.has(e.data.state as never)))) this.tick();
  }

  /** Queues a doctor run for the project unless one is already waiting. */
  refreshDoctor(project: string): void {
    if (this.store.list({ project, kinds: ['doctor'], states: ['queued'] }).length > 0) return;
    this.store.insert({ kind: 'doctor', project, title: 'check the photos', origin: 'studio' });
    this.dispatch();
  }

  tick(): void {
    try {
      reconcileJobs(this.store);
      this.ensureLikenessFollowers();
    } catch {
      /* as above */
    }
    this.dispatch();
  }

  /** One likeness follower per training that is running and has its run folder (a resumed run gets a new one). */
  private ensureLikenessFollowers(): void {
    const trains = this.store.list({ states: ['running'], kinds: ['train'] }).filter((j) => j.runId && j.project);
    if (trains.length === 0) return;
    const followers = this.store.list({ kinds: ['likeness'], limit: 200 });
    for (const train of trains) {
      if (followers.some((f) => f.id > train.id && f.project === train.project && f.inputs.run === train.runId)) continue;
      this.store.insert({ kind: 'likeness', project: train.project, inputs: { run: train.runId }, title: `likeness of run ${train.runId}`, origin: 'studio' });
    }
  }
}
