// The GitHub Action's pull request comment (npm/action/comment.mjs, post-from-artifact.mjs)
// against a local server that implements just enough of GitHub's REST API (issue comments with
// Link-header pagination, create, update, get a pull request) and records every call: one
// comment per project id, created once and then updated, kept under the size limit, and on a
// fork written to a file instead, for the workflow_run workflow to post.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { MAX_BODY } from '../../npm/action/lib.mjs';
import { REPO, exec, tempDir } from './helpers.mjs';

const COMMENT = join(REPO, 'npm', 'action', 'comment.mjs');
const BASELINE = join(REPO, 'npm', 'action', 'baseline.mjs');
const POST = join(REPO, 'npm', 'action', 'post-from-artifact.mjs');
const PR = 7;
const HEAD_SHA = 'f00dfacef00dfacef00dfacef00dfacef00dface';

/** A fake api.github.com for repository o/r with pull request #7, recording every call. */
function fakeGitHub() {
  const state = { calls: [], comments: [], nextId: 5000, readOnly: false, server: null, url: '' };
  // 150 comments by people first, so the list takes two pages of 100.
  for (let i = 0; i < 150; i++) state.comments.push({ id: 100 + i, body: `comment ${i}`, user: { login: 'someone', type: 'User' } });
  const send = (res, status, data, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(data));
  };
  state.server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const url = new URL(req.url, state.url);
      const body = raw ? JSON.parse(raw) : undefined;
      state.calls.push({ method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), body, auth: req.headers.authorization });
      const writes = req.method === 'POST' || req.method === 'PATCH';
      if (writes && state.readOnly) return send(res, 403, { message: 'Resource not accessible by integration' });
      if (writes && (typeof body?.body !== 'string' || body.body.length > MAX_BODY)) {
        return send(res, 422, { message: 'Body is too long (maximum is 65536 characters)' });
      }
      let m;
      if (req.method === 'GET' && url.pathname === `/repos/o/r/issues/${PR}/comments`) {
        const perPage = Number(url.searchParams.get('per_page') ?? 30);
        const page = Number(url.searchParams.get('page') ?? 1);
        const items = state.comments.slice((page - 1) * perPage, page * perPage);
        const last = Math.max(1, Math.ceil(state.comments.length / perPage));
        const link = (p) => `<${state.url}${url.pathname}?per_page=${perPage}&page=${p}>`;
        const headers = page < last ? { link: `${link(page + 1)}; rel="next", ${link(last)}; rel="last"` } : {};
        return send(res, 200, items, headers);
      }
      if (req.method === 'POST' && url.pathname === `/repos/o/r/issues/${PR}/comments`) {
        const comment = { id: state.nextId++, body: body.body, user: { login: 'github-actions[bot]', type: 'Bot' } };
        state.comments.push(comment);
        return send(res, 201, comment);
      }
      if (req.method === 'PATCH' && (m = /^\/repos\/o\/r\/issues\/comments\/(\d+)$/.exec(url.pathname))) {
        const comment = state.comments.find((c) => c.id === Number(m[1]));
        if (!comment) return send(res, 404, { message: 'Not Found' });
        comment.body = body.body;
        return send(res, 200, comment);
      }
      if (req.method === 'GET' && url.pathname === '/repos/o/r/actions/artifacts') {
        // Newest first, as GitHub lists them: another branch, an expired one, a fork's, then ours.
        const run = (id, branch, repo) => ({ id, head_branch: branch, head_repository_id: repo, head_sha: `sha${id}` });
        const artifacts = [
          { name: url.searchParams.get('name'), expired: false, workflow_run: run(11, 'feature', 1) },
          { name: url.searchParams.get('name'), expired: true, workflow_run: run(12, 'main', 1) },
          { name: url.searchParams.get('name'), expired: false, workflow_run: run(13, 'main', 99) },
          { name: url.searchParams.get('name'), expired: false, workflow_run: run(14, 'main', 1) },
        ];
        return send(res, 200, { total_count: artifacts.length, artifacts });
      }
      if (req.method === 'GET' && (m = /^\/repos\/o\/r\/actions\/runs\/(\d+)\/artifacts$/.exec(url.pathname))) {
        const artifacts = m[1] === '1' ? [{ name: 'distill-comment-web', expired: false }] : [{ name: 'distill-report-web', expired: false }];
        return send(res, 200, { total_count: artifacts.length, artifacts });
      }
      if (req.method === 'GET' && url.pathname === `/repos/o/r/pulls/${PR}`) {
        return send(res, 200, { number: PR, state: 'open', head: { sha: HEAD_SHA } });
      }
      return send(res, 404, { message: 'Not Found' });
    });
  });
  return state;
}

