#!/usr/bin/env node
// The packaging script: turns one built distill binary into its npm packages, the platform
// package (@distill-cli/<platform>: package.json + the binary) and the main package
// (distill-cli: the launcher, the JS API, the Vite plugin, every platform package pinned as an
// optional dependency). The release workflow runs it on each platform's runner, the tests here.
//
//   node npm/package.mjs --binary target/release/distill --platform linux-x64-gnu --out dist-npm [--version 0.1.0] [--pack]
//
// Writes DIR/<platform>/ and DIR/distill-cli/ (replacing them), and prints a JSON object from
// package name to folder, or with --pack to the tarball `npm pack` made of it. The output
// depends only on the inputs: keys are sorted, file modes are set.

import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync, constants, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PLATFORMS, packageName } from './distill-cli/platforms.js';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'distill-cli');
const cargoToml = join(here, '..', 'Cargo.toml');

function fail(message) {
  process.stderr.write(`package.mjs: ${message}\n`);
  process.exit(2);
}

/** A `key = "value"` of Cargo.toml's [package] table. */
function cargoPackageField(key) {
  const text = readFileSync(cargoToml, 'utf8');
  const table = text.split(/^\[/m).find((t) => t.startsWith('package]')) ?? '';
  return table.match(new RegExp(`^${key}\\s*=\\s*"([^"]*)"`, 'm'))?.[1];
}

/** JSON with every object's keys sorted, two-space indented, newline-terminated. */
function sortedJson(value) {
  const sort = (v) =>
    Array.isArray(v) ? v.map(sort)
    : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])]))
    : v;
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

function writeFile(path, text, mode = 0o644) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, mode);
}

function common(version, repository) {
  return {
    version,
    license: 'MIT OR Apache-2.0',
    ...(repository ? { repository: { type: 'git', url: `git+${repository.replace(/\.git$/, '')}.git` } } : {}),
  };
}

function writePlatformPackage(dir, platform, binary, version, repository) {
  const info = PLATFORMS[platform];
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const manifest = {
    name: packageName(platform),
    ...common(version, repository),
    description: `The ${platform} binary of distill-cli (${info.target}). Install distill-cli, which depends on it.`,
    os: [info.os],
    cpu: [info.cpu],
    ...(info.libc ? { libc: [info.libc] } : {}),
    files: [info.binary],
    preferUnplugged: true,
  };
  writeFile(join(dir, 'package.json'), sortedJson(manifest));
  writeFile(
    join(dir, 'README.md'),
    `# ${manifest.name}\n\nThe \`distill\` binary for ${platform} (Rust target \`${info.target}\`).\n` +
      'Do not install it directly: install `distill-cli`, whose launcher picks the package for your platform.\n',
  );
  copyFileSync(binary, join(dir, info.binary));
  chmodSync(join(dir, info.binary), 0o755);
}

function writeMainPackage(dir, version, repository) {
  rmSync(dir, { recursive: true, force: true });
  const manifest = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
  delete manifest['//'];
  delete manifest.private;
  Object.assign(manifest, common(version, repository));
  manifest.optionalDependencies = Object.fromEntries(Object.keys(PLATFORMS).map((p) => [packageName(p), version]));
  for (const file of manifest.files) {
    const mode = Object.values(manifest.bin).includes(file) ? 0o755 : 0o644;
    writeFile(join(dir, file), readFileSync(join(source, file)), mode);
  }
  writeFile(join(dir, 'package.json'), sortedJson(manifest));
}

/** Runs `npm pack` in `dir`, puts the tarball in `destination`, returns its path. */
function pack(dir, destination) {
  const windows = process.platform === 'win32';
  const quote = (arg) => (windows ? `"${arg}"` : arg);
  const stdout = execFileSync('npm', ['pack', '--json', '--pack-destination', quote(destination)], {
    cwd: dir,
    encoding: 'utf8',
    shell: windows, // npm is npm.cmd there
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return join(destination, JSON.parse(stdout)[0].filename);
}

function main() {
  const { values } = parseArgs({
    options: {
      binary: { type: 'string' },
      platform: { type: 'string' },
      out: { type: 'string' },
      version: { type: 'string' },
      pack: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 11).join('\n') + '\n');
    return;
  }
  for (const required of ['binary', 'platform', 'out']) {
    if (!values[required]) fail(`--${required} is required (--help says more)`);
  }
  const { platform } = values;
  if (!(platform in PLATFORMS)) {
    fail(`unknown platform "${platform}"; the platforms are: ${Object.keys(PLATFORMS).join(', ')}`);
  }
  const binary = resolve(values.binary);
  let stat;
  try {
    stat = statSync(binary);
  } catch {
    fail(`the binary ${binary} does not exist`);
  }
  if (!stat.isFile()) fail(`the binary ${binary} is not a file`);
  if (process.platform !== 'win32') {
    try {
      accessSync(binary, constants.X_OK);
    } catch {
      fail(`the binary ${binary} is not executable (chmod +x it)`);
    }
  }
  const version = values.version ?? cargoPackageField('version');
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version ?? '')) {
    fail(`"${version}" is not a version (from --version or Cargo.toml)`);
  }
  const repository = cargoPackageField('repository');
  const out = resolve(values.out);
  const dirs = {
    [packageName(platform)]: join(out, platform),
    'distill-cli': join(out, 'distill-cli'),
  };
  writePlatformPackage(dirs[packageName(platform)], platform, binary, version, repository);
  writeMainPackage(dirs['distill-cli'], version, repository);
  const result = values.pack
    ? Object.fromEntries(Object.entries(dirs).map(([name, dir]) => [name, pack(dir, out)]))
    : dirs;
  process.stdout.write(sortedJson(result));
}

main();
