// The packaging script (npm/package.mjs): both packages with the right os/cpu/libc fields,
// versions pinned to Cargo.toml's, the binary executable, the same output for the same input,
// its checks of the arguments, and `--pack` tarballs made by npm pack.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { PLATFORMS } from '../../npm/distill-cli/platforms.js';
import { PACKAGE_SCRIPT, VERSION, exec, hostPlatform, runPackageScript, tempDir, testBinary } from './helpers.mjs';

const posix = process.platform !== 'win32';
let tmp;
let fake; // a small executable standing in for the binary where its content does not matter

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const mode = (path) => statSync(path).mode & 0o777;

/** Every object's keys in sorted order. */
function assertSortedKeys(value, where = '') {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return;
  const keys = Object.keys(value);
  assert.deepEqual(keys, [...keys].sort(), `keys of ${where || 'the top level'} are sorted`);
  for (const key of keys) assertSortedKeys(value[key], `${where}.${key}`);
}

before(() => {
  tmp = tempDir('package');
  fake = join(tmp, 'fake-distill');
  writeFileSync(fake, '#!/bin/sh\necho fake\n', { mode: 0o755 });
});

describe('every platform', () => {
  for (const [platform, info] of Object.entries(PLATFORMS)) {
    test(platform, async () => {
      const out = join(tmp, `all-${platform}`);
      const dirs = await runPackageScript(['--binary', fake, '--platform', platform, '--out', out]);
      const name = `@distill-cli/${platform}`;
      assert.deepEqual(dirs, { [name]: join(out, platform), 'distill-cli': join(out, 'distill-cli') });

      const manifest = readJson(join(out, platform, 'package.json'));
      assert.equal(manifest.name, name);
      assert.equal(manifest.version, VERSION);
      assert.deepEqual(manifest.os, [info.os]);
      assert.deepEqual(manifest.cpu, [info.cpu]);
      if (info.os === 'linux') assert.deepEqual(manifest.libc, [platform.endsWith('-musl') ? 'musl' : 'glibc']);
      else assert.equal(manifest.libc, undefined);
      assert.equal(manifest.preferUnplugged, true);
      const binaryName = platform.startsWith('win32') ? 'distill.exe' : 'distill';
      assert.deepEqual(manifest.files, [binaryName]);
      assert.equal(manifest.bin, undefined, 'only distill-cli has a bin');
      assertSortedKeys(manifest);

      const binary = join(out, platform, binaryName);
      assert.equal(readFileSync(binary, 'utf8'), readFileSync(fake, 'utf8'));
      if (posix) assert.equal(mode(binary), 0o755);
      assert.deepEqual(readdirSync(join(out, platform)).sort(), ['README.md', binaryName, 'package.json'].sort());
    });
  }
});

test('the main package: files, bin, exports, every platform pinned to the version', async () => {
  const out = join(tmp, 'main');
  await runPackageScript(['--binary', fake, '--platform', 'linux-x64-gnu', '--out', out]);
  const dir = join(out, 'distill-cli');
  const manifest = readJson(join(dir, 'package.json'));
  assert.equal(manifest.name, 'distill-cli');
  assert.equal(manifest.version, VERSION);
  assert.equal(manifest.private, undefined);
  assert.equal(manifest['//'], undefined);
  assert.deepEqual(manifest.bin, { distill: 'bin/distill.js' });
  assert.deepEqual(manifest.exports, { '.': './index.js', './package.json': './package.json', './vite': './vite.js' });
  assert.deepEqual(
    manifest.optionalDependencies,
    Object.fromEntries(Object.keys(PLATFORMS).sort().map((p) => [`@distill-cli/${p}`, VERSION])),
  );
  assert.equal(manifest.dependencies, undefined, 'no dependencies');
  assertSortedKeys(manifest);
  for (const file of manifest.files) {
    assert.equal(readFileSync(join(dir, file), 'utf8'), readFileSync(join(PACKAGE_SCRIPT, '..', 'distill-cli', file), 'utf8'), file);
  }
  if (posix) {
    assert.equal(mode(join(dir, 'bin', 'distill.js')), 0o755);
    assert.equal(mode(join(dir, 'index.js')), 0o644);
  }
});

