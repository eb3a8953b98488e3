// Shared by the GitHub Action's scripts (action.yml at the repository root): step outputs, the
// event, a small GitHub REST client (fetch, Link-header pagination), the pull request comment's
// marker and size limit, and the comment upsert. Node's standard library only.

import { appendFileSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

/** GitHub refuses comment bodies over 65,536 characters; stay a little under. */
export const MAX_BODY = 65536;
export const BODY_LIMIT = 65000;

/** Sets a step output (or prints it, outside Actions). */
export function setOutput(name, value) {
  const file = process.env.GITHUB_OUTPUT;
  const text = String(value ?? '');
  if (!file) {
    process.stdout.write(`${name}=${text}\n`);
    return;
  }
  const delimiter = `distill_${randomUUID()}`;
  appendFileSync(file, `${name}<<${delimiter}\n${text}\n${delimiter}\n`);
}

/** The webhook event that started the run ({} outside Actions). */
export function readEvent() {
  const path = process.env.GITHUB_EVENT_PATH;
  if (!path) return {};
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The pull request number of a pull_request(_target) or issue_comment event, or undefined. */
export function pullRequestNumber(event) {
  if (event.pull_request?.number) return event.pull_request.number;
  if (event.issue?.pull_request && event.issue.number) return event.issue.number;
  return undefined;
}

/**
 * Whether a pull_request event's token is read-only because the head branch lives in another
 * repository (a fork). The head repository being gone (deleted fork) counts as a fork.
 */
export function isForkPullRequest(event, eventName = process.env.GITHUB_EVENT_NAME) {
  const pr = event.pull_request;
  if (!pr || (eventName && eventName !== 'pull_request')) return false;
  const head = pr.head?.repo;
  const base = pr.base?.repo;
  if (!head) return true;
  if (base?.full_name && head.full_name) return head.full_name !== base.full_name;
  return head.fork === true;
}

/** A name for artifacts and cache keys: `apps/web` -> `apps-web`, `.` -> `root`. */
export function slugOf(id) {
  return String(id).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || 'root';
}

/** The hidden first line that identifies this project's comment. */
export function markerFor(id) {
  return `<!-- distill-report:${String(id).replace(/[\r\n]+/g, ' ').replace(/>/g, '%3E')} -->`;
}

// ---- the comment body --------------------------------------------------------------------

const UNITS = { B: 1, kB: 1e3, KB: 1e3, KiB: 1024, MB: 1e6, MiB: 1024 ** 2, GB: 1e9, GiB: 1024 ** 3 };

/** `+1.2 kB (+3.4%)` -> 1200, `-303 B` -> 303, `±0` -> 0, anything else -> undefined. */
export function parseBytes(text) {
  if (/^\s*±\s*0\b/.test(text)) return 0;
  const m = /([0-9][0-9,]*(?:\.[0-9]+)?)\s*(B|kB|KB|KiB|MB|MiB|GB|GiB)\b/.exec(text);
  return m ? Number(m[1].replace(/,/g, '')) * UNITS[m[2]] : undefined;
}

function cells(line) {
  return line.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
}

/** How much a table row weighs: its Change column, else its largest size. */
function rowWeight(line, changeColumn) {
  const row = cells(line);
  if (changeColumn >= 0) return parseBytes(row[changeColumn] ?? '') ?? 0;
  return Math.max(0, ...row.map((c) => parseBytes(c) ?? 0));
}

/**
 * Fits a Markdown report into `limit` characters. When it is longer, everything but table rows
 * and list items stays; failure items (❌, ⚠️) are kept first, then the top three lines of each
 * table and list, then table rows with the largest absolute size change (or size, without a
 * baseline), then other items; each table that lost rows shows them largest first and ends
 * with `… and N more rows` (a list, `… and N more lines`).
 */
export function fitMarkdown(markdown, limit = BODY_LIMIT) {
  if (markdown.length <= limit) return markdown;
  const lines = markdown.split('\n');
  const groups = []; // { lines: [{ text, weight, priority, order }], at: line index }
  const fixed = new Array(lines.length).fill(true);
  for (let i = 0; i < lines.length; ) {
    const isRow = (l) => l.trimStart().startsWith('|');
    const isItem = (l) => /^\s*[-*] /.test(l);
    if (isRow(lines[i]) && i + 1 < lines.length && /^\s*\|[\s:|-]+\|\s*$/.test(lines[i + 1])) {
      const changeColumn = cells(lines[i]).findIndex((c) => /^change$/i.test(c));
      const group = { kind: 'rows', at: i + 2, lines: [] };
      let j = i + 2;
      for (; j < lines.length && isRow(lines[j]); j++) {
        fixed[j] = false;
        group.lines.push({ text: lines[j], weight: rowWeight(lines[j], changeColumn), priority: 1, order: j });
      }
      if (group.lines.length) groups.push(group);
      i = j;
    } else if (isItem(lines[i])) {
      const group = { kind: 'items', at: i, lines: [] };
      let j = i;
      for (; j < lines.length && isItem(lines[j]); j++) {
        fixed[j] = false;
        const failure = /^\s*[-*] (❌|⚠)/.test(lines[j]);
        group.lines.push({ text: lines[j], weight: -j, priority: failure ? 0 : 2, order: j });
      }
      groups.push(group);
      i = j;
    } else {
      i++;
    }
  }
  const fixedLength = lines.reduce((n, l, i) => (fixed[i] ? n + l.length + 1 : n), 0);
  const reserve = groups.length * 48;
  let room = limit - fixedLength - reserve;
  if (room < 0) {
    // Even the fixed text is too long: cut it.
    const note = '\n\n… (cut: the report is longer than a comment can be; see the job summary)\n';
    return markdown.slice(0, limit - note.length) + note;
  }
  const byRank = (a, b) => a.priority - b.priority || b.weight - a.weight || a.order - b.order;
  // Every table and list keeps its first few lines before the others compete for the room.
  for (const group of groups) [...group.lines].sort(byRank).slice(0, 3).forEach((line) => (line.tier = 0));
  const candidates = groups
    .flatMap((g) => g.lines)
    .sort((a, b) => (a.priority === 0 ? -1 : a.tier ?? 1) - (b.priority === 0 ? -1 : b.tier ?? 1) || byRank(a, b));
  for (const line of candidates) {
    if (line.text.length + 1 > room) break;
    room -= line.text.length + 1;
    line.kept = true;
  }
  const out = [];
  const groupAt = new Map(groups.map((g) => [g.at, g]));
  for (let i = 0; i < lines.length; i++) {
    const group = groupAt.get(i);
    if (group) {
      const kept = group.lines.filter((l) => l.kept);
      const dropped = group.lines.length - kept.length;
      if (dropped > 0 && group.kind === 'rows') kept.sort((a, b) => b.weight - a.weight || a.order - b.order);
      out.push(...kept.map((l) => l.text));
      if (dropped > 0) out.push('', `… and ${dropped} more ${group.kind === 'rows' ? 'rows' : 'lines'}`, '');
    }
    if (fixed[i]) out.push(lines[i]);
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}

/** The comment for project `id`: its marker, the report (headline naming the project), fitted. */
export function commentBody(markdown, id) {
  const marker = markerFor(id);
  let text = markdown.replace(/\r\n/g, '\n');
  if (id && id !== '.') {
    text = text.replace(/^(###? .*)$/m, (heading) => `${heading} · \`${String(id).replace(/`/g, '')}\``);
  }
  return `${marker}\n${fitMarkdown(text, BODY_LIMIT - marker.length - 1)}`;
}

// ---- GitHub REST -------------------------------------------------------------------------

/** The `rel="next"` URL of a Link header, if any. */
export function nextLink(header) {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1];
  }
  return undefined;
}

export class GitHubError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/** A minimal REST client: `call(method, path, body)` and `all(path, maxPages)` (every page's items). */
export function gitHub({ token = process.env.GITHUB_TOKEN, apiUrl = process.env.GITHUB_API_URL || 'https://api.github.com' } = {}) {
  const base = apiUrl.replace(/\/+$/, '');
  async function call(method, path, body) {
    const url = /^https?:/.test(path) ? path : `${base}${path}`;
    const response = await fetch(url, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'distill-action',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    if (!response.ok) {
      throw new GitHubError(`${method} ${url}: ${response.status} ${data?.message ?? text}`, response.status);
    }
    return { data, headers: response.headers };
  }
  async function all(path, maxPages = 100) {
    const items = [];
    let next = path;
    for (let page = 0; next && page < maxPages; page++) {
      const { data, headers } = await call('GET', next);
      // A list, or an object holding one ({ total_count, artifacts: [...] }).
      items.push(...(Array.isArray(data) ? data : (Object.values(data ?? {}).find(Array.isArray) ?? [])));
      next = nextLink(headers.get('link'));
    }
    return items;
  }
  return { call, all };
}

/**
 * Creates or updates project `id`'s comment on pull request `pr`: the comment whose body starts
 * with its marker (a bot's first, if several) is updated, otherwise one is created.
 * Returns { mode: 'created' | 'updated', id }.
 */
export async function upsertComment(api, repository, pr, id, body) {
  const marker = markerFor(id);
  const comments = await api.all(`/repos/${repository}/issues/${pr}/comments?per_page=100`);
  const ours = comments.filter((c) => typeof c.body === 'string' && c.body.startsWith(marker));
  const existing = ours.find((c) => c.user?.type === 'Bot') ?? ours[0];
  if (existing) {
    await api.call('PATCH', `/repos/${repository}/issues/comments/${existing.id}`, { body });
    return { mode: 'updated', id: existing.id };
  }
  const { data } = await api.call('POST', `/repos/${repository}/issues/${pr}/comments`, { body });
  return { mode: 'created', id: data?.id };
}
