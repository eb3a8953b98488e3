// Opens distill's HTML report from disk in headless Chromium (no server, no network) and prints,
// as JSON on stdout, what it shows: console and page errors, requests that left the file, the
// status, every bundle's id/value/limit, the files table, and the files' order after clicking
// the "Size" heading once and twice.
//
//   node check-report.mjs report.html
import path from "node:path";
import { chromium } from "playwright-core";

const file = path.resolve(process.argv[2]);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage();
const errors = [];
const requests = [];
page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(m.text()); });
page.on("pageerror", (e) => errors.push(String(e)));
page.on("request", (r) => { if (!r.url().startsWith("file:")) requests.push(r.url()); });
await page.goto(`file://${file}`, { waitUntil: "load" });
const shown = await page.evaluate(() => ({
  status: document.querySelector("#status").dataset.status,
  bundles: [...document.querySelectorAll(".bundle")].map((b) => ({
    id: b.dataset.id, value: Number(b.dataset.value),
    limit: b.dataset.limit === undefined ? null : Number(b.dataset.limit), status: b.dataset.status,
    segments: [...b.querySelectorAll(".seg")].map((s) => Number(s.dataset.value)),
  })),
  files: [...document.querySelectorAll("#files tbody tr")].map((r) => ({
    name: r.dataset.name, size: Number(r.cells[2].dataset.value),
    gzip: Number(r.cells[3].dataset.value), brotli: Number(r.cells[4].dataset.value),
  })),
}));
const order = async () => page.evaluate(() =>
  [...document.querySelectorAll("#files tbody tr")].map((r) => Number(r.cells[2].dataset.value)));
await page.click("#files th:nth-child(3)");
const ascending = await order();
await page.click("#files th:nth-child(3)");
const descending = await order();
await browser.close();
console.log(JSON.stringify({ errors, requests, ...shown, ascending, descending }));
