#!/usr/bin/env bash
# Packages a built guardrail for a release: OUT/guardrail-<target>.tar.gz (.zip on Windows),
# holding one directory of that name with the binary, README.md and the licenses, and beside it
# <archive>.sha256 ("<hex>  <archive>", as sha256sum writes and checks it).
#
#   scripts/package-release.sh <target-triple> <directory of the built binary> <output directory>
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?target triple}
bin_dir=${2:?directory holding the built binary}
out=${3:?output directory}

name="guardrail-$target"
binary=guardrail
case "$target" in *windows*) binary=guardrail.exe ;; esac
[ -f "$bin_dir/$binary" ] || { echo "no $binary in $bin_dir" >&2; exit 2; }

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging/$name" "$out"
cp "$bin_dir/$binary" README.md LICENSE-MIT LICENSE-APACHE "$staging/$name/"

case "$target" in
  *windows*)
    archive="$name.zip"
    if command -v 7z >/dev/null 2>&1; then
      (cd "$staging" && 7z a -tzip -bd "$archive" "$name" >/dev/null)
    else
      (cd "$staging" && zip -qr "$archive" "$name")
    fi
    ;;
  *)
    archive="$name.tar.gz"
    tar -C "$staging" -czf "$staging/$archive" "$name"
    ;;
esac
mv "$staging/$archive" "$out/"

if command -v sha256sum >/dev/null 2>&1; then
  (cd "$out" && sha256sum "$archive" > "$archive.sha256")
else
  (cd "$out" && shasum -a 256 "$archive" > "$archive.sha256")
fi
echo "$out/$archive"
echo "$out/$archive.sha256"
