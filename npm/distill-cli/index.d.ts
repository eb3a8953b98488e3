// Types of distill-cli's JavaScript API (index.js).

/** What a run of distill gave: its exit code (0 ok, 1 budget exceeded, 2 failed, 130 interrupted) and output. */
export interface RunResult {
  /** The exit code; 128 + the signal's number when a signal ended distill. */
  code: number;
  /** The signal that ended distill, if one did. */
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Working directory (distill reads ./distill.toml and ./node_modules from it). */
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** A distill binary to run instead of binaryPath(). */
  binary?: string;
  /** Called with each chunk of standard output as it arrives. */
  onStdout?: (text: string) => void;
  /** Called with each chunk of standard error (progress, warnings, summary) as it arrives. */
  onStderr?: (text: string) => void;
}

/** Runs distill with `args` (for example `['build', 'dist']`) and resolves when it exits. */
export function run(args?: readonly string[], options?: RunOptions): Promise<RunResult>;

/** The distill binary for this machine: $DISTILL_BINARY, else the one in its platform package. */
export function binaryPath(): string;

/** Thrown by binaryPath() when there is no binary; its message says how to get one. */
export class BinaryNotFoundError extends Error {
  code: 'DISTILL_BINARY_NOT_FOUND';
}
