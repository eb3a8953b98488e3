//! Mutation fuzzing of the whole pipeline, on the stable toolchain.
//!
//! cargo-fuzz needs nightly, which these machines cannot download; so this test takes real
//! sites (the fixtures' Vite, Astro and Bootstrap builds and the example site), mutates one to
//! three of their files per iteration the way broken build steps and hostile uploads do
//! (truncation, byte flips, inserted bytes, deep nesting of the file's own brackets, huge
//! tokens, invalid UTF-8, a splice of another file, a header field set to its maximum) and runs
//! `distill::build` on the result in this process. A panic, an error, a run over the time limit,
//! or a peak of this process over the memory bound is a finding: the mutated site is saved
//! under `target/fuzz-findings/` and the test fails with the command that replays it.
//!
//! Iterations are deterministic: iteration `i` of seed `s` always makes the same site, so
//! `DISTILL_FUZZ_SEED=s DISTILL_FUZZ_ONLY=i` replays one, even after a stack overflow took the
//! process down (the iteration under way is printed before it runs). The default run takes
//! `DISTILL_FUZZ_SECS` (90) seconds; the long run is documented in README:
//! `DISTILL_FUZZ_SECS=3600 cargo test --release --test fuzz -- --nocapture`.
//! A finding, once fixed, becomes a case of `tests/hostile.rs`.

mod common;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::copy_dir;

/// Sites the mutations start from: real builds.
const SITES: [&str; 4] = [
    "fixtures/vite-app/dist",
    "fixtures/frameworks/astro/dist",
    "fixtures/bootstrap",
    "examples/site",
];

/// Per iteration; a debug build of one of these sites takes well under a second.
const TIME_LIMIT: Duration = Duration::from_secs(60);
/// Peak RSS of this process (the test harness, the parsers and the worker threads).
const MAX_RSS_MB: u64 = 700;

/// SplitMix64: a few lines of a well-known generator, so that a seed means the same run on every
/// machine and version (a crate's generator may change its stream between releases).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Relative paths of the files of `dir`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    out.sort();
    out
}

/// One mutation of `bytes`; `other` is another file of the site, for splices. Returns what it
/// did, for the finding's report.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>, other: &[u8]) -> String {
    match rng.below(9) {
        0 => {
            let cut = at(rng, bytes.len());
            bytes.truncate(cut);
            format!("truncated at {cut}")
        }
        1 => {
            let flips = 1 + rng.below(16);
            for _ in 0..flips {
                if !bytes.is_empty() {
                    let i = rng.below(bytes.len());
                    bytes[i] ^= 1 << rng.below(8);
                }
            }
            format!("{flips} bits flipped")
        }
        2 => {
            let i = at(rng, bytes.len());
            let n = 1 + rng.below(64);
            let noise: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            bytes.splice(i..i, noise);
            format!("{n} random bytes at {i}")
        }
        3 => nest(rng, bytes),
        4 => long_run(rng, bytes),
        5 => invalid_utf8(rng, bytes),
        6 => splice_other(rng, bytes, other),
        7 => {
            // A header field at its maximum: image dimensions, lengths.
            let i = rng.below(bytes.len().clamp(1, 64));
            for b in bytes.iter_mut().skip(i).take(4) {
                *b = 0xff;
            }
            format!("0xff x 4 at {i}")
        }
        _ => repeat_piece(rng, bytes),
    }
}

/// A position in (or at the end of) a text of `len` bytes.
fn at(rng: &mut Rng, len: usize) -> usize {
    rng.below(len + 1)
}

fn nest(rng: &mut Rng, bytes: &mut Vec<u8>) -> String {
    let (open, close) = *rng.pick(&[
        ("(", ")"),
        ("[", "]"),
        ("{", "}"),
        ("<div>", "</div>"),
        (":is(", ")"),
        ("calc(", ")"),
        ("@media screen{", "}"),
        ("a||", ""),
        ("!", ""),
        ("<ul><li>", ""),
        ("`${", "}`"),
        ("/*", ""),
        ("<!--", ""),
    ]);
    let depth = *rng.pick(&[20, 150, 600, 5_000, 50_000]);
    let i = at(rng, bytes.len());
    let closed = rng.below(2) == 0;
    let mut insert = open.repeat(depth).into_bytes();
    if closed {
        insert.extend(close.repeat(depth).bytes());
    }
    bytes.splice(i..i, insert);
    format!("{open:?} x {depth} at {i} (closed: {closed})")
}

fn long_run(rng: &mut Rng, bytes: &mut Vec<u8>) -> String {
    let i = at(rng, bytes.len());
    let n = *rng.pick(&[10_000, 1_000_000, 8_000_000]);
    let c = *rng.pick(b"a\"'/\\ \n0-\0");
    bytes.splice(i..i, std::iter::repeat_n(c, n));
    format!("{n} x {:?} at {i}", c as char)
}

fn invalid_utf8(rng: &mut Rng, bytes: &mut Vec<u8>) -> String {
    let i = at(rng, bytes.len());
    let choices: [&[u8]; 5] = [
        b"\xff",
        b"\xc3\x28",
        b"\xe2\x82",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
    ];
    let bad = *rng.pick(&choices);
    bytes.splice(i..i, bad.iter().copied());
    format!("invalid UTF-8 at {i}")
}

