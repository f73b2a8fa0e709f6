/** Command-line options of the bench scripts: `--name value` pairs after the script name. */
export const BENCH_ARGS = process.argv.slice(2);

/** The value after `--name`, or `fallback`. */
export function benchArg(name: string, fallback: string): string {
  const i = BENCH_ARGS.indexOf(`--${name}`);
  return i >= 0 && BENCH_ARGS[i + 1] ? (BENCH_ARGS[i + 1] as string) : fallback;
}
