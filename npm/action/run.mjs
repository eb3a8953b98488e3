#!/usr/bin/env node
// The GitHub Action's main step: runs `distill build` or `distill check` in the working
// directory with the JSON and Markdown reports written to the action's folder and the `github`
// report (annotations; distill itself appends the Markdown to $GITHUB_STEP_SUMMARY), then
// records the outcome as step outputs. It exits 0 whatever distill did, so that the comment is
// still posted; the action's last step fails the job with distill's exit code.
//
// Environment: INPUT_COMMAND, INPUT_DIR, INPUT_ARGS, INPUT_BINARY, INPUT_BASELINE,
// DISTILL_REPORTS, DISTILL_NPM_PREFIX, DISTILL_CACHE_DIR (empty: no cache), DISTILL_BASELINE_DIR.
// Outputs: exit-code, status, report, markdown, cache-key.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setOutput } from './lib.mjs';

const env = process.env;

/** Splits `--jobs 2 --config "my config.toml"` as a shell would (quotes, no expansion). */
function splitArgs(text) {
  const args = [];
  const re = /"((?:\\.|[^"\\])*)"|'([^']*)'|(\S+)/g;
  let current = null;
  let last = -1;
  for (const m of text.matchAll(re)) {
    const piece = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]);
    // Pieces with no space between them (--flag="a b") are one argument.
    if (current !== null && m.index === last) current += piece;
    else {
      if (current !== null) args.push(current);
      current = piece;
    }
    last = m.index + m[0].length;
  }
  if (current !== null) args.push(current);
  return args;
}

async function binary() {
  if (env.INPUT_BINARY) return resolve(env.GITHUB_WORKSPACE || '.', env.INPUT_BINARY);
  const api = join(env.DISTILL_NPM_PREFIX, 'node_modules', 'distill-cli', 'index.js');
  const { binaryPath } = await import(pathToFileURL(api).href);
  return binaryPath();
}

/** A digest of the image cache's file names and sizes: a new one means there is more to save. */
function cacheDigest(dir) {
  if (!existsSync(dir)) return undefined;
  const hash = createHash('sha256');
  const walk = (at) => {
    for (const entry of readdirSync(at, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(`${relative(dir, path)}\0${statSync(path).size}\n`);
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 16);
}

function baselineArgs() {
  const baseline = env.INPUT_BASELINE;
  if (!baseline) return [];
  if (baseline === 'base-branch') {
    const path = join(env.DISTILL_BASELINE_DIR, 'distill-report.json');
    if (existsSync(path)) return ['--baseline', path];
    console.log('distill: no baseline report from the base branch: comparing with nothing');
    return [];
  }
  return ['--baseline', baseline];
}

async function main() {
  const command = env.INPUT_COMMAND || 'build';
  if (command !== 'build' && command !== 'check') throw new Error(`command must be build or check, not "${command}"`);
  const reports = env.DISTILL_REPORTS;
  const json = join(reports, 'distill-report.json');
  const markdown = join(reports, 'distill-report.md');
  const cacheDir = command === 'build' ? env.DISTILL_CACHE_DIR : '';
  const args = [
    command,
    env.INPUT_DIR || 'dist',
    ...(cacheDir ? ['--cache-dir', cacheDir] : []),
    ...baselineArgs(),
    '--report', `json=${json}`,
    '--report', `markdown=${markdown}`,
    '--report', 'github',
    ...splitArgs(env.INPUT_ARGS || ''),
  ];
  const bin = await binary();
  console.log(`distill ${args.join(' ')}`);
  const result = spawnSync(bin, args, { stdio: 'inherit' });
  if (result.error) throw new Error(`could not run ${bin}: ${result.error.message}`);
  const code = result.status ?? 128;

  let status = 'error';
  if (existsSync(json)) {
    try {
      status = JSON.parse(readFileSync(json, 'utf8')).status ?? status;
    } catch {
      // A half-written report: keep "error".
    }
  }
  setOutput('exit-code', code);
  setOutput('status', status);
  setOutput('report', existsSync(json) ? json : '');
  setOutput('markdown', existsSync(markdown) ? markdown : '');
  const digest = cacheDir ? cacheDigest(cacheDir) : undefined;
  setOutput('cache-key', digest ? `${env.DISTILL_CACHE_KEY}-${digest}` : '');
}

main().catch((error) => {
  console.log(`::error::distill: ${error.message}`);
  setOutput('exit-code', 2);
  setOutput('status', 'error');
});
