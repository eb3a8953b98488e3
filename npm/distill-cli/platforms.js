// The platforms distill-cli ships a binary for, and which one this machine needs. One table,
// read by the launcher (bin/distill.js), the JS API (index.js) and the packaging script
// (npm/package.mjs), so the three cannot disagree.

/** Platform name -> npm `os`/`cpu`/`libc` fields, the Rust target it is built for, its binary. */
export const PLATFORMS = {
  'darwin-arm64': { os: 'darwin', cpu: 'arm64', target: 'aarch64-apple-darwin', binary: 'distill' },
  'darwin-x64': { os: 'darwin', cpu: 'x64', target: 'x86_64-apple-darwin', binary: 'distill' },
  'linux-arm64-gnu': { os: 'linux', cpu: 'arm64', libc: 'glibc', target: 'aarch64-unknown-linux-gnu', binary: 'distill' },
  'linux-arm64-musl': { os: 'linux', cpu: 'arm64', libc: 'musl', target: 'aarch64-unknown-linux-musl', binary: 'distill' },
  'linux-x64-gnu': { os: 'linux', cpu: 'x64', libc: 'glibc', target: 'x86_64-unknown-linux-gnu', binary: 'distill' },
  'linux-x64-musl': { os: 'linux', cpu: 'x64', libc: 'musl', target: 'x86_64-unknown-linux-musl', binary: 'distill' },
  'win32-x64-msvc': { os: 'win32', cpu: 'x64', target: 'x86_64-pc-windows-msvc', binary: 'distill.exe' },
};

export const SCOPE = '@distill-cli';

/** `@distill-cli/linux-x64-gnu` for `linux-x64-gnu`. */
export function packageName(platform) {
  return `${SCOPE}/${platform}`;
}

/** Whether this Linux runs on glibc: Node's own report says which glibc it loaded, if any. */
function isGlibc() {
  try {
    return Boolean(process.report?.getReport()?.header?.glibcVersionRuntime);
  } catch {
    return true;
  }
}

/**
 * The platform names that can run on this machine, best first: on glibc Linux the gnu build,
 * then the (static) musl one, which runs there too; on musl Linux only the musl build.
 */
export function hostPlatforms(platform = process.platform, arch = process.arch, glibc = undefined) {
  if (platform === 'linux') {
    const gnu = glibc ?? isGlibc();
    return gnu ? [`linux-${arch}-gnu`, `linux-${arch}-musl`] : [`linux-${arch}-musl`];
  }
  if (platform === 'win32') return [`win32-${arch}-msvc`];
  return [`${platform}-${arch}`];
}
