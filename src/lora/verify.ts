/**
 * Verify: does every module of a LoRA land on a weight of a given base model, with the right
 * shape? Only the base model's safetensors header is read (a 6.5 GB checkpoint costs a few
 * hundred KB of I/O). Base files may be single-file checkpoints (A1111/ComfyUI style,
 * `model.diffusion_model.*`, `conditioner.embedders.*` / `cond_stage_model.*`) or diffusers
 * component files (unet/diffusion_pytorch_model.safetensors, text_encoder/model.safetensors).
 */
import { finding, type Finding } from '../core/index.js';
import { loraErrors } from './errors.js';
import type { LayoutModule } from './layout.js';
import { archLabel, detectArchitecture, scanModules, type DetectedArch, type LoraModule } from './modules.js';
import type { SafetensorsFile, TensorInfo } from './safetensors-read.js';

export type BaseFormat = 'checkpoint' | 'diffusers-unet' | 'diffusers-text-encoder';

export interface ModuleMismatch {
  readonly module: string;
  readonly baseKey: string;
  /** What the LoRA module needs, e.g. "1280x2048". */
  readonly expected: string;
  /** What the base holds ("missing" when the key is absent). */
  readonly found: string;
}

export interface VerifyResult {
  readonly lora: string;
  readonly base: string;
  readonly baseFormat: BaseFormat;
  readonly loraArch: DetectedArch;
  readonly checked: number;
  readonly matched: number;
  /** Modules of parts this base file does not hold (e.g. text encoder modules vs a U-Net file). */
  readonly notCovered: number;
  readonly problems: readonly ModuleMismatch[];
  readonly ok: boolean;
  readonly findings: readonly Finding[];
}

function detectBaseFormat(tensors: readonly TensorInfo[], file: string): { format: BaseFormat; textPart?: 'te1' | 'te2' } {
  const names = tensors.map((t) => t.name);
  if (names.some((n) => n.startsWith('model.diffusion_model.'))) return { format: 'checkpoint' };
  if (names.some((n) => /^(down_blocks|up_blocks|mid_block)\./.test(n))) return { format: 'diffusers-unet' };
  const q = tensors.find((t) => t.name === 'text_model.encoder.layers.0.self_attn.q_proj.weight');
  if (q) return { format: 'diffusers-text-encoder', textPart: q.shape[0] === 1280 ? 'te2' : 'te1' };
  throw loraErrors.create('LORA_NOT_A_BASE_MODEL', `${file} holds no weights of a known base model layout (no model.diffusion_model.*, down_blocks.* or text_model.* keys).`, 'Pass the checkpoint you generate with (.safetensors), or a diffusers unet/text_encoder file.', { details: { file } });
}

const shapeText = (out: number, inF: number, kernel: number) => `${out}x${inF}${kernel > 1 ? `x${kernel}x${kernel}` : ''}`;

export function verifyAgainstBase(lora: SafetensorsFile, base: SafetensorsFile): VerifyResult {
  const scan = scanModules(lora.header.tensors);
  if (scan.modules.length === 0) throw loraErrors.create('LORA_NOT_A_LORA', `${lora.file} holds no LoRA modules tack recognises.`, 'Check that the first argument is the LoRA and --base the base model.', { details: { file: lora.file } });
  const detection = detectArchitecture(scan.modules, lora.header.metadata);
  const { format, textPart } = detectBaseFormat(base.header.tensors, base.file);
  const baseByName = new Map(base.header.tensors.map((t) => [t.name, t]));
  // For module names outside tack's layout, map the checkpoint's own keys the way loaders do.
  const generic = new Map<string, string>();
  if (format === 'checkpoint') {
    for (const t of base.header.tensors) {
      const m = /^model\.diffusion_model\.(.+)\.weight$/.exec(t.name);
      if (m) generic.set(`lora_unet_${(m[1] as string).replace(/\./g, '_')}`, t.name);
    }
  }
  const problems: ModuleMismatch[] = [];
  let matched = 0;
  let notCovered = 0;
  const check = (module: LoraModule, key: string, rows?: readonly [number, number]) => {
    const expected = shapeText(module.outFeatures ?? 0, module.inFeatures ?? 0, module.conv ? module.kernel : 1);
    const t = baseByName.get(key);
    if (!t) {
      problems.push({ module: module.name, baseKey: key, expected, found: 'missing' });
      return;
    }
    const out = rows ? rows[1] - rows[0] : (t.shape[0] ?? 0);
    const inF = t.shape[1] ?? 0;
    const kernel = t.shape.length === 4 ? (t.shape[2] ?? 1) : 1;
    const rowsFit = !rows || (t.shape[0] ?? 0) >= rows[1];
    // A linear LoRA on a 1x1 conv (or the reverse) has the same numbers but not the same shape.
    const kernelFits = module.conv ? t.shape.length === 4 && kernel === module.kernel : t.shape.length === 2;
    if (rowsFit && out === module.outFeatures && inF === module.inFeatures && kernelFits) matched++;
    else problems.push({ module: module.name, baseKey: key, expected, found: `${t.shape.join('x')}${rows ? ` (rows ${rows[0]}-${rows[1]})` : ''}` });
  };
  for (const module of scan.modules) {
    const target: LayoutModule | undefined = detection.matched.get(module.name);
    if (format === 'checkpoint') {
      if (target) check(module, target.baseKey, target.baseRows);
      else if (generic.has(module.name)) check(module, generic.get(module.name) as string);
      else problems.push({ module: module.name, baseKey: '(no matching weight name)', expected: shapeText(module.outFeatures ?? 0, module.inFeatures ?? 0, module.kernel), found: 'missing' });
      continue;
    }
    const part = format === 'diffusers-unet' ? 'unet' : textPart;
    if (!target) {
      problems.push({ module: module.name, baseKey: '(no matching weight name)', expected: shapeText(module.outFeatures ?? 0, module.inFeatures ?? 0, module.kernel), found: 'missing' });
    } else if (target.part !== part) notCovered++;
    else check(module, `${target.diffusers}.weight`);
  }
  const checked = scan.modules.length - notCovered;
  const findings: Finding[] = [];
  if (problems.length > 0) {
    const missing = problems.filter((p) => p.found === 'missing').length;
    findings.push(finding('error', 'LORA_VERIFY_MISMATCH', `${problems.length} of ${checked} modules do not fit ${base.file} (${missing} without a base weight, ${problems.length - missing} with another shape).`, { subject: lora.file, fix: `This LoRA was made for a different base model than ${base.file}; it is ${archLabel(detection.arch)} by its keys.`, data: { problems: problems.length, missing } }));
  }
  if (notCovered > 0) findings.push(finding('info', 'LORA_VERIFY_NOT_COVERED', `${notCovered} modules belong to parts that ${base.file} does not hold (it is a ${format} file); they were not checked.`, { subject: base.file }));
  return { lora: lora.file, base: base.file, baseFormat: format, loraArch: detection.arch, checked, matched, notCovered, problems, ok: problems.length === 0, findings };
}
