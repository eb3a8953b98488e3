// Loads a framework's built site (a fixture of `fixtures/frameworks/`) in headless Chromium the
// way its users do, and reports as JSON on stdout what they would notice: each route's failed
// requests (status >= 400 or a network error) and console or page errors; a client-side
// navigation (did it stay client-side, did the next page render); a counter button (did the
// page hydrate); the service worker (did it install, and does every URL it precached answer
// 200 with the bytes its Workbox revision, an MD5, describes). With --shots OUTDIR it also
// writes a full-page screenshot of every route at 375 and 1280 px, images hidden (distill
// re-encodes them on purpose), as `{width}{route}.png`.
//
//   node check-framework.mjs [--shots OUTDIR] DIR MATRIX.json [BASE]
//
// MATRIX.json (the fixture's `matrix.json`):
//   routes:   ["/", "/about/"]                URLs to load, relative to the base
//   base:     "/"                             where the site is served (BASE overrides it)
//   fallback: "/index.html" | null            what an unknown path gets (a single-page app)
//   navigate: { from, click, expect, client_side }
//             on `from`, click the `click` selector; `expect` must then appear; `client_side`:
//             the framework navigates without a page load
//   counter:  { route, click, text }          click `click` on `route`; it must then read `text`
//   service_worker: true | false
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { launch, serve, settle } from "./site.mjs";

const args = process.argv.slice(2);
let shotsDir = null;
if (args[0] === "--shots") {
  shotsDir = path.resolve(args[1]);
  args.splice(0, 2);
}
const [dir, matrixPath, baseArg] = args;
const matrix = JSON.parse(fs.readFileSync(matrixPath, "utf8"));
const base = baseArg ?? matrix.base ?? "/";
const requests = [];
const { origin, server } = await serve(dir, requests, { base, fallback: matrix.fallback ?? null });
const at = (route) => origin + base + route.replace(/^\//, "");
const browser = await launch(["--hide-scrollbars", "--font-render-hinting=none"]);
const report = { routes: [], navigate: null, counter: null, service_worker: null, shots: [], requests };

// A page that records what went wrong on it. The browser asks for /favicon.ico by itself; a
// site without one is not broken.
async function open(context) {
  const page = await context.newPage();
  const errors = [];
  const bad = [];
  const own = (u) => !u.endsWith("/favicon.ico");
  page.on("console", (m) => m.type() === "error" && own(m.location().url ?? "") && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  // A request the page itself gave up (a prefetch a navigation cancelled; Chromium also reports
  // Next's HEAD probes so, though they resolve with 200) is not a failure: a missing or refused
  // file shows as a status >= 400, or as a console error (a failed integrity check).
  const aborted = (r) => r.failure()?.errorText === "net::ERR_ABORTED";
  page.on("requestfailed", (r) => own(r.url()) && !aborted(r) && bad.push(`${r.url().replace(origin, "")} ${r.failure()?.errorText}`));
  page.on("response", (r) => r.status() >= 400 && own(r.url()) && bad.push(`${r.url().replace(origin, "")} ${r.status()}`));
  return { page, errors, bad };
}

const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: "block" });
context.setDefaultTimeout(90000); // a loaded 2-core machine runs several browsers at once
for (const route of matrix.routes) {
  const { page, errors, bad } = await open(context);
  const response = await page.goto(at(route), { waitUntil: "networkidle" });
  await settle(page);
  const images = await page.$$eval("img", (imgs) => imgs.map((i) => ({
    src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0,
  })));
  report.routes.push({ url: route, status: response?.status() ?? 0, errors, bad, images });
  await page.close();
}

if (matrix.navigate) {
  const { from, click, expect } = matrix.navigate;
  const { page, errors, bad } = await open(context);
  await page.goto(at(from), { waitUntil: "networkidle" });
  await page.evaluate(() => { window.__distillMarker = 1; });
  const before = page.url();
  let reached = true;
  try {
    await page.click(click);
    await page.waitForSelector(expect, { timeout: 15000 });
    await page.waitForLoadState("networkidle");
  } catch (e) {
    reached = false;
    errors.push(`navigation: ${e.message.split("\n")[0]}`);
  }
  const clientSide = reached && (await page.evaluate(() => window.__distillMarker === 1));
  report.navigate = { from, to: page.url().replace(origin, ""), moved: page.url() !== before, reached, client_side: clientSide, errors, bad };
  await page.close();
}

if (matrix.counter) {
  const { route, click, text } = matrix.counter;
  const { page, errors, bad } = await open(context);
  await page.goto(at(route), { waitUntil: "networkidle" });
  let ok = true;
  try {
    await page.click(click);
    await page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent?.includes(t), [click, text], { timeout: 10000 });
  } catch {
    ok = false;
  }
  const shown = await page.$eval(click, (el) => el.textContent).catch(() => null);
  report.counter = { route, ok, shown, errors, bad };
  await page.close();
}
await context.close();

if (matrix.service_worker) {
  // A fresh context with service workers on: install, then what the worker precached.
  const swContext = await browser.newContext();
  swContext.setDefaultTimeout(90000); // a loaded 2-core machine runs several browsers at once
  const { page, errors, bad } = await open(swContext);
  await page.goto(at(matrix.routes[0]), { waitUntil: "networkidle" });
  const cached = await page.evaluate(async () => {
    const ready = await Promise.race([
      navigator.serviceWorker.ready.then((r) => !!r.active),
      new Promise((r) => setTimeout(() => r(false), 15000)),
    ]);
    const urls = [];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) urls.push(request.url);
    }
    return { active: ready, urls };
  });
  const entries = [];
  for (const url of cached.urls.sort()) {
    const u = new URL(url);
    const revision = u.searchParams.get("__WB_REVISION__");
    u.searchParams.delete("__WB_REVISION__");
    const response = await fetch(u);
    const bytes = Buffer.from(await response.arrayBuffer());
    const md5 = crypto.createHash("md5").update(bytes).digest("hex");
    entries.push({ url: u.href.replace(origin, ""), revision, status: response.status, md5 });
  }
  report.service_worker = { active: cached.active, entries, errors, bad };
  await swContext.close();
}

if (shotsDir) {
  fs.mkdirSync(shotsDir, { recursive: true });
  const MASK = "img{visibility:hidden!important}*,*::before,*::after{background-image:none!important;" +
    "caret-color:transparent!important;transition:none!important;animation:none!important}";
  for (const width of [375, 1280]) {
    const shotContext = await browser.newContext({ viewport: { width, height: 800 }, deviceScaleFactor: 1, serviceWorkers: "block" });
    shotContext.setDefaultTimeout(90000); // a loaded 2-core machine runs several browsers at once
    for (const route of matrix.routes) {
      const page = await shotContext.newPage();
      await page.goto(at(route), { waitUntil: "networkidle" });
      await page.addStyleTag({ content: MASK });
      await settle(page);
      const name = `${width}${route.replace(/[^a-z0-9]+/gi, "_")}.png`;
      await page.screenshot({ path: path.join(shotsDir, name), fullPage: true, animations: "disabled" });
      report.shots.push(name);
      await page.close();
    }
    await shotContext.close();
  }
}

await browser.close();
server.close();
console.log(JSON.stringify(report, null, 2));
