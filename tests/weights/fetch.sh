#!/usr/bin/env bash
# Lays out real website themes for the page-weight tests: themes published on npm as
# ready-to-serve HTML with their CSS, fonts and images, pinned in tests/weights/themes.json (see
# SOURCES.md). Each theme's servable folder ("from", inside the package) becomes OUT/ROOT.
#
#   bash tests/weights/fetch.sh [OUT]        (OUT: target/tmp/weights-themes)
#
# Tarballs are kept in OUT/.cache (npm pack), so a second run downloads nothing, and a theme
# already laid out from the same themes.json entry is left as it is. A CDN URL in a listed page
# that serves an npm package's own files is pointed at a copy of that file (and of the files its
# stylesheet's url()s name) under /_npm/PKG@VERSION/: cdn.jsdelivr.net/npm/PKG@VERSION/… always,
# other CDNs by the theme's "mirror" (URL prefix → PKG@VERSION/path/). Everything else external (Google Fonts, unsplash, …) stays as it is; the
# browser test blocks it. Prints one line per theme.
# shellcheck disable=SC2016,SC2013  # node's own ${…}; URLs and paths here have no spaces
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-target/tmp/weights-themes}
mkdir -p "$out/.cache" "$out/.stamps"
out=$(cd "$out" && pwd)
cache=$out/.cache

# pack SPEC: the path of SPEC's tarball in the cache, downloaded the first time.
pack() {
  local tgz
  tgz="$cache/$(printf '%s' "$1" | tr '/' '+').tgz"
  if [[ ! -s $tgz ]]; then
    local tmp
    tmp=$(mktemp -d "$cache/pack.XXXXXX")
    npm pack "$1" --pack-destination "$tmp" --silent --loglevel=error >/dev/null
    mv "$tmp"/*.tgz "$tgz"
    rm -rf "$tmp"
  fi
  printf '%s\n' "$tgz"
}

# One line per theme, fields split by \x1f (a tab would merge empty fields): name, package, from, root, pages (space-separated), mirrors
# (prefix|target space-separated), and the entry itself (a theme is laid out again when it changes).
themes=$(node -e '
  for (const t of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))) {
    const mirrors = Object.entries(t.mirror ?? {}).map(([p, to]) => `${p}|${to}`).join(" ");
    console.log([t.name, t.package, t.from ?? "", t.root, t.pages.join(" "), mirrors, JSON.stringify(t)].join("\x1f"));
  }' "$here/themes.json")

semver='@[0-9]+\.[0-9]+\.[0-9]+[^/"'"'"' )]*'
while IFS=$'\x1f' read -r name spec from root pages mirrors entry; do
  dest=$out/$root
  stamp=$out/.stamps/$root
  if [[ -d $dest && -f $stamp && $(<"$stamp") == "$entry" ]]; then
    echo "$name: $spec (already there)"
    continue
  fi
  work=$out/.work-$root
  rm -rf "$work"
  mkdir -p "$work"
  tar xzf "$(pack "$spec")" -C "$work"
  site=$work/package${from:+/$from}
  files=()
  for page in $pages; do
    [[ -f $site$page ]] || { echo "$name: $page is not in $spec" >&2; exit 1; }
    files+=("$site$page")
  done

  # What to mirror: "url-prefix|PKG@VERSION/path/" pairs.
  pairs=()
  for spec_path in $(grep -ohE "https://cdn\.jsdelivr\.net/npm/(@[a-z0-9._-]+/)?[a-z0-9._-]+$semver/" "${files[@]}" | sort -u); do
    pairs+=("$spec_path|${spec_path#https://cdn.jsdelivr.net/npm/}")
  done
  for m in $mirrors; do
    if grep -qF "${m%%|*}" "${files[@]}"; then pairs+=("$m"); fi
  done
  mirrored=0
  for pair in ${pairs[@]+"${pairs[@]}"}; do
    prefix=${pair%%|*}
    target=${pair#*|}
    pkg=$(printf '%s' "$target" | sed -E 's#^((@[^/]+/)?[^/@]+@[^/]+)/.*#\1#')
    if [[ ! -d $work/npm/$pkg ]]; then
      mkdir -p "$work/npm/$pkg"
      tar xzf "$(pack "$pkg")" -C "$work/npm/$pkg" --strip-components=1
      mirrored=$((mirrored + 1))
    fi
    quoted=$(printf '%s' "$prefix" | sed 's/[.[\*^$#]/\\&/g')
    sed -i "s#$quoted#/_npm/$target#g" "${files[@]}"
  done
  # Only the files the pages name, and those their stylesheets' url()s name (fonts, images),
  # are copied: a site that self-hosts a library serves these, not the whole package.
  for ref in $(grep -ohE '/_npm/[^"'"'"' )?#]+' "${files[@]}" | sort -u); do
    copy=("${ref#/_npm/}")
    if [[ $ref == *.css ]]; then
      for url in $(grep -oE 'url\([^)]*\)' "$work/npm/${ref#/_npm/}" | sed -E "s/^url\(['\"]?//; s/['\"]?\)$//; s/[?#].*//" | grep -vE '^(data:|https?:|/)' | sort -u); do
        copy+=("$(realpath -m --relative-to="$work/npm" "$(dirname "$work/npm/${ref#/_npm/}")/$url")")
      done
    fi
    for f in "${copy[@]}"; do
      if [[ -f $work/npm/$f ]]; then
        mkdir -p "$(dirname "$site/_npm/$f")"
        cp "$work/npm/$f" "$site/_npm/$f"
      else
        echo "$name: /_npm/$f is not in the mirrored package" >&2
      fi
    done
  done

  rm -rf "$dest"
  mv "$site" "$dest"
  rm -rf "$work"
  printf '%s\n' "$entry" >"$stamp"
  echo "$name: $spec -> $dest ($(wc -w <<<"$pages") pages, $mirrored CDN packages mirrored)"
done <<<"$themes"
