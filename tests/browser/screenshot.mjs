// Serves a built site on localhost and takes full-page screenshots of each page in headless
// Chromium at 375 and 1280 px wide, after every lazy image and web font has loaded; then clicks
// each `data-check-click` element in turn (waiting for its `data-check-wait`) and takes another.
// Images are hidden (`visibility: hidden`, no CSS background images) in every shot: distill
// re-encodes them on purpose, and the image tests measure that; what is compared here is
// layout, text, fonts and colours, which the CSS and HTML rewrites must not change.
//
//   node screenshot.mjs DIR OUTDIR /index.html /about.html …   (prints the PNG names)
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { chromium } from "playwright-core";

const [dirArg, outArg, ...pages] = process.argv.slice(2);
const dir = path.resolve(dirArg);
const outDir = path.resolve(outArg);
fs.mkdirSync(outDir, { recursive: true });
const types = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".css": "text/css", ".json": "application/json", ".webmanifest": "application/manifest+json",
  ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml",
  ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon", ".woff2": "font/woff2",
};
const server = http.createServer((req, res) => {
  let file = decodeURIComponent(new URL(req.url, "http://x").pathname);
  if (file.endsWith("/")) file += "index.html";
  const full = path.join(dir, path.normalize(file));
  if (!(full.startsWith(dir) && fs.existsSync(full) && fs.statSync(full).isFile())) {
    res.writeHead(404); res.end(); return;
  }
  res.writeHead(200, { "content-type": types[path.extname(full)] ?? "application/octet-stream" });
  fs.createReadStream(full).pipe(res);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--hide-scrollbars",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--font-render-hinting=none"],
});
const MASK = "img{visibility:hidden!important}*,*::before,*::after{background-image:none!important;" +
  "caret-color:transparent!important;transition:none!important;animation:none!important}";
const settle = async (page) => {
  await page.evaluate(async () => {
    for (let y = 0; y < document.documentElement.scrollHeight; y += 300) {
      window.scrollTo(0, y);
      await new Promise((r) => setTimeout(r, 20));
    }
    window.scrollTo(0, 0);
  });
  await page.waitForLoadState("networkidle");
  await page.waitForFunction(() => [...document.images].every((i) => i.complete), null,
    { timeout: 10000 }).catch(() => {});
  await page.evaluate(() => document.fonts.ready);
};
const shots = [];
for (const width of [375, 1280]) {
  const context = await browser.newContext({ viewport: { width, height: 800 }, deviceScaleFactor: 1 });
  for (const url of pages) {
    const page = await context.newPage();
    await page.goto(origin + url, { waitUntil: "networkidle" });
    await page.addStyleTag({ content: MASK });
    await settle(page);
    const slug = url.replace(/[^a-z0-9]+/gi, "_");
    const shoot = async (n) => {
      const name = `${width}${slug}${n}.png`;
      await page.screenshot({ path: path.join(outDir, name), fullPage: true, animations: "disabled" });
      shots.push(name);
    };
    await shoot(0);
    let n = 0;
    for (const el of await page.$$("[data-check-click]")) {
      if (!(await el.isVisible())) continue;
      const wait = await el.getAttribute("data-check-wait");
      await el.click();
      if (wait) await page.waitForSelector(wait, { timeout: 10000 }).catch(() => {});
      await settle(page);
      await shoot(++n);
    }
    await page.close();
  }
  await context.close();
}
await browser.close();
server.close();
console.log(JSON.stringify(shots));
