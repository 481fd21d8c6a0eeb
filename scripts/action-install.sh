#!/usr/bin/env bash
# The guardrail the Action runs: the release binary of the action's own version when the action is
# used at that release's tag (`uses: guardrail-rs/guardrail@v0.1.0`), installed by
# scripts/install.sh (checksum verified); else — a branch, a commit, `uses: ./`, or a tag whose
# release is missing — built from the action's own source with `cargo install`, which takes
# minutes on a 2-core runner the first time (cached afterwards).
#
#   action-install.sh plan      writes mode=release|source, version, key (the cache key) and
#                               root (where the binary goes) to $GITHUB_OUTPUT
#   action-install.sh install   installs into $INSTALL_ROOT unless the restored cache holds it, and
#                               writes bin=<path> to $GITHUB_OUTPUT
#
# Environment: ACTION_PATH, ACTION_REF (github.action_ref), RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP,
# GITHUB_OUTPUT; for install also MODE, VERSION, INSTALL_ROOT, CACHE_HIT. GUARDRAIL_DOWNLOAD_URL
# is passed on to the installer.
set -euo pipefail
step=${1:?plan or install}
# From the action's own directory: rustup picks the toolchain from the working directory's
# rust-toolchain.toml, and the checkout belongs to the pull request.
cd "$ACTION_PATH"

if [ "$step" = plan ]; then
  version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
  root="$RUNNER_TEMP/guardrail-action"
  if [ "${ACTION_REF:-}" = "v$version" ]; then
    mode=release
    key="guardrail-release-v$version-${RUNNER_OS:-os}-${RUNNER_ARCH:-arch}"
  else
    mode=source
    if command -v sha256sum >/dev/null 2>&1; then sum_cmd=(sha256sum); else sum_cmd=(shasum -a 256); fi
    # The action's ref is not reliable inside composite actions (and empty for `uses: ./`), so
    # the key carries a hash of everything the binary is built from: sources, lockfile, the
    # toolchain files and cargo configuration cargo reads here, and the toolchain itself.
    inputs=()
    for input in Cargo.toml Cargo.lock build.rs src policies rust-toolchain rust-toolchain.toml .cargo; do
      if [ -e "$input" ]; then inputs+=("$input"); fi
    done
    hash=$( { find "${inputs[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 "${sum_cmd[@]}"; \
      cargo --version; rustc --version; } | "${sum_cmd[@]}" | cut -c1-32)
    key="guardrail-bin-${RUNNER_OS:-os}-${RUNNER_ARCH:-arch}-${ACTION_REF:-local}-$hash"
  fi
  {
    echo "mode=$mode"
    echo "version=$version"
    echo "key=$key"
    echo "root=$root"
  } >> "$GITHUB_OUTPUT"
  exit 0
fi

[ "$step" = install ] || { echo "usage: action-install.sh plan|install" >&2; exit 2; }
bin="$INSTALL_ROOT/bin/guardrail"
if [ -f "$bin.exe" ]; then bin="$bin.exe"; fi

build_from_source() {
  echo "::notice title=guardrail::building guardrail $VERSION from source ($1); this takes about 4-5 minutes on a 2-core runner the first time, then the build is cached. Use the action at a release tag (guardrail-rs/guardrail@v$VERSION) to download a prebuilt binary in seconds."
  # The build directory stays out of the checked workspace (`uses: ./` builds in it).
  CARGO_TARGET_DIR="$RUNNER_TEMP/guardrail-build" \
    cargo install --locked --path "$ACTION_PATH" --root "$INSTALL_ROOT" --force
  bin="$INSTALL_ROOT/bin/guardrail"
  if [ -f "$bin.exe" ]; then bin="$bin.exe"; fi
}

if [ "${CACHE_HIT:-}" = true ] && [ -x "$bin" ]; then
  echo "guardrail from the cache: $bin"
elif [ "$MODE" = release ]; then
  if ! GUARDRAIL_VERSION="$VERSION" GUARDRAIL_INSTALL_DIR="$INSTALL_ROOT/bin" sh "$ACTION_PATH/scripts/install.sh"; then
    build_from_source "no release v$VERSION could be installed for this runner"
  fi
  bin="$INSTALL_ROOT/bin/guardrail"
  if [ -f "$bin.exe" ]; then bin="$bin.exe"; fi
else
  build_from_source "${ACTION_REF:-a local checkout} is not a release tag"
fi
"$bin" --version
echo "bin=$bin" >> "$GITHUB_OUTPUT"
