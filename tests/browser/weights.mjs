// What a browser actually downloads for each page of a built site, at each reference viewport:
// every page is loaded in a new context (nothing cached between loads) with the viewport's size,
// devicePixelRatio, mobile and touch emulation; requests to anything but the local server are
// aborted and listed as `blocked`. After the load the page settles, is scrolled to the bottom one
// viewport height at a time (until it stops moving: pages may grow as they scroll) and settles
// again. Each finished request of the site (not /favicon.ico) is reported with its path, its
// Playwright resource type, status, body bytes as transferred (`bytes`, from request.sizes();
// `body` is the body's length as read, a cross-check) and whether it had finished before the
// scrolling began (`on_load`); also the site's requests that failed (`failed`) and how many
// scroll steps moved the page. JSON on stdout; a page that fails gets an `error`. The server
// sends every file as it is, with its Content-Length: no compression, no chunked framing.
//
//   node weights.mjs DIR VIEWPORTS.json /index.html /about.html
//
// VIEWPORTS.json: [{"name":"mobile","width":412,"height":823,"dpr":2.625,"mobile":true}, …]
import fs from "node:fs";
import { launch, quiet, serve, settle } from "./site.mjs";

const [dir, viewportsFile, ...pages] = process.argv.slice(2);
if (!dir || !viewportsFile || pages.length === 0) {
  console.error("usage: node weights.mjs DIR VIEWPORTS.json /page.html…");
  process.exit(2);
}
const viewports = JSON.parse(fs.readFileSync(viewportsFile, "utf8"));
const { origin, server } = await serve(dir, [], { length: true });
const browser = await launch();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Scrolls the document, or when only an inner element scrolls (an app shell with a fixed
// sidebar), the tallest such element, one viewport height a step until it no longer moves.
async function scrollToBottom(page) {
  for (let step = 0; step < 60; step++) {
    const moved = await page.evaluate(() => {
      const doc = document.scrollingElement ?? document.documentElement;
      let target = doc;
      if (doc.scrollHeight <= window.innerHeight + 1) {
        const inner = [...document.querySelectorAll("*")].filter((e) => {
          const o = getComputedStyle(e).overflowY;
          return (o === "auto" || o === "scroll") && e.scrollHeight > e.clientHeight + 1;
        });
        inner.sort((a, b) => b.clientHeight * b.scrollHeight - a.clientHeight * a.scrollHeight);
        if (inner.length) target = inner[0];
      }
      const before = target.scrollTop;
      // "instant": Bootstrap's `scroll-behavior: smooth` would animate a plain scrollBy.
      target.scrollTo({ top: before + window.innerHeight, behavior: "instant" });
      return target.scrollTop !== before;
    });
    await sleep(150);
    if (!moved) return step;
  }
  return 60;
}

async function measure(url, vp) {
  const context = await browser.newContext({
    viewport: { width: vp.width, height: vp.height },
    deviceScaleFactor: vp.dpr,
    isMobile: !!vp.mobile,
    hasTouch: !!vp.mobile,
    // A service worker would fetch (precache) outside the page and answer the page from its cache.
    serviceWorkers: "block",
  });
  context.setDefaultTimeout(90000);
  context.setDefaultNavigationTimeout(90000);
  const blocked = [];
  await context.route("**/*", (route) => {
    const u = route.request().url();
    if (new URL(u).origin === origin) return route.continue();
    blocked.push(u);
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  const result = { page: url, viewport: vp.name, requests: [], blocked, failed: [] };
  const inflight = new Set();
  const pending = [];
  let scrolling = false;
  const own = (r) => {
    const u = new URL(r.url());
    return u.origin === origin && u.pathname !== "/favicon.ico";
  };
  page.on("request", (r) => inflight.add(r));
  page.on("requestfailed", (r) => {
    inflight.delete(r);
    if (own(r)) result.failed.push({ path: decodeURIComponent(new URL(r.url()).pathname), error: r.failure()?.errorText });
  });
  page.on("requestfinished", (r) => {
    inflight.delete(r);
    if (!own(r)) return;
    const onLoad = !scrolling;
    pending.push((async () => {
      const response = await r.response();
      const sizes = await r.sizes().catch(() => null);
      const body = await response?.body().then((b) => b.length, () => null);
      result.requests.push({
        path: decodeURIComponent(new URL(r.url()).pathname),
        type: r.resourceType(),
        status: response?.status() ?? null,
        bytes: sizes?.responseBodySize ?? null,
        body,
        on_load: onLoad,
      });
    })());
  });
  try {
    await page.goto(origin + url, { waitUntil: "load", timeout: 90000 });
    await settle(page, { scroll: false, timeout: 60000 });
    await quiet(inflight);
    scrolling = true;
    result.scroll_steps = await scrollToBottom(page);
    await settle(page, { scroll: false, timeout: 60000 });
    await quiet(inflight);
  } catch (e) {
    result.error = String(e?.message ?? e).split("\n")[0];
  }
  await Promise.allSettled(pending);
  result.requests.sort((a, b) => Number(b.on_load) - Number(a.on_load) || a.path.localeCompare(b.path));
  await context.close().catch(() => {});
  return result;
}

const report = { pages: [] };
for (const url of pages) {
  for (const vp of viewports) {
    let result;
    try {
      result = await measure(url, vp);
    } catch (e) {
      result = { page: url, viewport: vp.name, error: String(e?.message ?? e).split("\n")[0] };
    }
    report.pages.push(result);
  }
}
await browser.close();
server.close();
console.log(JSON.stringify(report, null, 2));
