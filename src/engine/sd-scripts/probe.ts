/**
 * A small Python program run with the engine's own interpreter: it reports the Python
 * version, torch and CUDA, every GPU with its memory, bf16 support, and which of sd-scripts'
 * dependencies import. The engine module only describes it and reads its answer; src/run
 * executes it.
 */

/** Modules sd-scripts needs at run time (sd-scripts.md 9) and the optional ones tack uses. */
export const REQUIRED_MODULES = ['accelerate', 'transformers', 'diffusers', 'safetensors', 'voluptuous', 'toml'] as const;
export const OPTIONAL_MODULES = ['bitsandbytes', 'xformers'] as const;

const MARK = 'TACK_PROBE ';

export function probeScript(modules: readonly string[]): string {
  return [
    'import json, sys',
    'r = {"python": sys.version.split()[0], "executable": sys.executable, "modules": {}, "missing": {}}',
    'try:',
    '    import torch',
    '    r["torch"] = str(torch.__version__)',
    '    r["cuda_available"] = bool(torch.cuda.is_available())',
    '    r["cuda_version"] = getattr(torch.version, "cuda", None)',
    '    gpus = []',
    '    if r["cuda_available"]:',
    '        for i in range(torch.cuda.device_count()):',
    '            p = torch.cuda.get_device_properties(i)',
    '            gpus.append({"index": i, "name": str(p.name), "memoryBytes": int(p.total_memory), "capability": [int(p.major), int(p.minor)]})',
    '        try:',
    '            r["bf16"] = bool(torch.cuda.is_bf16_supported())',
    '        except Exception:',
    '            r["bf16"] = None',
    '    r["gpus"] = gpus',
    '    try:',
    '        r["mps"] = bool(torch.backends.mps.is_available())',
    '    except Exception:',
    '        r["mps"] = False',
    '    try:',
    '        import torch.nn.functional as F',
    '        r["sdpa"] = hasattr(F, "scaled_dot_product_attention")',
    '    except Exception:',
    '        r["sdpa"] = None',
    'except Exception as e:',
    '    r["torchError"] = "%s: %s" % (type(e).__name__, e)',
    `for name in ${JSON.stringify(modules)}:`,
    '    try:',
    '        m = __import__(name)',
    '        r["modules"][name] = str(getattr(m, "__version__", "?"))',
    '    except Exception as e:',
    '        r["missing"][name] = "%s: %s" % (type(e).__name__, e)',
    `print(${JSON.stringify(MARK)} + json.dumps(r), flush=True)`,
  ].join('\n');
}

export interface ProbeGpu {
  readonly index: number;
  readonly name: string;
  readonly memoryBytes: number;
  readonly capability: readonly [number, number];
}

export interface ProbeResult {
  readonly python: string;
  readonly executable: string;
  readonly torch?: string;
  readonly torchError?: string;
  readonly cudaAvailable: boolean;
  readonly cudaVersion?: string | null;
  readonly gpus: readonly ProbeGpu[];
  readonly bf16?: boolean | null;
  /** torch.backends.mps.is_available(): an Apple GPU accelerate can train on. */
  readonly mps: boolean;
  /** torch has scaled_dot_product_attention (torch 2), which --sdpa needs; null when unknown. */
  readonly sdpa: boolean | null;
  readonly modules: Readonly<Record<string, string>>;
  readonly missing: Readonly<Record<string, string>>;
}

/** Reads the probe's answer from its stdout; undefined when it printed none. */
export function parseProbeOutput(stdout: string): ProbeResult | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(MARK));
  if (!line) return undefined;
  try {
    const raw = JSON.parse(line.slice(MARK.length)) as Record<string, unknown>;
    return {
      python: String(raw.python ?? '?'),
      executable: String(raw.executable ?? ''),
      ...(typeof raw.torch === 'string' ? { torch: raw.torch } : {}),
      ...(typeof raw.torchError === 'string' ? { torchError: raw.torchError } : {}),
      cudaAvailable: raw.cuda_available === true,
      cudaVersion: (raw.cuda_version as string | null | undefined) ?? null,
      gpus: Array.isArray(raw.gpus) ? (raw.gpus as ProbeGpu[]) : [],
      bf16: (raw.bf16 as boolean | null | undefined) ?? null,
      mps: raw.mps === true,
      sdpa: typeof raw.sdpa === 'boolean' ? raw.sdpa : null,
      modules: (raw.modules ?? {}) as Record<string, string>,
      missing: (raw.missing ?? {}) as Record<string, string>,
    };
  } catch {
    return undefined;
  }
}

/** GPU memory in GiB as torch reports it (total_memory is in bytes). */
export function gpuMemoryGiB(gpu: ProbeGpu): number {
  return gpu.memoryBytes / 1024 ** 3;
}

/** Compares dotted versions numerically (2.10.0 > 2.6.0); non-numeric tails are ignored. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split(/[.+]/).map((p) => Number.parseInt(p, 10));
  const b = minimum.split('.').map((p) => Number.parseInt(p, 10));
  for (let i = 0; i < b.length; i++) {
    const x = Number.isFinite(a[i]) ? (a[i] as number) : 0;
    const y = b[i] as number;
    if (x !== y) return x > y;
  }
  return true;
}
