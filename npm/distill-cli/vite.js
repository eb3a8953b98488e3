// distill-cli's Vite plugin: once `vite build` has written its output folder, run
// `distill build` on it, print distill's output through Vite's logger, and make the build fail
// when distill fails (exit 2) or a budget is exceeded (exit 1, unless failOnBudget is false).
//
//   import distill from 'distill-cli/vite';
//   export default { plugins: [distill({ config: 'distill.toml' })] };

import { isAbsolute, relative, resolve } from 'node:path';
import { run } from './index.js';

/** The `distill build` arguments for `outDir` and the plugin's options. */
export function buildArgs(outDir, options = {}) {
  const args = ['build', outDir];
  const value = (flag, v) => {
    if (v !== undefined && v !== null && v !== '') args.push(flag, String(v));
  };
  value('--out', options.out);
  value('--config', options.config);
  value('--cache-dir', options.cacheDir);
  value('--jobs', options.jobs);
  if (options.strict) args.push('--strict');
  if (options.budgets === false) args.push('--no-budgets');
  value('--baseline', options.baseline);
  for (const report of [options.report ?? []].flat()) value('--report', report);
  if (options.quiet) args.push('--quiet');
  if (options.verbose) args.push('--verbose');
  args.push(...(options.args ?? []));
  return args;
}

/** Calls `log(line)` for each complete line of a stream of text chunks. */
function lines(log) {
  let pending = '';
  return {
    write(text) {
      pending += text;
      const parts = pending.split(/\r?\n/);
      pending = parts.pop();
      for (const line of parts) log(line);
    },
    end() {
      if (pending) log(pending);
      pending = '';
    },
  };
}

/** An error Vite prints as its message alone: the stack of this plugin would only be noise. */
function failure(message, cause) {
  const error = new Error(message, { cause });
  error.stack = message;
  return error;
}

export default function distill(options = {}) {
  let config;
  return {
    name: 'distill',
    apply: 'build',
    enforce: 'post',
    configResolved(resolved) {
      config = resolved;
    },
    async closeBundle(error) {
      if (error) return; // the bundle itself failed: Vite reports that
      // Vite 6+ builds each environment with its own config (this.environment); only the
      // browser's output is a site, so server (SSR) builds and unwritten ones are skipped.
      const environment = this.environment?.config ?? config;
      const build = environment.build;
      if (build.ssr || build.write === false || environment.consumer === 'server') return;

      const logger = config.logger;
      const outDir = resolve(config.root, build.outDir);
      // distill runs in Vite's root, so a folder inside it is named relatively, as a user would.
      const rel = relative(config.root, outDir);
      const args = buildArgs(rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : outDir, options);
      logger.info(`\ndistill ${args.join(' ')}`);
      const out = lines((line) => logger.info(line));
      const err = lines((line) => {
        if (/^(error|warning):/.test(line)) logger[line.startsWith('error') ? 'error' : 'warn'](line);
        else logger.info(line);
      });

      let result;
      try {
        result = await run(args, {
          cwd: config.root,
          binary: options.binary,
          onStdout: (text) => out.write(text),
          onStderr: (text) => err.write(text),
        });
      } catch (e) {
        throw failure(`distill could not be run: ${e.message}`, e);
      } finally {
        out.end();
        err.end();
      }

      if (result.code === 0) return;
      if (result.code === 1) {
        const message = `distill: a budget was exceeded (see the budgets above); the output in ${outDir} was written all the same`;
        if (options.failOnBudget === false) {
          logger.warn(`${message}. failOnBudget is false, so the build passes.`);
          return;
        }
        throw failure(`${message}. Set failOnBudget: false in the distill plugin's options to let the build pass.`);
      }
      const last = result.stderr.trim().split('\n').filter((l) => /^error/.test(l)).pop();
      throw failure(
        result.signal
          ? `distill was stopped by ${result.signal}; ${outDir} is as Vite wrote it`
          : `distill build failed (exit code ${result.code})${last ? `: ${last}` : ''}; ${outDir} is as Vite wrote it`,
      );
    },
  };
}
