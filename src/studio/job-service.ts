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
  /** Projects whose photos changed while their doctor was running. */
  private readonly doctorAgain = new Set<string>();

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
    for (const e of events.filter((x) => x.type === 'state' && FINAL_STATUSES.has(x.data.state as never))) {
      const job = this.store.get(e.jobId);
      if (!job?.project) continue;
      // New photos or captions: the doctor's badges are checked again.
      if ((job.kind === 'import' || job.kind === 'caption') && e.data.state === 'succeeded') this.refreshDoctor(job.project);
      if (job.kind === 'doctor' && this.doctorAgain.delete(job.project)) this.refreshDoctor(job.project);
    }
    if (events.some((e) => e.type === 'run' || (e.type === 'state' && FINAL_STATUSES.has(e.data.state as never)))) this.tick();
  }

  /**
   * Checks the project's photos again: a doctor run is queued, unless one is waiting already;
   * while one runs, the next is queued when it ends (two at once would do the same work twice).
   */
  refreshDoctor(project: string): void {
    const active = this.store.list({ project, kinds: ['doctor'], states: ['queued', 'running'] });
    if (active.some((j) => j.state === 'queued')) return;
    if (active.length > 0) {
      this.doctorAgain.add(project);
      return;
    }
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
      const same = followers.filter((f) => f.project === train.project && f.inputs.run === train.runId);
      // One follower at a time per run; a resumed run gets a new one once the old one is done.
      if (same.some((f) => f.id > train.id || f.state === 'queued' || f.state === 'running')) continue;
      this.store.insert({ kind: 'likeness', project: train.project, inputs: { run: train.runId }, title: `likeness of run ${train.runId}`, origin: 'studio' });
    }
  }
}
