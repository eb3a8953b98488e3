// Shared by the npm tests (node --test tests/npm/): the distill binary under test, the packaging
// script, and running commands without blocking the test's own event loop (the comment test
// serves HTTP from it while a child process talks to it).

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PLATFORMS, hostPlatforms } from '../../npm/distill-cli/platforms.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PACKAGE_SCRIPT = join(REPO, 'npm', 'package.mjs');

/** Cargo.toml's package version, which the packages must carry. */
export const VERSION = readFileSync(join(REPO, 'Cargo.toml'), 'utf8').match(/^version\s*=\s*"([^"]+)"/m)[1];

/** The platform package name this machine uses (linux-x64-gnu here). */
export function hostPlatform() {
  const platform = hostPlatforms().find((p) => p in PLATFORMS);
  if (!platform) throw new Error(`distill-cli has no platform package for ${process.platform}-${process.arch}`);
  return platform;
}

/** A fresh temporary folder, removed when the process exits. */
export function tempDir(name) {
  const dir = mkdtempSync(join(tmpdir(), `distill-npm-${name}-`));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A copy of the distill binary under test ($DISTILL_TEST_BINARY; the Rust harness passes
 * CARGO_BIN_EXE_distill) in `dir`. Debug information is stripped from the copy when `strip` is
 * there (DISTILL_TEST_STRIP=0 keeps it): a debug build is ~560 MB, 50 MB without it, and
 * npm pack and npm install then take seconds instead of a minute. The code is the same.
 */
export function testBinary(dir) {
  const source = process.env.DISTILL_TEST_BINARY;
  if (!source) {
    throw new Error(
      'DISTILL_TEST_BINARY is not set: point it at a built distill binary, e.g. ' +
        'DISTILL_TEST_BINARY=target/debug/distill node --test tests/npm/',
    );
  }
  if (!existsSync(source)) throw new Error(`DISTILL_TEST_BINARY=${source} does not exist`);
  const copy = join(dir, process.platform === 'win32' ? 'distill.exe' : 'distill');
  copyFileSync(source, copy);
  chmodSync(copy, 0o755);
  if (process.platform === 'linux' && process.env.DISTILL_TEST_STRIP !== '0') {
    spawnSync('strip', ['--strip-debug', copy], { stdio: 'ignore' }); // best effort
  }
  return copy;
}

/** Runs a command; resolves with { code, signal, stdout, stderr } (never rejects on exit codes). */
export function exec(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t) => (stderr += t));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, child }));
    options.onSpawn?.(child);
  });
}

/** Runs npm/package.mjs; resolves with its JSON output, or rejects with its stderr. */
export async function runPackageScript(args) {
  const result = await exec(process.execPath, [PACKAGE_SCRIPT, ...args]);
  if (result.code !== 0) throw new Error(`package.mjs ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}
