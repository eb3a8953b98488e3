// Serves a built site on localhost and takes full-page screenshots of each page in headless
// Chromium at 375 and 1280 px wide, after every lazy image and web font has loaded; then clicks
// each `data-check-click` element in turn (waiting for its `data-check-wait`) and takes another.
// Images are hidden (`visibility: hidden`, no CSS background images) in every shot: distill
// re-encodes them on purpose, and the image tests measure that; what is compared here is
// layout, text, fonts and colours, which the CSS and HTML rewrites must not change.
//
// With --only-inline-css, every stylesheet request fails and nothing is clicked: the shots
// show what the page's inlined critical CSS renders on its own.
//
//   node screenshot.mjs [--only-inline-css] DIR OUTDIR /index.html /about.html …
//   (prints the PNG names)
import fs from "node:fs";
import path from "node:path";
import { launch, serve, settle } from "./site.mjs";

const args = process.argv.slice(2);
const onlyInline = args[0] === "--only-inline-css";
if (onlyInline) args.shift();
const [dir, outArg, ...pages] = args;
const outDir = path.resolve(outArg);
fs.mkdirSync(outDir, { recursive: true });
const { origin, server } = await serve(dir);
const browser = await launch(["--hide-scrollbars", "--font-render-hinting=none"]);
const MASK = "img{visibility:hidden!important}*,*::before,*::after{background-image:none!important;" +
  "caret-color:transparent!important;transition:none!important;animation:none!important}";
const shots = [];
for (const width of [375, 1280]) {
  const context = await browser.newContext({ viewport: { width, height: 800 }, deviceScaleFactor: 1 });
  if (onlyInline) await context.route(/\.css(\?.*)?$/, (route) => route.abort());
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
    for (const el of onlyInline ? [] : await page.$$("[data-check-click]")) {
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
