#!/usr/bin/env bash
# The Linux x64 binary distill-cli ships, and its npm packages. Every C codec is linked
# statically (libaom built from its source, not Debian's libaom.a, which needs the build
# machine's glibc), against glibc 2.17 with zig (PyPI's ziglang, driven by cargo-zigbuild), so
# the binary runs on distributions as old as CentOS 7. The script proves the floor (objdump -T:
# no glibc symbol newer than 2.17), builds the example site with the binary, and writes the
# npm packages (npm/package.mjs --pack) to target/npm/packages/.
#
#   bash npm/build-linux-x64.sh       # about 15 minutes from nothing on 2 cores
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
floor=2.17
out="$repo/target/npm"

python3 -m pip install --quiet "ziglang==0.17.1" "cargo-zigbuild==0.24.1"
command -v objdump >/dev/null || { echo "objdump is missing (apt-get install binutils)" >&2; exit 2; }

# The tracked files as they are in the working tree, without .cargo/config.toml (which points
# libaom-sys at Debian's libaom.a): libaom is then built from source by cmake, with zig's cc.
# The copy is outside the repository, whose .cargo/config.toml cargo would otherwise find.
src="$(mktemp -d)/distill"
trap 'rm -rf "$(dirname "$src")"' EXIT
mkdir -p "$src"
git -C "$repo" ls-files -z | tar -C "$repo" --null -T - -c | tar -x -C "$src"
rm -f "$src/.cargo/config.toml"
(cd "$src" && cargo zigbuild --locked --release \
  --target "x86_64-unknown-linux-gnu.$floor" --target-dir "$out/build")
bin="$out/build/x86_64-unknown-linux-gnu/release/distill"

newest="$(objdump -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V -u | tail -n 1)"
if [ "$(printf '%s\n%s\n' "$newest" "$floor" | sort -V | tail -n 1)" != "$floor" ]; then
  echo "$bin needs glibc $newest, newer than the floor $floor" >&2
  exit 1
fi
libs="$(objdump -p "$bin" | awk '/NEEDED/ {print $2}' | sort | tr '\n' ' ')"
echo "glibc floor: $newest (needs: $libs)"

rm -rf "$out/site"
"$bin" build "$repo/examples/site" --out "$out/site" --cache-dir "$out/cache" --no-budgets
node "$repo/npm/package.mjs" --binary "$bin" --platform linux-x64-gnu --out "$out/packages" --pack
ls -l "$bin" "$out"/packages/*.tgz