fn splice_other(rng: &mut Rng, bytes: &mut Vec<u8>, other: &[u8]) -> String {
    let i = at(rng, bytes.len());
    let from = rng.below(other.len());
    let len = rng
        .below(other.len() - from.min(other.len()) + 1)
        .min(65_536);
    bytes.splice(i..i, other[from..from + len].iter().copied());
    format!("{len} bytes of another file at {i}")
}

fn repeat_piece(rng: &mut Rng, bytes: &mut Vec<u8>) -> String {
    let from = rng.below(bytes.len().max(1));
    let len = (1 + rng.below(4096)).min(bytes.len() - from.min(bytes.len()));
    let times = *rng.pick(&[10, 1_000, 20_000]);
    let piece = bytes[from.min(bytes.len())..from.min(bytes.len()) + len].to_vec();
    let mut repeated = Vec::with_capacity(piece.len() * times);
    for _ in 0..times {
        repeated.extend_from_slice(&piece);
    }
    repeated.truncate(30 << 20);
    bytes.splice(from..from, repeated);
    format!("{len} bytes repeated {times} times at {from}")
}

/// Makes iteration `i`'s site under `dir`; returns what was mutated.
fn make_site(seed: u64, i: u64, dir: &Path) -> Vec<String> {
    let mut rng = Rng(seed ^ i.wrapping_mul(0x2545_f491_4f6c_dd1d));
    let site = *rng.pick(&SITES);
    copy_dir(&root().join(site), dir);
    let names = files(dir);
    let mut done = vec![format!("site {site}")];
    for _ in 0..1 + rng.below(3) {
        let name = rng.pick(&names).clone();
        let other = std::fs::read(dir.join(rng.pick(&names))).unwrap();
        let path = dir.join(&name);
        let mut bytes = std::fs::read(&path).unwrap();
        let what = mutate(&mut rng, &mut bytes, &other);
        std::fs::write(&path, &bytes).unwrap();
        done.push(format!("{name}: {what}"));
    }
    done
}

fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        / 1024
}

/// Builds `site` into `out` on another thread; the outcome or what went wrong.
fn build(site: &Path, out: &Path, cache: &Path) -> Result<usize, String> {
    let overrides = distill::config::Overrides {
        out: Some(out.to_path_buf()),
        cache_dir: Some(cache.to_path_buf()),
        no_budgets: true,
        ..Default::default()
    };
    let settings = distill::config::load(site, &overrides).map_err(|e| format!("config: {e}"))?;
    let (send, receive) = mpsc::channel();
    std::thread::Builder::new()
        .stack_size(distill::limits::WORKER_STACK)
        .spawn(move || {
            let result =
                std::panic::catch_unwind(|| distill::build(&settings, &distill::progress::Silent));
            let _ = send.send(result);
        })
        .unwrap();
    match receive.recv_timeout(TIME_LIMIT) {
        Ok(Ok(Ok(outcome))) => Ok(outcome.diagnostics.len()),
        Ok(Ok(Err(e))) => Err(format!("error: {e}")),
        Ok(Err(panic)) => Err(format!(
            "panic: {}",
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
        Err(_) => Err(format!("over {TIME_LIMIT:?}")),
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v}: not a number"))
        })
        .unwrap_or(default)
}

#[test]
fn mutated_real_sites_build_without_panic_error_or_hang() {
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(distill::limits::WORKER_STACK)
        .build_global();
    let seed = env_u64("DISTILL_FUZZ_SEED", 0x05ee_dd15_7111);
    let secs = env_u64("DISTILL_FUZZ_SECS", 90);
    let only = std::env::var("DISTILL_FUZZ_ONLY")
        .ok()
        .map(|v| v.parse::<u64>().unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let started = Instant::now();
    let mut i = only.unwrap_or(0);
    let mut runs = 0;
    loop {
        let dir = tmp.path().join(format!("site-{i}"));
        let out = tmp.path().join(format!("out-{i}"));
        let what = make_site(seed, i, &dir);
        eprintln!("fuzz {seed:#x}/{i}: {}", what.join("; "));
        let result = build(&dir, &out, &cache);
        let peak = peak_rss_mb();
        let finding = match result {
            Err(e) => Some(e),
            Ok(_) if peak > MAX_RSS_MB => Some(format!("peak RSS {peak} MB")),
            Ok(_) => None,
        };
        if let Some(finding) = finding {
            let keep = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .join("fuzz-findings")
                .join(format!("{seed:x}-{i}"));
            let _ = std::fs::remove_dir_all(&keep);
            copy_dir(&dir, &keep);
            panic!(
                "{finding}\nmutations: {}\nsite kept in {}\nreplay: DISTILL_FUZZ_SEED={seed} \
                 DISTILL_FUZZ_ONLY={i} cargo test --test fuzz -- --nocapture",
                what.join("; "),
                keep.display()
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
        let _ = std::fs::remove_dir_all(&out);
        runs += 1;
        i += 1;
        if only.is_some() || started.elapsed() >= Duration::from_secs(secs) {
            break;
        }
    }
    eprintln!(
        "fuzz: {runs} mutated sites built in {:.0} s, seed {seed:#x}",
        started.elapsed().as_secs_f64()
    );
    assert!(runs > 0);
}
