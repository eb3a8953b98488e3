// Purges each stylesheet given with PurgeCSS against the pages given (their HTML as content),
// as `cargo bench --bench css` does with distill, and prints the time and bytes as JSON.
//
//   node purge.mjs RUNS page.html… -- sheet.css…
import fs from "node:fs";
import { PurgeCSS } from "purgecss";

const args = process.argv.slice(2);
const runs = Number(args.shift());
const split = args.indexOf("--");
const pages = args.slice(0, split).map((p) => ({ raw: fs.readFileSync(p, "utf8"), extension: "html" }));
const sheets = args.slice(split + 1).map((p) => ({ path: p, raw: fs.readFileSync(p, "utf8") }));
const times = [];
let out = [];
for (let r = 0; r < runs; r++) {
  const start = process.hrtime.bigint();
  out = [];
  for (const sheet of sheets) {
    const [result] = await new PurgeCSS().purge({ content: pages, css: [{ raw: sheet.raw }] });
    out.push({ path: sheet.path, before: sheet.raw.length, after: result.css.length });
  }
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ ms: times[Math.floor(times.length / 2)], sheets: out }));
