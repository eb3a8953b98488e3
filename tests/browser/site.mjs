// What the browser scripts share: a static server for a built site on localhost, Debian's
// Chromium (driven by playwright-core), and a wait for a page's lazy content.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { chromium } from "playwright-core";

const types = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".css": "text/css", ".json": "application/json", ".webmanifest": "application/manifest+json",
  ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml",
  ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon", ".woff2": "font/woff2",
  ".map": "application/json", ".txt": "text/plain", ".woff": "font/woff", ".ttf": "font/ttf",
  ".gif": "image/gif", ".xml": "application/xml", ".wasm": "application/wasm",
};

// The rules of a Netlify / Cloudflare Pages `_headers` file: [pattern, [[name, value]…]].
function readHeaders(dir) {
  const file = path.join(dir, "_headers");
  if (!fs.existsSync(file)) return [];
  const rules = [];
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line.trim() || line.trim().startsWith("#")) continue;
    if (!/^\s/.test(line)) rules.push([line.trim(), []]);
    else if (rules.length) {
      const colon = line.indexOf(":");
      rules.at(-1)[1].push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    }
  }
  return rules;
}

// Serves DIR (`/x/` is `/x/index.html`; `/x` is `/x.html` or `/x/index.html` when `/x` is not a
// file, as Netlify and Cloudflare Pages serve them) with the headers its `_headers` gives each
// path (`/x/` also for `/x/index.html`); each request is pushed onto `requests` with its
// status. Options: `base` ("/app/"): the site is served under that path (a sub-path deploy),
// and anything outside it is a 404; `fallback` ("/index.html"): what a path with no file and
// no extension gets (a single-page app's rewrite rule); `length`: each response says its
// Content-Length instead of being sent chunked, so the bytes a browser counts for a body are the
// file's own (weights.mjs). Nothing is ever compressed. Resolves to the origin and the server.
export async function serve(dirArg, requests = [], { base = "/", fallback = null, length = false } = {}) {
  const dir = path.resolve(dirArg);
  const rules = readHeaders(dir);
  const headersFor = (url) => {
    const forms = [url, url.replace(/index\.html$/, "")];
    const match = (p) => forms.some((u) => (p.endsWith("*") ? u.startsWith(p.slice(0, -1)) : u === p));
    return Object.fromEntries(rules.filter(([p]) => match(p)).flatMap(([, h]) => h));
  };
  const isFile = (f) => f.startsWith(dir) && fs.existsSync(f) && fs.statSync(f).isFile();
  const find = (file) => {
    if (file.endsWith("/")) file += "index.html";
    const candidates = [file];
    if (!path.extname(file)) candidates.push(`${file}.html`, `${file}/index.html`);
    if (fallback && !path.extname(file)) candidates.push(fallback);
    return candidates.map((c) => path.join(dir, path.normalize(c))).find(isFile);
  };
  const server = http.createServer((req, res) => {
    let url = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const inside = url.startsWith(base) || `${url}/` === base;
    const file = inside ? `/${url.slice(base.length)}` : null;
    const full = file && find(file);
    requests.push({ path: req.url, status: full ? 200 : 404 });
    if (!full) { res.writeHead(404); res.end("not found"); return; }
    const extra = headersFor(`${base}${path.relative(dir, full).split(path.sep).join("/")}`);
    const sized = length ? { "content-length": fs.statSync(full).size } : {};
    res.writeHead(200, { ...extra, ...sized, "content-type": types[path.extname(full)] ?? "application/octet-stream" });
    fs.createReadStream(full).pipe(res);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { origin: `http://127.0.0.1:${server.address().port}`, server };
}

export function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ...extraArgs],
  });
}

// Waits until none of the requests in `pending` (a set the caller keeps up to date) has been in
// flight for `quietMs`; after `timeout` ms, throws naming those still pending (after `what`).
export async function quiet(pending, { quietMs = 500, timeout = 60000, what = "" } = {}) {
  const began = Date.now();
  let quietSince = Date.now();
  for (;;) {
    if (pending.size > 0) quietSince = Date.now();
    else if (Date.now() - quietSince >= quietMs) return;
    if (Date.now() - began > timeout) {
      const urls = [...pending].map((r) => r.url()).join(", ");
      throw new Error(`${what}requests still pending after ${timeout} ms: ${urls}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Lazy images load only near the viewport: scrolls through the page, then waits until no request
// of the page has been in flight for half a second, the images are complete and the web fonts
// loaded. Playwright's waitForLoadState("networkidle") is not used here: it waits for a lifecycle
// event that fires once per document, and on a busy CI machine it timed out (30 s) on a page that
// had loaded; counting the requests the scroll started is what the screenshot needs, and a timeout
// names the requests still pending. `scroll: false` leaves the page where it is (weights.mjs
// tells what a page loads before any scrolling from what scrolling brings in).
export async function settle(page, { quietMs = 500, timeout = 60000, scroll = true } = {}) {
  const pending = new Set();
  const start = (r) => pending.add(r);
  const end = (r) => pending.delete(r);
  page.on("request", start);
  page.on("requestfinished", end);
  page.on("requestfailed", end);
  try {
    if (scroll) await page.evaluate(async () => {
      for (let y = 0; y < document.documentElement.scrollHeight; y += 300) {
        window.scrollTo(0, y);
        await new Promise((r) => setTimeout(r, 30));
      }
      window.scrollTo(0, 0);
    });
    await quiet(pending, { quietMs, timeout, what: `${page.url()}: ` });
  } finally {
    page.off("request", start);
    page.off("requestfinished", end);
    page.off("requestfailed", end);
  }
  await page
    .waitForFunction(() => [...document.images].every((i) => i.complete), null, { timeout: 10000 })
    .catch(() => {});
  await page.evaluate(() => document.fonts.ready);
}
