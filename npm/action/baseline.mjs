#!/usr/bin/env node
// The GitHub Action's `baseline: base-branch`: finds the newest report artifact this action
// uploaded (`distill-report-<slug>`, on every run that is not a pull request) from a run on the
// pull request's base branch in this repository, and outputs its run id for
// actions/download-artifact. Nothing found (a first pull request, expired artifacts) is not an
// error: the run goes on without a baseline.
//
// Environment: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH, GITHUB_API_URL, ARTIFACT.
// Outputs: run-id, artifact (both empty when nothing was found).

import { gitHub, readEvent, setOutput } from './lib.mjs';

/** The run id whose artifact `name` is the base branch's newest report, or undefined. */
async function find(name) {
  const event = readEvent();
  const base = event.pull_request?.base;
  if (!base?.ref) {
    console.log('distill: not a pull request: no base branch to compare with');
    return undefined;
  }
  const repository = process.env.GITHUB_REPOSITORY;
  const repositoryId = event.repository?.id ?? base.repo?.id;
  const api = gitHub();
  // Newest first; three pages of 100 reach well past any branch's last report.
  const artifacts = await api.all(`/repos/${repository}/actions/artifacts?name=${encodeURIComponent(name)}&per_page=100`, 3);
  const found = artifacts.find(
    (a) =>
      !a.expired &&
      a.workflow_run?.head_branch === base.ref &&
      (repositoryId === undefined || a.workflow_run?.head_repository_id === undefined || a.workflow_run.head_repository_id === repositoryId),
  );
  if (!found) {
    console.log(`::notice::distill: no ${name} artifact from ${base.ref} yet: no baseline this time (run the action on pushes to ${base.ref} to make one)`);
    return undefined;
  }
  console.log(`distill: baseline ${name} from run ${found.workflow_run.id} (${found.workflow_run.head_sha ?? ''} on ${base.ref})`);
  return found.workflow_run.id;
}

const name = process.env.ARTIFACT;
const runId = await find(name).catch((error) => {
  // A missing baseline should not fail the build: warn and go on without one.
  console.log(`::warning::distill: could not look up the base branch's report: ${error.message}`);
  return undefined;
});
setOutput('run-id', runId ?? '');
setOutput('artifact', runId ? name : '');
