// distill-cli's JavaScript API: where the distill binary for this machine is (binaryPath) and
// a way to run it and collect its output (run). The launcher and the Vite plugin use both.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { PLATFORMS, hostPlatforms, packageName } from './platforms.js';

const require = createRequire(import.meta.url);

/** Thrown by binaryPath() when no binary can be found; the message says what to do. */
export class BinaryNotFoundError extends Error {
  constructor(message) {
    super(message);
    this.name = 'BinaryNotFoundError';
    this.code = 'DISTILL_BINARY_NOT_FOUND';
  }
}

function repositoryUrl() {
  try {
    const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
    const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
    return url ? url.replace(/^git\+/, '').replace(/\.git$/, '') : undefined;
  } catch {
    return undefined;
  }
}

function notFoundMessage(wanted) {
  const here = `${process.platform}-${process.arch}`;
  const repo = repositoryUrl() ?? "<distill's repository URL>";
  return [
    `distill-cli: no distill binary for this platform (${wanted.join(' or ')}; Node reports ${here}).`,
    `Prebuilt binaries exist for: ${Object.keys(PLATFORMS).join(', ')}.`,
    '',
    wanted.some((p) => p in PLATFORMS)
      ? `The binary comes in the optional dependency ${packageName(wanted.find((p) => p in PLATFORMS))}, ` +
        'which npm leaves out when it runs with --omit=optional or --no-optional, and sometimes when ' +
        'package-lock.json was made on another platform. Install again without those flags, for ' +
        'example: rm -rf node_modules && npm install'
      : 'There is no prebuilt binary for this platform.',
    '',
    'Or build distill from source (needs Rust, a C compiler, cmake and nasm):',
    `  cargo install --locked --git ${repo} distill`,
    'and run it directly, or set DISTILL_BINARY to its path for this launcher.',
  ].join('\n');
}

/**
 * The path of the distill binary to run: $DISTILL_BINARY when set, else the one in this
 * machine's platform package. Throws BinaryNotFoundError when there is none.
 */
export function binaryPath() {
  const override = process.env.DISTILL_BINARY;
  if (override) {
    if (!existsSync(override)) {
      throw new BinaryNotFoundError(`distill-cli: DISTILL_BINARY is set to ${override}, which does not exist.`);
    }
    return override;
  }
  const wanted = hostPlatforms();
  for (const platform of wanted) {
    const info = PLATFORMS[platform];
    if (!info) continue;
    let manifest;
    try {
      manifest = require.resolve(`${packageName(platform)}/package.json`);
    } catch {
      continue;
    }
    const binary = join(dirname(manifest), info.binary);
    if (existsSync(binary)) return binary;
  }
  throw new BinaryNotFoundError(notFoundMessage(wanted));
}

/**
 * Runs distill with `args` and resolves, once it exits, with its exit code and output:
 * `{ code, signal, stdout, stderr }`. `code` is 128 + the signal's number when a signal ended
 * it. Options: `cwd`, `env`, `binary` (instead of binaryPath()), and `onStdout` / `onStderr`
 * (called with each chunk of text as it arrives). Rejects only when distill cannot be started.
 */
export function run(args = [], options = {}) {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(options.binary ?? binaryPath(), args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (error) {
      reject(error);
      return;
    }
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text) => {
      stdout += text;
      options.onStdout?.(text);
    });
    child.stderr.setEncoding('utf8').on('data', (text) => {
      stderr += text;
      options.onStderr?.(text);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const fromSignal = signal ? 128 + (constants.signals[signal] ?? 0) : null;
      resolve({ code: code ?? fromSignal, signal, stdout, stderr });
    });
  });
}
