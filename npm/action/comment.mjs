#!/usr/bin/env node
// The GitHub Action's pull request comment: one comment per project (marker
// `<!-- distill-report:{id} -->`), created on the first run and updated on later ones, kept under
// GitHub's size limit. On a pull request from a fork the token cannot write, so the comment is
// written to a file for the workflow to upload as an artifact; post-from-artifact.mjs posts it
// from a `workflow_run` workflow (see README.md beside this file).
//
//   node comment.mjs --markdown distill-report.md --id web [--artifact-dir DIR]
//
// Environment: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH, GITHUB_EVENT_NAME,
// GITHUB_API_URL (a test points it at a local server). Outputs: mode (created, updated,
// artifact or none), comment-id, artifact.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  GitHubError, commentBody, gitHub, isForkPullRequest, pullRequestNumber, readEvent, setOutput, slugOf, upsertComment,
} from './lib.mjs';

/** Writes the comment where the `workflow_run` workflow will find it. */
function writeArtifact(dir, pr, id, body) {
  const path = join(resolve(dir), `comment-${slugOf(id)}.json`);
  mkdirSync(resolve(dir), { recursive: true });
  writeFileSync(path, `${JSON.stringify({ version: 1, pr, id, body })}\n`);
  setOutput('mode', 'artifact');
  setOutput('artifact', path);
  console.log(`distill: pull request #${pr} comes from a fork, whose token cannot comment: wrote ${path} for the workflow_run workflow to post`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      markdown: { type: 'string' },
      id: { type: 'string', default: '.' },
      'artifact-dir': { type: 'string', default: process.env.RUNNER_TEMP ? join(process.env.RUNNER_TEMP, 'distill-comment') : 'distill-comment' },
    },
  });
  if (!values.markdown) throw new Error('--markdown FILE is required');
  const id = values.id || '.';
  const event = readEvent();
  const pr = pullRequestNumber(event);
  if (!pr) {
    console.log('distill: not a pull request: no comment');
    setOutput('mode', 'none');
    return;
  }
  const body = commentBody(readFileSync(values.markdown, 'utf8'), id);

  if (isForkPullRequest(event)) {
    writeArtifact(values['artifact-dir'], pr, id, body);
    return;
  }
  const repository = process.env.GITHUB_REPOSITORY;
  if (!repository) throw new Error('GITHUB_REPOSITORY is not set');
  try {
    const result = await upsertComment(gitHub(), repository, pr, id, body);
    setOutput('mode', result.mode);
    setOutput('comment-id', result.id);
    console.log(`distill: ${result.mode} comment ${result.id} on #${pr}`);
  } catch (error) {
    // A read-only token on a pull request of this repository (Dependabot's, or restricted
    // workflow permissions): leave the comment for the workflow_run workflow too.
    if (error instanceof GitHubError && error.status === 403) {
      console.log(`::warning::distill could not comment (${error.message}); saving it as an artifact instead`);
      writeArtifact(values['artifact-dir'], pr, id, body);
      return;
    }
    throw error;
  }
}

main().catch((error) => {
  console.error(`distill comment: ${error.message}`);
  process.exit(1);
});