let github;
let tmp;

before(async () => {
  tmp = tempDir('comment');
  github = fakeGitHub();
  await new Promise((resolve) => github.server.listen(0, '127.0.0.1', resolve));
  github.url = `http://127.0.0.1:${github.server.address().port}`;
});
after(() => github.server.close());
beforeEach(() => {
  github.calls.length = 0;
  github.readOnly = false;
});

const ownPullRequest = { pull_request: { number: PR, head: { repo: { full_name: 'o/r', fork: false } }, base: { ref: 'main', repo: { full_name: 'o/r' } } } };
const forkPullRequest = { pull_request: { number: PR, head: { repo: { full_name: 'contributor/r', fork: true } }, base: { ref: 'main', repo: { full_name: 'o/r' } } } };

let runs = 0;
/** Runs a script as the action would, with the event `event`; returns the result and its step outputs. */
async function runScript(script, args, event, eventName = 'pull_request', env = {}) {
  const n = runs++;
  const eventPath = join(tmp, `event-${n}.json`);
  const outputPath = join(tmp, `output-${n}.txt`);
  writeFileSync(eventPath, JSON.stringify(event));
  writeFileSync(outputPath, '');
  const result = await exec(process.execPath, [script, ...args], {
    env: {
      ...process.env,
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_EVENT_NAME: eventName,
      GITHUB_TOKEN: 'test-token',
      GITHUB_OUTPUT: outputPath,
      ...env,
    },
  });
  const outputs = {};
  for (const m of readFileSync(outputPath, 'utf8').matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) outputs[m[1]] = m[3];
  return { ...result, outputs };
}

