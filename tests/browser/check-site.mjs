// Serves a built site on localhost, loads each page in headless Chromium (Debian's, driven by
// playwright-core) and reports, as JSON on stdout, everything a user would notice: failed or
// 4xx/5xx requests, console and page errors, broken images, whether the web fonts loaded. Each
// element marked `data-check-click` is clicked, and the selector in its `data-check-wait` must
// then appear (a menu that opens, a lazily imported chunk that renders).
//
//   node check-site.mjs DIR /index.html /about.html /blog/
import { launch, serve, settle } from "./site.mjs";

const [dir, ...pages] = process.argv.slice(2);
const requests = [];
const { origin, server } = await serve(dir, requests);
const browser = await launch();
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
  const response = await page.goto(origin + url, { waitUntil: "networkidle" });
  const result = { url, errors, bad, csp: response.headers()["content-security-policy"] ?? null };
  result.fonts = await page.evaluate(async () => {
    await document.fonts.ready;
    // Distinct faces: inlined critical CSS declares a face its stylesheet declares again.
    const loaded = [...document.fonts].filter((f) => f.status === "loaded");
    return [...new Set(loaded.map((f) => `${f.family} ${f.weight}`))].sort();
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
  await settle(page);
  result.images = await page.$$eval("img", (imgs) => imgs.map((i) => ({
    src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0,
  })));
  report.pages.push(result);
  await page.close();
}
await browser.close();
server.close();
console.log(JSON.stringify(report, null, 2));
