// Serves a built site on localhost, loads each page in headless Chromium (Debian's, driven by
// playwright-core) and reports, as JSON on stdout, everything a user would notice: failed or
// 4xx/5xx requests, console and page errors, broken images, whether the web fonts loaded. Each
// element marked `data-check-click` is clicked, and the selector in its `data-check-wait` must
// then appear (a menu that opens, a lazily imported chunk that renders).
//
//   node check-site.mjs DIR /index.html /about.html /blog/
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { chromium } from "playwright-core";

const [dirArg, ...pages] = process.argv.slice(2);
const dir = path.resolve(dirArg);
const types = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".css": "text/css", ".json": "application/json", ".webmanifest": "application/manifest+json",
  ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml",
  ".ico": "image/x-icon", ".woff2": "font/woff2", ".map": "application/json", ".txt": "text/plain",
};
const requests = [];
const server = http.createServer((req, res) => {
  let file = decodeURIComponent(new URL(req.url, "http://x").pathname);
  if (file.endsWith("/")) file += "index.html";
  const full = path.join(dir, path.normalize(file));
  const ok = full.startsWith(dir) && fs.existsSync(full) && fs.statSync(full).isFile();
  requests.push({ path: req.url, status: ok ? 200 : 404 });
  if (!ok) { res.writeHead(404); res.end("not found"); return; }
  res.writeHead(200, { "content-type": types[path.extname(full)] ?? "application/octet-stream" });
  fs.createReadStream(full).pipe(res);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const report = { pages: [], requests };
for (const url of pages) {
  const page = await browser.newPage({ viewport: { width: 375, height: 800 } });
  const errors = [];
  const bad = [];
  // The browser asks for /favicon.ico by itself; a site without one is not broken.
  const own = (u) => !u.endsWith("/favicon.ico");
  page.on("console", (m) => m.type() === "error" && own(m.location().url) && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("requestfailed", (r) => bad.push(`${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => r.status() >= 400 && own(r.url()) && bad.push(`${r.url()} ${r.status()}`));
  await page.goto(origin + url, { waitUntil: "networkidle" });
  const result = { url, errors, bad };
  result.fonts = await page.evaluate(async () => {
    await document.fonts.ready;
    return [...document.fonts].filter((f) => f.status === "loaded").map((f) => `${f.family} ${f.weight}`);
  });
  result.clicks = [];
  for (const el of await page.$$("[data-check-click]")) {
    const wait = await el.getAttribute("data-check-wait");
    await el.click();
    let appeared = true;
    if (wait) {
      appeared = await page.waitForSelector(wait, { timeout: 10000 }).then(() => true, () => false);
    }
    await page.waitForLoadState("networkidle");
    result.clicks.push({ wait, appeared });
  }
  // Lazy images load only near the viewport: scroll through the page, then wait for them.
  await page.evaluate(async () => {
    for (let y = 0; y < document.documentElement.scrollHeight; y += 300) {
      window.scrollTo(0, y);
      await new Promise((r) => setTimeout(r, 30));
    }
    window.scrollTo(0, 0);
  });
  await page.waitForLoadState("networkidle");
  await page
    .waitForFunction(() => [...document.images].every((i) => i.complete), null, { timeout: 10000 })
    .catch(() => {});
  result.images = await page.$$eval("img", (imgs) => imgs.map((i) => ({
    src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0,
  })));
  report.pages.push(result);
  await page.close();
}
await browser.close();
server.close();
console.log(JSON.stringify(report, null, 2));