test('the same input gives the same output; --version overrides Cargo.toml', async () => {
  const a = join(tmp, 'same-a');
  const b = join(tmp, 'same-b');
  await runPackageScript(['--binary', fake, '--platform', 'darwin-arm64', '--out', a]);
  await runPackageScript(['--binary', fake, '--platform', 'darwin-arm64', '--out', b]);
  for (const file of ['darwin-arm64/package.json', 'darwin-arm64/README.md', 'distill-cli/package.json', 'distill-cli/index.js']) {
    assert.equal(readFileSync(join(a, file), 'utf8'), readFileSync(join(b, file), 'utf8'), file);
  }
  const c = join(tmp, 'versioned');
  await runPackageScript(['--binary', fake, '--platform', 'darwin-arm64', '--out', c, '--version', '1.2.3-rc.1']);
  assert.equal(readJson(join(c, 'darwin-arm64', 'package.json')).version, '1.2.3-rc.1');
  const main = readJson(join(c, 'distill-cli', 'package.json'));
  assert.equal(main.version, '1.2.3-rc.1');
  assert.ok(Object.values(main.optionalDependencies).every((v) => v === '1.2.3-rc.1'));
});

describe('refuses bad arguments (exit 2, saying why)', () => {
  const refuse = async (args, pattern) => {
    const r = await exec(process.execPath, [PACKAGE_SCRIPT, ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, pattern);
    assert.equal(r.stdout, '');
  };
  test('an unknown platform', () => refuse(['--binary', fake, '--platform', 'linux-x64', '--out', join(tmp, 'x')], /unknown platform "linux-x64".*linux-x64-gnu/));
  test('a missing binary', () => refuse(['--binary', join(tmp, 'nope'), '--platform', 'linux-x64-gnu', '--out', join(tmp, 'x')], /does not exist/));
  test('a binary that is not executable', { skip: !posix && 'POSIX modes' }, () => {
    const plain = join(tmp, 'not-executable');
    writeFileSync(plain, 'x', { mode: 0o644 });
    return refuse(['--binary', plain, '--platform', 'linux-x64-gnu', '--out', join(tmp, 'x')], /not executable/);
  });
  test('a bad version', () => refuse(['--binary', fake, '--platform', 'linux-x64-gnu', '--out', join(tmp, 'x'), '--version', 'v1'], /not a version/));
  test('a missing --out', () => refuse(['--binary', fake, '--platform', 'linux-x64-gnu'], /--out is required/));
});

test('--pack: npm pack makes both tarballs, with the binary executable', async () => {
  const binary = testBinary(tmp);
  const platform = hostPlatform();
  const out = join(tmp, 'packed');
  const tarballs = await runPackageScript(['--binary', binary, '--platform', platform, '--out', out, '--pack']);
  assert.deepEqual(tarballs, {
    [`@distill-cli/${platform}`]: join(out, `distill-cli-${platform}-${VERSION}.tgz`),
    'distill-cli': join(out, `distill-cli-${VERSION}.tgz`),
  });
  const list = (tgz) => spawnSync('tar', ['-tvzf', tgz], { encoding: 'utf8' }).stdout;
  const platformList = list(tarballs[`@distill-cli/${platform}`]);
  assert.match(platformList, /^-rwxr-xr-x .* package\/distill$/m);
  assert.match(platformList, /package\/package\.json$/m);
  const mainList = list(tarballs['distill-cli']);
  assert.match(mainList, /^-rwxr-xr-x .* package\/bin\/distill\.js$/m);
  for (const file of ['index.js', 'index.d.ts', 'vite.js', 'vite.d.ts', 'platforms.js', 'README.md', 'package.json']) {
    assert.match(mainList, new RegExp(`package/${file.replace('.', '\\.')}$`, 'm'), file);
  }
  // What npm packed is what the script wrote.
  const packed = spawnSync('tar', ['-xzOf', tarballs['distill-cli'], 'package/package.json'], { encoding: 'utf8' }).stdout;
  assert.equal(packed, readFileSync(join(out, 'distill-cli', 'package.json'), 'utf8'));
});
