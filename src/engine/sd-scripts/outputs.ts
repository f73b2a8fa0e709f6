/**
 * The engine's output file names (sd-scripts.md 6.3, 6.5):
 *   <name>-000001.safetensors ...   one per epoch, except the last epoch
 *   <name>.safetensors              the final file (the last epoch is saved only under this name)
 *   <name>-000001-state/, <name>-state/   optimizer state folders (--save_state)
 *   sample/<name>_e000001_00_<YYYYmmddHHMMSS>_<seed>.png   sample per epoch and prompt index
 */

export interface CheckpointName {
  /** The epoch the file was saved after; undefined for the final file (its epoch is the last). */
  readonly epoch?: number;
  readonly final: boolean;
}

export interface SampleName {
  readonly epoch: number;
  readonly promptIndex: number;
  readonly timestamp: string;
  readonly seed?: number;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function checkpointFileName(outputName: string, epoch: number | 'final'): string {
  return epoch === 'final' ? `${outputName}.safetensors` : `${outputName}-${String(epoch).padStart(6, '0')}.safetensors`;
}

export function parseCheckpointName(outputName: string, fileName: string): CheckpointName | undefined {
  if (fileName === `${outputName}.safetensors`) return { final: true };
  const m = new RegExp(`^${escape(outputName)}-(\\d{6})\\.safetensors$`).exec(fileName);
  return m ? { epoch: Number(m[1]), final: false } : undefined;
}

export function parseSampleName(outputName: string, fileName: string): SampleName | undefined {
  const m = new RegExp(`^${escape(outputName)}_e(\\d{6})_(\\d{2,})_(\\d{14})(?:_(\\d+))?\\.png$`).exec(fileName);
  if (!m) return undefined;
  return { epoch: Number(m[1]), promptIndex: Number(m[2]), timestamp: m[3] as string, ...(m[4] !== undefined ? { seed: Number(m[4]) } : {}) };
}

/** An optimizer-state folder: `<name>-000003-state` (epoch 3) or `<name>-state` (end of training). */
export function parseStateDirName(outputName: string, dirName: string): { readonly epoch?: number; readonly final: boolean } | undefined {
  if (dirName === `${outputName}-state`) return { final: true };
  const m = new RegExp(`^${escape(outputName)}-(\\d{6})-state$`).exec(dirName);
  return m ? { epoch: Number(m[1]), final: false } : undefined;
}
