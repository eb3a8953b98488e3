// The Node chain distill replaces, on the site in DIR (pages *.html linking css/*.css):
// PurgeCSS purges each stylesheet against the pages, then beasties inlines each page's
// critical CSS from the purged sheets (its defaults: the rules matching the page's DOM,
// compressed, fonts preloaded, the sheet loaded without blocking). Prints the median time of
// RUNS runs and the bytes, as JSON, for `cargo bench --bench css`.
//
//   node chain.mjs RUNS DIR
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PurgeCSS } from "purgecss";
import Beasties from "beasties";

const [runs, dir] = [Number(process.argv[2]), process.argv[3]];
const pageNames = fs.readdirSync(dir).filter((f) => f.endsWith(".html")).sort();
const sheetNames = fs.readdirSync(path.join(dir, "css")).filter((f) => f.endsWith(".css")).sort();
const pages = pageNames.map((p) => fs.readFileSync(path.join(dir, p), "utf8"));
const sheets = sheetNames.map((s) => fs.readFileSync(path.join(dir, "css", s), "utf8"));
const work = fs.mkdtempSync(path.join(os.tmpdir(), "chain-"));
fs.mkdirSync(path.join(work, "css"));

const times = { purge: [], critical: [], total: [] };
let result;
for (let r = 0; r < runs; r++) {
  const start = process.hrtime.bigint();
  const content = pages.map((raw) => ({ raw, extension: "html" }));
  const purged = [];
  for (const raw of sheets) {
    const [out] = await new PurgeCSS().purge({ content, css: [{ raw }] });
    purged.push(out.css);
  }
  // beasties reads the stylesheets a page links from disk.
  purged.forEach((css, i) => fs.writeFileSync(path.join(work, "css", sheetNames[i]), css));
  const mid = process.hrtime.bigint();
  const beasties = new Beasties({ path: work, logLevel: "silent" });
  const critical = [];
  for (const html of pages) {
    const out = await beasties.process(html);
    const inlined = [...out.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]).join("");
    critical.push(inlined.length);
  }
  const end = process.hrtime.bigint();
  times.purge.push(Number(mid - start) / 1e6);
  times.critical.push(Number(end - mid) / 1e6);
  times.total.push(Number(end - start) / 1e6);
  result = { purged: purged.map((c) => c.length), critical };
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
fs.rmSync(work, { recursive: true });
console.log(JSON.stringify({
  pages: pageNames, sheets: sheetNames, ...result,
  ms: { purge: median(times.purge), critical: median(times.critical), total: median(times.total) },
}));
