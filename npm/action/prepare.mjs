#!/usr/bin/env node
// The GitHub Action's first step: works out the names and paths the later steps share (the
// project id and its slug, the report folder, the npm version to install, the image cache's
// folder and keys) and writes them as step outputs.
//
// Environment: INPUT_ID, INPUT_WORKING_DIRECTORY, INPUT_VERSION, INPUT_BINARY, RUNNER_TEMP,
// RUNNER_OS, GITHUB_WORKSPACE.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setOutput, slugOf } from './lib.mjs';

const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb'];

/** This action's own version: the distill version of the checkout the action runs from. */
function ownVersion() {
  const cargo = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'Cargo.toml'), 'utf8');
  const table = cargo.split(/^\[/m).find((t) => t.startsWith('package]')) ?? '';
  const version = table.match(/^version\s*=\s*"([^"]+)"/m)?.[1];
  if (!version) throw new Error("cannot read the action's version from Cargo.toml");
  return version;
}

/** A short digest of the nearest lockfile, from `dir` up to the workspace, or `nolock`. */
function lockHash(dir, workspace) {
  for (let at = dir; ; at = dirname(at)) {
    for (const name of LOCKFILES) {
      const path = join(at, name);
      if (existsSync(path)) return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
    }
    if (at === workspace || relative(workspace, at).startsWith('..') || dirname(at) === at) return 'nolock';
  }
}

const env = process.env;
const workspace = resolve(env.GITHUB_WORKSPACE || '.');
const workingDirectory = env.INPUT_WORKING_DIRECTORY || '.';
const id = env.INPUT_ID || workingDirectory.replace(/\/+$/, '') || '.';
const slug = slugOf(id);
const temp = resolve(env.RUNNER_TEMP || '.', 'distill');
const version = env.INPUT_VERSION || ownVersion();
const prefix = join(temp, `npm-${slugOf(version)}`);
const installed = existsSync(join(prefix, 'node_modules', 'distill-cli', 'package.json'));
const cacheKey = `distill-images-${env.RUNNER_OS || process.platform}-${slug}-${lockHash(resolve(workspace, workingDirectory), workspace)}`;

mkdirSync(join(temp, slug), { recursive: true });
setOutput('id', id);
setOutput('slug', slug);
setOutput('reports', join(temp, slug));
setOutput('baseline-dir', join(temp, slug, 'baseline'));
setOutput('version', version);
setOutput('npm-prefix', prefix);
setOutput('install', !env.INPUT_BINARY && !installed ? 'true' : 'false');
setOutput('cache-dir', join(temp, 'image-cache', slug));
setOutput('cache-key', cacheKey);
setOutput('cache-restore-keys', `${cacheKey}-\ndistill-images-${env.RUNNER_OS || process.platform}-${slug}-`);
console.log(`distill: project "${id}" (${slug}), distill-cli ${env.INPUT_BINARY ? `binary ${env.INPUT_BINARY}` : version}`);
