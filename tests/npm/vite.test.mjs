// End to end, as a user would: pack the npm packages (npm/package.mjs --pack), create a Vite
// project in a temporary folder, install Vite and the two tarballs from npm, build it with
// `import distill from 'distill-cli/vite'`, and check that the output is distilled and that
// `npx distill check` and the budgets give the right exit codes. Needs the npm registry (for
// Vite); if Vite cannot be installed the test fails saying so.

import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { REPO, VERSION, exec, hostPlatform, runPackageScript, tempDir, testBinary } from './helpers.mjs';

// Vite 7.1.12 installs and runs on Node 20.19+ (and 22); pinned so the test does not move.
const VITE = 'vite@7.1.12';
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

let project;

/** Runs npx in the project, with distill found the way a user's would be (no override). */
function npxIn(args, env = {}) {
  const clean = { ...process.env, ...env };
  delete clean.DISTILL_BINARY;
  return exec(npx, ['--no', '--', ...args], { cwd: project, env: clean, shell: process.platform === 'win32' });
}

/** A module large enough that the page's main bundle is over 1 kB gzipped (strings that do not compress). */
function wordsModule() {
  let x = 1;
  const words = [];
  for (let i = 0; i < 150; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    words.push(JSON.stringify(x.toString(36) + ((x * 7) % 99991).toString(36)));
  }
  return `export const words = [\n  ${words.join(',\n  ')},\n];\n`;
}

before(async () => {
  const tmp = tempDir('vite');
  const binary = testBinary(tmp);
  const tarballs = await runPackageScript(['--binary', binary, '--platform', hostPlatform(), '--out', join(tmp, 'pkgs'), '--pack']);

  project = join(tmp, 'site');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'distill-vite-e2e', private: true, type: 'module' }, null, 2)}\n`);
  writeFileSync(
    join(project, 'index.html'),
    '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>distill + vite</title></head>\n' +
      '<body><main id="app"><h1>Hello</h1></main><script type="module" src="/src/main.js"></script></body>\n</html>\n',
  );
  copyFileSync(join(REPO, 'examples', 'site', 'img', 'rocket.jpg'), join(project, 'src', 'rocket.jpg'));
  copyFileSync(join(REPO, 'examples', 'site', 'img', 'chelsea.jpg'), join(project, 'src', 'chelsea.jpg'));
  writeFileSync(
    join(project, 'src', 'style.css'),
    'body { font-family: sans-serif; margin: 0 }\n.hero { background: url(./chelsea.jpg) center / cover; min-height: 200px }\n.unused-rule { color: red }\n',
  );
  writeFileSync(join(project, 'src', 'words.js'), wordsModule());
  writeFileSync(
    join(project, 'src', 'main.js'),
    "import './style.css';\nimport rocket from './rocket.jpg';\nimport { words } from './words.js';\n\n" +
      "const app = document.querySelector('#app');\nconst img = document.createElement('img');\nimg.src = rocket;\nimg.alt = 'A rocket';\n" +
      "app.append(img);\napp.classList.add('hero');\napp.dataset.words = words.join(' ');\n",
  );
  writeFileSync(
    join(project, 'vite.config.js'),
    "import distill from 'distill-cli/vite';\n\nexport default {\n  build: { manifest: true },\n" +
      '  plugins: [distill({ config: process.env.DISTILL_CONFIG || undefined, failOnBudget: process.env.DISTILL_FAIL_ON_BUDGET !== "0" })],\n};\n',
  );
  writeFileSync(join(project, 'tiny.toml'), '[budgets]\nmain = "1 kB"\n');

  const install = await exec(
    npm,
    ['install', '--no-audit', '--no-fund', '--save-exact', VITE, tarballs['distill-cli'], tarballs[`@distill-cli/${hostPlatform()}`]],
    { cwd: project, shell: process.platform === 'win32' },
  );
  if (install.code !== 0) {
    assert.fail(`npm could not install ${VITE} and the packed tarballs (exit ${install.code}); this test needs the npm registry:\n${install.stderr}`);
  }
});

test('vite build runs distill on dist: hashed names, _headers, manifest; distill check passes', async () => {
  const build = await npxIn(['vite', 'build']);
  assert.equal(build.code, 0, `vite build failed:\n${build.stdout}\n${build.stderr}`);
  const printed = build.stdout + build.stderr;
  assert.match(printed, /distill build dist/);
  assert.match(printed, /\d+ files \(\d+ hashed/, "distill's summary is printed");
  assert.match(printed, /budgets \(gzip\): 1 checked, 0 failed/);

  const dist = join(project, 'dist');
  const assets = readdirSync(join(dist, 'assets'));
  const js = assets.filter((f) => f.endsWith('.js'));
  assert.equal(js.length, 1, assets.join(', '));
  assert.match(js[0], /^index\.[0-9a-f]{8}\.js$/, "distill's hash replaced Vite's");
  assert.ok(assets.some((f) => /^index\.[0-9a-f]{8}\.css$/.test(f)), assets.join(', '));
  assert.ok(assets.some((f) => /^rocket\.[0-9a-f]{8}\.jpg$/.test(f)), assets.join(', '));
  assert.ok(assets.some((f) => /\.avif$/.test(f)), 'image variants');
  assert.ok(readFileSync(join(dist, 'index.html'), 'utf8').includes(`/assets/${js[0]}`), 'index.html names the new file');

  assert.match(readFileSync(join(dist, '_headers'), 'utf8'), /immutable/);
  const manifest = JSON.parse(readFileSync(join(dist, '.distill', 'manifest.json'), 'utf8'));
  assert.equal(manifest.generator, `distill ${VERSION}`);
  assert.ok(Object.values(manifest.assets).some((a) => a.file === `assets/${js[0]}` && a.hashed));

  const check = await npxIn(['distill', 'check', 'dist']);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stderr, /budgets \(gzip\): 1 checked, 0 failed/);
});

test('a budget exceeded fails vite build; distill check exits 1 with that config', async () => {
  const build = await npxIn(['vite', 'build'], { DISTILL_CONFIG: 'tiny.toml' });
  assert.notEqual(build.code, 0, 'vite build should fail');
  const printed = build.stdout + build.stderr;
  assert.match(printed, /budget exceeded: main bundle of \/index\.html: .* > 1 kB/);
  assert.match(printed, /distill: a budget was exceeded/);
  assert.ok(existsSync(join(project, 'dist', '.distill', 'manifest.json')), 'the output is written all the same');

  const check = await npxIn(['distill', 'check', 'dist', '--config', 'tiny.toml']);
  assert.equal(check.code, 1, check.stderr);
  assert.match(check.stderr, /1 checked, 1 failed/);
});

test('failOnBudget: false lets the build pass with a warning', async () => {
  const build = await npxIn(['vite', 'build'], { DISTILL_CONFIG: 'tiny.toml', DISTILL_FAIL_ON_BUDGET: '0' });
  assert.equal(build.code, 0, `${build.stdout}\n${build.stderr}`);
  assert.match(build.stdout + build.stderr, /failOnBudget is false, so the build passes/);
});

test('a distill error (exit 2) fails vite build with its message', async () => {
  const build = await npxIn(['vite', 'build'], { DISTILL_CONFIG: 'missing.toml' });
  assert.notEqual(build.code, 0);
  assert.match(build.stdout + build.stderr, /distill build failed \(exit code 2\): error: missing\.toml/);
});
