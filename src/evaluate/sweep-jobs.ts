/** One image of a sweep and the interface every generator backend implements. */

export interface SweepJob {
  readonly epoch: number;
  readonly strength: number;
  readonly promptIndex: number;
  readonly seed: number;
  /** Prompt in the engine's syntax (no BREAK). */
  readonly prompt: string;
  /** Prompt in web UI syntax (BREAK after Pony's quality prefix). */
  readonly uiPrompt: string;
  readonly negative: string;
  readonly width: number;
  readonly height: number;
  readonly steps: number;
  readonly cfg: number;
  /** sd-scripts sampler name. */
  readonly sampler: string;
  /** Web UI sampler, e.g. "DPM++ 2S a Karras". */
  readonly uiSampler: string;
  readonly clipSkip: number;
  /** The epoch's LoRA file. */
  readonly lora: string;
  /** File name the image is stored under in the sweep folder. */
  readonly outName: string;
}

export interface RenderedImage {
  readonly job: SweepJob;
  readonly png: Uint8Array;
  /** Infotext the generator wrote, if any. */
  readonly infotext?: string;
}

export interface SweepBackendContext {
  readonly signal?: AbortSignal;
  /** Called for every finished image (the caller stores it and updates the manifest). */
  readonly onImage: (image: RenderedImage) => Promise<void>;
  readonly onLog?: (line: string) => void;
}

export interface SweepBackendImpl {
  readonly name: 'sd-scripts' | 'a1111' | 'comfyui';
  /** Checks the generator is there and usable before any image (clear errors, no half sweep). */
  check(jobs: readonly SweepJob[]): Promise<void>;
  render(jobs: readonly SweepJob[], context: SweepBackendContext): Promise<void>;
}
