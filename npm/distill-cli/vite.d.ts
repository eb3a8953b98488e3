// Types of distill-cli's Vite plugin (vite.js).

import type { Plugin } from 'vite';

export interface DistillViteOptions {
  /** `--out`: write the result here and leave Vite's output folder as it is. */
  out?: string;
  /** `--config`: read this file instead of ./distill.toml (relative to Vite's root). */
  config?: string;
  /** `--cache-dir`: where encoded images are cached between builds. */
  cacheDir?: string;
  /** `--jobs`: worker threads. */
  jobs?: number;
  /** `--strict`: any asset warning fails the build. */
  strict?: boolean;
  /** `false`: `--no-budgets`. */
  budgets?: boolean;
  /** `--baseline`: an earlier JSON report to compare with. */
  baseline?: string;
  /** `--report FORMAT[=PATH]`, once per entry. */
  report?: string | string[];
  /** `--quiet`: only warnings and errors. */
  quiet?: boolean;
  /** `--verbose`: notes, timings and every budget. */
  verbose?: boolean;
  /** More arguments, passed as they are. */
  args?: string[];
  /** A distill binary to run instead of the installed one. */
  binary?: string;
  /** `false`: a budget exceeded (exit 1) is a warning and the build passes. Default `true`. */
  failOnBudget?: boolean;
}

/** Runs `distill build` on Vite's output folder once the bundle is written. */
export default function distill(options?: DistillViteOptions): Plugin;

/** The `distill build` arguments the plugin passes for `outDir` and `options`. */
export function buildArgs(outDir: string, options?: DistillViteOptions): string[];
