#!/usr/bin/env sh
# Installs a released guardrail: downloads the archive for this machine's target triple and its
# .sha256, refuses it unless the checksum matches (naming both hashes), and installs the binary.
# No byte that was not verified is ever run.
#
#   GUARDRAIL_VERSION      the release, without the v (default: this script's own)
#   GUARDRAIL_DOWNLOAD_URL where releases live (default: the GitHub releases of guardrail-rs/guardrail);
#                          the files are <url>/v<version>/guardrail-<target>.tar.gz and .sha256
#   GUARDRAIL_INSTALL_DIR  where `guardrail` goes (default: $HOME/.local/bin)
#   GUARDRAIL_TARGET       the target triple (default: this machine's)
set -eu

# Kept equal to Cargo.toml's version by a test: a script from a release installs that release.
DEFAULT_VERSION=0.1.0

version=${GUARDRAIL_VERSION:-$DEFAULT_VERSION}
base=${GUARDRAIL_DOWNLOAD_URL:-https://github.com/guardrail-rs/guardrail/releases/download}
install_dir=${GUARDRAIL_INSTALL_DIR:-$HOME/.local/bin}

fail() {
  echo "guardrail install: $*" >&2
  exit 1
}

target=${GUARDRAIL_TARGET:-}
if [ -z "$target" ]; then
  case "$(uname -s)" in
    Linux) os=unknown-linux-musl ;;
    Darwin) os=apple-darwin ;;
    MINGW* | MSYS* | CYGWIN*) os=pc-windows-msvc ;;
    *) fail "no release for $(uname -s); build from source: cargo install --locked --git https://github.com/guardrail-rs/guardrail" ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) fail "no release for $(uname -m)" ;;
  esac
  target="$arch-$os"
fi
case "$target" in
  *windows*) archive="guardrail-$target.zip" binary=guardrail.exe ;;
  *) archive="guardrail-$target.tar.gz" binary=guardrail ;;
esac

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    fail "neither sha256sum nor shasum is installed: cannot verify the download"
  fi
}

download() {
  if command -v curl >/dev/null 2>&1; then
    curl --proto '=https,http' --fail --silent --show-error --location --retry 3 --output "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget --quiet --output-document "$2" "$1"
  else
    fail "neither curl nor wget is installed"
  fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
url="$base/v$version/$archive"
echo "guardrail install: $url"
download "$url" "$work/$archive" || fail "cannot download $url (is there a release v$version for $target?)"
download "$url.sha256" "$work/$archive.sha256" || fail "no checksum at $url.sha256: refusing an unverified download"

expected=$(cut -d' ' -f1 < "$work/$archive.sha256" | tr -d '\r\n')
actual=$(sha256 "$work/$archive")
case "$expected" in
  *[!0-9a-f]* | "") fail "the checksum file $archive.sha256 holds no SHA-256: refusing the download" ;;
esac
[ "${#expected}" -eq 64 ] || fail "the checksum file $archive.sha256 holds no SHA-256: refusing the download"
[ "$expected" = "$actual" ] || fail "checksum mismatch for $archive: expected $expected, got $actual; nothing was installed"

case "$archive" in
  *.zip) (cd "$work" && unzip -q "$archive") ;;
  *) tar -C "$work" -xzf "$work/$archive" ;;
esac
[ -f "$work/guardrail-$target/$binary" ] || fail "$archive does not hold guardrail-$target/$binary"
mkdir -p "$install_dir"
# Into place by rename: a half-copied binary is never on PATH.
cp "$work/guardrail-$target/$binary" "$install_dir/.$binary.tmp"
chmod 755 "$install_dir/.$binary.tmp"
mv "$install_dir/.$binary.tmp" "$install_dir/$binary"
echo "guardrail install: $install_dir/$binary ($("$install_dir/$binary" --version))"
