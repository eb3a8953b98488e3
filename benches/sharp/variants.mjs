// Makes the responsive image variants that distill makes, but with sharp (libvips), so that
// distill's image pipeline (`cargo bench --bench images`) can be compared with the usual Node.js
// tool side by side: wall time and bytes per format.
//
// Run (Node >= 20.9):
//   cd benches/sharp && npm install --no-audit --no-fund
//   node benches/sharp/variants.mjs OUT_DIR IMAGE...
// e.g.
//   node benches/sharp/variants.mjs /tmp/sharp-out fixtures/images/photos/*.jpg
//
// For each input (JPEG, PNG, WebP or non-animated GIF), as distill does by default:
// - the EXIF orientation is applied (`.rotate()` with no arguments) and W is the upright width;
// - target widths: every configured width below W, plus W itself when W <= the largest
//   configured width or when no configured width is below W (never upscales);
// - at each width w: resize (sharp's default kernel, lanczos3, aspect ratio kept), then AVIF,
//   WebP and the fallback format, each with sharp's DEFAULT encoder settings. The fallback is
//   JPEG for JPEG sources, PNG for PNG and GIF sources, and for WebP sources JPEG when the
//   image has no alpha channel, else PNG. At w == W there is no fallback for JPEG and PNG
//   sources: the original serves there.
// Outputs go to OUT_DIR/<name>.<w>.<avif|webp|jpg|png>. Metadata is not copied (sharp's
// default), like distill, which strips it.
//
// Not replicated from distill: its encoder settings (qualities, AVIF speed), its dropping of a
// modern variant that is not smaller than the fallback, its skipping of the full-size WebP
// variant of a WebP source, its `[images] min_width` (64 px) and its optimized originals.
// sharp decodes each pipeline anew and may use JPEG shrink-on-load, where distill decodes once
// and resizes the full image; both are part of what is being compared.
//
// Prints one JSON object on stdout:
//   {"images": images processed without error, "seconds": wall time for all of them (read,
//    decode, resize, encode, write), "outputs": [{"file", "format", "width", "height",
//    "bytes"}], "bytes_by_format": {...}, "sharp": version, "libvips": version,
//    "skipped": [{"file", "reason"}], "errors": [{"file", "message"}]}
// An error on one image does not stop the others; the exit code is 1 when any image failed,
// 2 on bad usage.

import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";

const WIDTHS = [320, 640, 960, 1280, 1920];

// Parallelism is one image per CPU core, each worker taking the next image when done: the same
// shape as distill's rayon pool. sharp.concurrency(1) keeps libvips from adding its own worker
// threads per pipeline on top of that (it would otherwise oversubscribe the cores and blur the
// comparison); libvips' thread count also sets the AVIF encoder's (libaom) threads. The cache
// is off because every operation here is done once: caching would only cost memory.
const WORKERS = os.cpus().length;
sharp.concurrency(1);
sharp.cache(false);

/** The widths to make for an image `intrinsic` pixels wide (distill's `target_widths`). */
function targetWidths(intrinsic, widths = WIDTHS) {
  const out = widths.filter((w) => w < intrinsic);
  const largest = widths.length ? Math.max(...widths) : intrinsic;
  if (intrinsic <= largest || out.length === 0) out.push(intrinsic);
  return [...new Set(out)].sort((a, b) => a - b);
}

const EXTENSION = { avif: "avif", webp: "webp", jpeg: "jpg", png: "png" };

/** Encodes `pipeline` (a sharp instance, resized) to `format` with the defaults. */
function encoder(pipeline, format) {
  const p = pipeline.clone();
  switch (format) {
    case "avif":
      return p.avif();
    case "webp":
      return p.webp();
    case "jpeg":
      return p.jpeg();
    case "png":
      return p.png();
  }
  throw new Error(`unknown format ${format}`);
}

/** Makes one image's variants; returns its outputs, or a reason it was skipped. */
async function processImage(file, outDir) {
  const input = await readFile(file);
  const meta = await sharp(input).metadata();
  const source = meta.format;
  if (!["jpeg", "png", "webp", "gif"].includes(source)) {
    throw new Error(`unsupported format ${source ?? "unknown"}`);
  }
  if ((meta.pages ?? 1) > 1) {
    return { skipped: `animated ${source} (${meta.pages} frames): distill leaves it unchanged` };
  }
  // Upright size: sharp >= 0.34 reports it as autoOrient; orientations 5-8 swap the axes.
  const upright =
    meta.autoOrient ??
    ((meta.orientation ?? 1) >= 5
      ? { width: meta.height, height: meta.width }
      : { width: meta.width, height: meta.height });
  const W = upright.width;
  const fallback =
    source === "jpeg"
      ? "jpeg"
      : source === "png" || source === "gif"
        ? "png"
        : meta.hasAlpha
          ? "png"
          : "jpeg";
  const name = path.basename(file, path.extname(file));
  const outputs = [];
  for (const w of targetWidths(W)) {
    let pipeline = sharp(input).rotate();
    if (w !== W) pipeline = pipeline.resize({ width: w });
    const formats = ["avif", "webp"];
    if (!(w === W && (source === "jpeg" || source === "png"))) formats.push(fallback);
    // One encode at a time per worker: the parallelism is across images only.
    for (const format of formats) {
      const { data, info } = await encoder(pipeline, format).toBuffer({
        resolveWithObject: true,
      });
      const rel = `${name}.${w}.${EXTENSION[format]}`;
      await writeFile(path.join(outDir, rel), data);
      outputs.push({ file: rel, format, width: info.width, height: info.height, bytes: data.length });
    }
  }
  return { outputs };
}

async function main(argv) {
  const [outDir, ...files] = argv;
  if (!outDir || files.length === 0) {
    process.stderr.write("usage: node variants.mjs OUT_DIR IMAGE...\n");
    return 2;
  }
  await mkdir(outDir, { recursive: true });

  const results = new Array(files.length);
  // Two inputs with one base name would write over each other's outputs: the later one fails.
  const seen = new Map();
  files.forEach((file, i) => {
    const name = path.basename(file, path.extname(file));
    if (seen.has(name)) {
      results[i] = { error: `same output name "${name}" as ${files[seen.get(name)]}` };
    } else {
      seen.set(name, i);
    }
  });

  const start = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      if (results[i]) continue;
      try {
        results[i] = await processImage(files[i], outDir);
      } catch (e) {
        results[i] = { error: e?.message ?? String(e) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(WORKERS, files.length) }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;

  const summary = {
    images: 0,
    seconds,
    outputs: [],
    bytes_by_format: {},
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
    workers: WORKERS,
    skipped: [],
    errors: [],
  };
  results.forEach((r, i) => {
    if (r.error !== undefined) {
      summary.errors.push({ file: files[i], message: r.error });
    } else if (r.skipped !== undefined) {
      summary.skipped.push({ file: files[i], reason: r.skipped });
    } else {
      summary.images += 1;
      for (const o of r.outputs) {
        summary.outputs.push(o);
        summary.bytes_by_format[o.format] = (summary.bytes_by_format[o.format] ?? 0) + o.bytes;
      }
    }
  });
  process.stdout.write(JSON.stringify(summary) + "\n");
  return summary.errors.length ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
