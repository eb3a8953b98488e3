#!/usr/bin/env node
// Posts the pull request comments that comment.mjs saved on fork pull requests, from a
// `workflow_run` workflow (which runs in the base repository, with a token that can write).
// The artifact was made by the fork's run, so nothing in it is trusted: the pull request must be
// open with the same head commit as the run that made it, and the body is fitted again.
//
//   node post-from-artifact.mjs DIR_OR_FILE...    (every comment-*.json in DIR)
//   node post-from-artifact.mjs --check-run RUN_ID (output found=true when the run has a
//                                                  distill-comment-* artifact to download)
//
// Environment: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_EVENT_PATH (the
// workflow_run event: its head_sha is checked against the pull request's).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BODY_LIMIT, fitMarkdown, gitHub, markerFor, readEvent, setOutput, upsertComment } from './lib.mjs';

function commentFiles(paths) {
  return paths.flatMap((path) => {
    if (!existsSync(path)) return [];
    if (!statSync(path).isDirectory()) return [path];
    return readdirSync(path)
      .filter((name) => /^comment-.*\.json$/.test(name))
      .sort()
      .map((name) => join(path, name));
  });
}

/** The saved comment, checked: { pr, id, body }. */
function readComment(path) {
  const saved = JSON.parse(readFileSync(path, 'utf8'));
  const { pr, id, body } = saved;
  if (!Number.isSafeInteger(pr) || pr <= 0) throw new Error(`${path}: "pr" is not a pull request number`);
  if (typeof id !== 'string' || id.length > 200) throw new Error(`${path}: "id" is not a project id`);
  if (typeof body !== 'string' || !body.startsWith(`${markerFor(id)}\n`)) {
    throw new Error(`${path}: the body does not start with the marker of "${id}"`);
  }
  const marker = markerFor(id);
  return { pr, id, body: `${marker}\n${fitMarkdown(body.slice(marker.length + 1), BODY_LIMIT - marker.length - 1)}` };
}

/** Whether run `runId` saved any comment (actions/download-artifact may fail on none). */
async function checkRun(runId) {
  const artifacts = await gitHub().all(`/repos/${process.env.GITHUB_REPOSITORY}/actions/runs/${runId}/artifacts?per_page=100`);
  const found = artifacts.some((a) => a.name?.startsWith('distill-comment-') && !a.expired);
  console.log(found ? `distill: run ${runId} saved comments to post` : `distill: run ${runId} saved no comment`);
  setOutput('found', found ? 'true' : 'false');
}

async function main() {
  if (process.argv[2] === '--check-run') return checkRun(process.argv[3]);
  const files = commentFiles(process.argv.slice(2));
  if (files.length === 0) {
    console.log('distill: no saved comment to post');
    return;
  }
  const repository = process.env.GITHUB_REPOSITORY;
  if (!repository) throw new Error('GITHUB_REPOSITORY is not set');
  const headSha = readEvent().workflow_run?.head_sha;
  const api = gitHub();
  let failed = 0;
  for (const file of files) {
    try {
      const { pr, id, body } = readComment(file);
      const { data: pull } = await api.call('GET', `/repos/${repository}/pulls/${pr}`);
      // Not an error: the pull request moved on, and the run for its new head will comment.
      if (pull.state !== 'open' || (headSha && pull.head?.sha !== headSha)) {
        console.log(`distill: skipped ${file}: pull request #${pr} is ${pull.state} at ${pull.head?.sha}; the run was for ${headSha}`);
        continue;
      }
      const result = await upsertComment(api, repository, pr, id, body);
      console.log(`distill: ${result.mode} comment ${result.id} on #${pr} (${id})`);
    } catch (error) {
      failed++;
      console.error(`distill: ${file}: ${error.message}`);
    }
  }
  if (failed) process.exitCode = 1;
}

main().catch((error) => {
  console.error(`distill post-from-artifact: ${error.message}`);
  process.exit(1);
});
