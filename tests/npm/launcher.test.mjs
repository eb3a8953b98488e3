// The npm launcher (npm/distill-cli/bin/distill.js) and JS API in an installed layout, built
// from the packaging script's output: it finds the binary in the platform package, forwards
// arguments, exit codes and signals, honours DISTILL_BINARY, and explains a missing platform
// package (exit 2).

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { PLATFORMS } from '../../npm/distill-cli/platforms.js';
import { VERSION, exec, hostPlatform, runPackageScript, tempDir, testBinary } from './helpers.mjs';

const posix = process.platform !== 'win32';
let tmp;
let binary;
let project; // node_modules with distill-cli and this machine's platform package
let bare; // node_modules with distill-cli only (as after --omit=optional)

function launcher(root) {
  return join(root, 'node_modules', 'distill-cli', 'bin', 'distill.js');
}

function distill(root, args, env = {}, options = {}) {
  return exec(process.execPath, [launcher(root), ...args], {
    cwd: root,
    env: { ...process.env, DISTILL_BINARY: '', ...env },
    ...options,
  });
}

/** A stand-in binary: a shell script. */
function fakeBinary(name, script) {
  const path = join(tmp, name);
  writeFileSync(path, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return path;
}

before(async () => {
  tmp = tempDir('launcher');
  binary = testBinary(tmp);
  const platform = hostPlatform();
  const out = await runPackageScript(['--binary', binary, '--platform', platform, '--out', join(tmp, 'pkgs')]);
  project = join(tmp, 'project');
  bare = join(tmp, 'bare');
  for (const root of [project, bare]) {
    cpSync(out['distill-cli'], join(root, 'node_modules', 'distill-cli'), { recursive: true });
  }
  cpSync(out[`@distill-cli/${platform}`], join(project, 'node_modules', '@distill-cli', platform), { recursive: true });
  // What npm makes of the `bin` field.
  mkdirSync(join(project, 'node_modules', '.bin'));
  if (posix) symlinkSync('../distill-cli/bin/distill.js', join(project, 'node_modules', '.bin', 'distill'));
});

describe('with the platform package installed', () => {
  test('distill --version runs the binary and exits 0', async () => {
    const r = await distill(project, ['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `distill ${VERSION}`);
  });

  test('the bin link npm makes runs it too (shebang, ESM)', { skip: !posix && 'POSIX symlink' }, async () => {
    const r = await exec(join(project, 'node_modules', '.bin', 'distill'), ['--version'], { cwd: project });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `distill ${VERSION}`);
  });

  test('arguments reach distill and its exit code 2 comes back', async () => {
    const r = await distill(project, ['build', join(tmp, 'no-such-folder')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no-such-folder/);
  });

  test('the JS API finds the same binary and runs it', async () => {
    const api = await import(pathToFileURL(join(project, 'node_modules', 'distill-cli', 'index.js')).href);
    const saved = process.env.DISTILL_BINARY;
    delete process.env.DISTILL_BINARY;
    try {
      const path = api.binaryPath();
      assert.ok(path.startsWith(join(project, 'node_modules', '@distill-cli', hostPlatform())), path);
      const r = await api.run(['--version']);
      assert.deepEqual([r.code, r.signal, r.stdout.trim()], [0, null, `distill ${VERSION}`]);
      const bad = await api.run(['check', join(tmp, 'no-such-folder')]);
      assert.equal(bad.code, 2);
    } finally {
      if (saved !== undefined) process.env.DISTILL_BINARY = saved;
    }
  });
});

describe('DISTILL_BINARY', () => {
  test('overrides the platform package (none installed)', async () => {
    const r = await distill(bare, ['--version'], { DISTILL_BINARY: binary });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `distill ${VERSION}`);
  });

  test('a path that does not exist: exit 2, saying so', async () => {
    const r = await distill(bare, ['--version'], { DISTILL_BINARY: join(tmp, 'nothing-here') });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /DISTILL_BINARY.*nothing-here.*does not exist/);
  });

  test('any exit code is forwarded', { skip: !posix && 'shell script binary' }, async () => {
    const r = await distill(bare, ['a b', '--c'], { DISTILL_BINARY: fakeBinary('exit7', 'printf "%s|" "$@"; exit 7') });
    assert.equal(r.code, 7);
    assert.equal(r.stdout, 'a b|--c|');
  });

  test('SIGTERM to the launcher reaches distill, and the launcher dies of it too', { skip: !posix && 'signals' }, async () => {
    const ready = join(tmp, 'term-ready');
    const fake = fakeBinary('sleeper', `touch "${ready}"; exec sleep 30`);
    const r = await distill(bare, [], { DISTILL_BINARY: fake }, { onSpawn: (child) => signalWhenReady(child, ready, 'SIGTERM') });
    assert.equal(r.signal, 'SIGTERM');
  });

  test('SIGINT is forwarded and distill\'s exit code 130 comes back', { skip: !posix && 'signals' }, async () => {
    const ready = join(tmp, 'int-ready');
    // Like distill: Ctrl-C raises a flag, the run cleans up and exits 130.
    // Gives up after 30 s (exit 99), so a signal that never arrives fails the test, not hangs it.
    const fake = fakeBinary('interruptible', `trap 'exit 130' INT; touch "${ready}"; i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done; exit 99`);
    const r = await distill(bare, [], { DISTILL_BINARY: fake }, { onSpawn: (child) => signalWhenReady(child, ready, 'SIGINT') });
    assert.deepEqual([r.code, r.signal], [130, null]);
  });
});

test('no platform package: which platforms exist, why it may be missing, how to build; exit 2', async () => {
  const r = await distill(bare, ['--version']);
  assert.equal(r.code, 2);
  for (const platform of Object.keys(PLATFORMS)) assert.ok(r.stderr.includes(platform), `lists ${platform}`);
  assert.match(r.stderr, /--omit=optional/);
  assert.match(r.stderr, /--no-optional/);
  assert.match(r.stderr, /cargo install .*distill/);
  assert.match(r.stderr, /DISTILL_BINARY/);
  assert.equal(r.stdout, '');
});

/** Sends `signal` to `child` once the file `ready` exists (the fake binary has started). */
async function signalWhenReady(child, ready, signal) {
  for (let i = 0; i < 200 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 25));
  child.kill(signal);
}