function markdownFile(name, text) {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

const REPORT = `<!-- distill-report -->
### ✅ distill: all budgets met

3 pages, 43 files, 1.13 MB (1.12 MB gzip); +132 B (+0.0%) against the baseline, 0 files added, 0 removed.

| | Bundle | Pages | Size | gzip | Budget | Change |
|---|---|---|--:|--:|--:|--:|
| ✅ | main | /about.html | 3.53 kB | 1.96 kB | 250 kB | +8 B (+0.4%) |
`;

const writes = () => github.calls.filter((c) => c.method !== 'GET');
const marked = (id) => github.comments.filter((c) => c.body.startsWith(`<!-- distill-report:${id} -->\n`));

describe('one comment per project id', () => {
  test('the first run creates the comment (after reading both pages of comments)', async () => {
    const r = await runScript(COMMENT, ['--markdown', markdownFile('a.md', REPORT), '--id', 'web'], ownPullRequest);
    assert.equal(r.code, 0, r.stderr);
    const gets = github.calls.filter((c) => c.method === 'GET');
    assert.deepEqual(gets.map((c) => [c.path, c.query.per_page, c.query.page]), [
      [`/repos/o/r/issues/${PR}/comments`, '100', undefined],
      [`/repos/o/r/issues/${PR}/comments`, '100', '2'],
    ]);
    assert.deepEqual(writes().map((c) => [c.method, c.path]), [['POST', `/repos/o/r/issues/${PR}/comments`]]);
    assert.ok(github.calls.every((c) => c.auth === 'Bearer test-token'));
    const [comment] = marked('web');
    assert.match(comment.body, /^<!-- distill-report:web -->\n<!-- distill-report -->\n### ✅ distill: all budgets met · `web`\n/);
    assert.equal(r.outputs.mode, 'created');
    assert.equal(r.outputs['comment-id'], String(comment.id));
  });

  test('the second run updates that comment (found on page 2) and creates none', async () => {
    const [comment] = marked('web');
    const r = await runScript(COMMENT, ['--markdown', markdownFile('b.md', REPORT.replace('+8 B (+0.4%)', '+9 B (+0.5%)')), '--id', 'web'], ownPullRequest);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(writes().map((c) => [c.method, c.path]), [['PATCH', `/repos/o/r/issues/comments/${comment.id}`]]);
    assert.equal(marked('web').length, 1);
    assert.match(marked('web')[0].body, /\+9 B \(\+0\.5%\)/);
    assert.equal(r.outputs.mode, 'updated');
  });

  test('another id gets a comment of its own; each later run updates its own', async () => {
    const first = await runScript(COMMENT, ['--markdown', markdownFile('c.md', REPORT), '--id', 'docs'], ownPullRequest);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(writes().map((c) => c.method), ['POST']);
    assert.equal(marked('docs').length, 1);
    github.calls.length = 0;
    for (const id of ['web', 'docs']) {
      const again = await runScript(COMMENT, ['--markdown', markdownFile('d.md', REPORT), '--id', id], ownPullRequest);
      assert.equal(again.code, 0, again.stderr);
    }
    assert.deepEqual(writes().map((c) => c.method), ['PATCH', 'PATCH']);
    assert.equal(marked('web').length + marked('docs').length, 2);
  });
});

test('a 200,000-character report becomes a body under 65,536 characters, largest changes first', async () => {
  const rows = [];
  let text = `<!-- distill-report -->
### ❌ distill: 1 budget exceeded

2,000 pages, 9,000 files, 80 MB (20 MB gzip); +1 MB against the baseline.

- ❌ main bundle of /index.html: 262.4 kB gzip > 250 kB (+12.4 kB); largest: assets/vendor.js 200 kB

| | Bundle | Pages | Size | gzip | Budget | Change |
|---|---|---|--:|--:|--:|--:|
`;
  for (let i = 0; text.length < 200_000; i++) {
    const change = ((i * 7919) % 9973) - 4000; // bytes, both signs, no order
    const shown = change === 0 ? '±0' : `${change > 0 ? '+' : '-'}${Math.abs(change)} B (${change > 0 ? '+' : '-'}1.0%)`;
    const row = `| ✅ | route assets/chunk-${i}.js | /page-${i}.html | 12 kB | 4 kB | 150 kB | ${shown} |`;
    rows.push({ row, size: Math.abs(change) });
    text += `${row}\n`;
  }
  text += '\n<details><summary>Changed files (1)</summary>\n\n| File | Size | gzip | Change |\n|---|--:|--:|--:|\n| assets/vendor.js | 600 kB | 200 kB | +12.4 kB (+6.6%) |\n\n</details>\n';
  assert.ok(text.length >= 200_000);

  const r = await runScript(COMMENT, ['--markdown', markdownFile('big.md', text), '--id', 'big'], ownPullRequest);
  assert.equal(r.code, 0, r.stderr);
  const post = writes().find((c) => c.method === 'POST');
  const body = post.body.body;
  assert.ok(body.length < MAX_BODY, `${body.length} characters`);
  assert.ok(body.startsWith('<!-- distill-report:big -->\n<!-- distill-report -->\n### ❌ distill: 1 budget exceeded · `big`\n'));
  assert.match(body, /^- ❌ main bundle of \/index\.html: 262\.4 kB gzip > 250 kB/m, 'failures stay');
  assert.match(body, /\| assets\/vendor\.js \| 600 kB \| 200 kB \| \+12\.4 kB \(\+6\.6%\) \|/, 'the small table stays');
  assert.match(body, /<\/details>\n?$/, 'the end of the report stays');

  // The bundle table keeps the rows with the largest changes, largest first.
  const kept = body.split('\n').filter((l) => l.includes('route assets/chunk-'));
  const expected = [...rows].sort((a, b) => b.size - a.size).slice(0, kept.length);
  assert.ok(kept.length > 100, `${kept.length} rows kept`);
  assert.deepEqual(kept.map((l) => rows.find((x) => x.row === l).size), expected.map((x) => x.size));
  const more = /^… and (\d+) more rows$/m.exec(body);
  assert.ok(more, 'ends with "… and N more rows"');
  assert.equal(Number(more[1]), rows.length - kept.length);
  assert.ok(body.indexOf(more[0]) > body.lastIndexOf('route assets/chunk-'), 'after the kept rows');
});

describe('fork pull requests', () => {
  let artifact;

  test('write the comment to a file for the artifact and make no REST call', async () => {
    const dir = join(tmp, 'artifact');
    const r = await runScript(COMMENT, ['--markdown', markdownFile('fork.md', REPORT), '--id', 'web', '--artifact-dir', dir], forkPullRequest);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(github.calls, []);
    assert.equal(r.outputs.mode, 'artifact');
    artifact = r.outputs.artifact;
    assert.equal(artifact, join(dir, 'comment-web.json'));
    const saved = JSON.parse(readFileSync(artifact, 'utf8'));
    assert.equal(saved.pr, PR);
    assert.equal(saved.id, 'web');
    assert.ok(saved.body.startsWith('<!-- distill-report:web -->\n<!-- distill-report -->\n'));
  });

  test('post-from-artifact.mjs --check-run says whether the run saved a comment', async () => {
    const saved = await runScript(POST, ['--check-run', '1'], {}, 'workflow_run');
    assert.equal(saved.code, 0, saved.stderr);
    assert.equal(saved.outputs.found, 'true');
    const none = await runScript(POST, ['--check-run', '2'], {}, 'workflow_run');
    assert.equal(none.outputs.found, 'false');
    assert.deepEqual(writes(), []);
  });

  test('post-from-artifact.mjs posts it from the workflow_run workflow (updating the existing comment)', async () => {
    const [comment] = marked('web');
    const r = await runScript(POST, [join(tmp, 'artifact')], { workflow_run: { id: 1, head_sha: HEAD_SHA } }, 'workflow_run');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(github.calls.map((c) => c.method), ['GET', 'GET', 'GET', 'PATCH']);
    assert.equal(github.calls[0].path, `/repos/o/r/pulls/${PR}`);
    assert.equal(writes()[0].path, `/repos/o/r/issues/comments/${comment.id}`);
    assert.equal(marked('web').length, 1);
  });

  test('post-from-artifact.mjs skips a pull request that has moved on to another commit', async () => {
    const r = await runScript(POST, [artifact], { workflow_run: { id: 2, head_sha: '0'.repeat(40) } }, 'workflow_run');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /skipped/);
    assert.deepEqual(writes(), []);
  });

  test('post-from-artifact.mjs refuses a saved comment whose body lacks its marker', async () => {
    const forged = join(tmp, 'forged', 'comment-web.json');
    mkdirSync(join(tmp, 'forged'));
    writeFileSync(forged, JSON.stringify({ version: 1, pr: PR, id: 'web', body: 'hello' }));
    const r = await runScript(POST, [join(tmp, 'forged')], { workflow_run: { id: 3, head_sha: HEAD_SHA } }, 'workflow_run');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /marker/);
    assert.deepEqual(github.calls, []);
  });
});

test('a token that cannot write (403) leaves the comment as an artifact too', async () => {
  github.readOnly = true;
  const dir = join(tmp, 'readonly');
  const r = await runScript(COMMENT, ['--markdown', markdownFile('ro.md', REPORT), '--id', 'new-project', '--artifact-dir', dir], ownPullRequest);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.outputs.mode, 'artifact');
  assert.ok(existsSync(join(dir, 'comment-new-project.json')));
});

test('not a pull request: no comment, no call', async () => {
  const r = await runScript(COMMENT, ['--markdown', markdownFile('push.md', REPORT), '--id', 'web'], { ref: 'refs/heads/main' }, 'push');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.outputs.mode, 'none');
  assert.deepEqual(github.calls, []);
});

test('baseline.mjs picks the newest unexpired report from the base branch of this repository', async () => {
  const event = { ...ownPullRequest, repository: { id: 1 } };
  const r = await runScript(BASELINE, [], event, 'pull_request', { ARTIFACT: 'distill-report-web' });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.outputs, { 'run-id': '14', artifact: 'distill-report-web' });
  assert.deepEqual(github.calls.map((c) => [c.path, c.query.name]), [['/repos/o/r/actions/artifacts', 'distill-report-web']]);
});
