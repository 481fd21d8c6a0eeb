#!/usr/bin/env bash
# End-to-end test of the pre-commit hook (.pre-commit-hooks.yaml), with the real pre-commit:
#   1. a clean crate passes           (`pre-commit try-repo <this repo> guardrail --all-files`)
#   2. an unbounded channel a request handler fills fails it  (`... --files src/queue.rs`, output names
#      `unbounded-channel`)
# Prints `2 passed, 0 failed` on success; exits non-zero with the reason on any failure.
#
# pre-commit is installed into target/tools/venv when missing (PyPI). `language: rust` makes
# pre-commit build guardrail with `cargo install` from a clone of this repository (a release
# build: minutes). A working tree with changes or untracked files is first copied into a
# temporary commit, so that what is tested is what is on disk. CARGO_TARGET_DIR points at
# target/tools/pre-commit-target so that the second run and later runs reuse the compiled
# dependencies (each `try-repo` starts from an empty pre-commit store).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$repo/target/tools"
venv="$tools/venv"
start=$SECONDS
passed=0

fail() {
  echo "pre-commit e2e: FAILED: $*" >&2
  echo "$passed passed, 1 failed"
  exit 1
}
step() { echo "==> $* ($((SECONDS - start))s)"; }

command -v git >/dev/null || fail "git is not installed"
command -v cargo >/dev/null || fail "cargo is not on PATH (language: rust builds the hook with it)"

# --- pre-commit ------------------------------------------------------------------------------
# target/tools/venv is shared with tests/action.rs; a directory made with mkdir is the lock.
lock="$tools/venv.lock"
holding_lock=""
work=""
cleanup() {
  if [ -n "$holding_lock" ]; then rmdir "$lock" 2>/dev/null || true; fi
  if [ -n "$work" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

if [ ! -x "$venv/bin/pre-commit" ]; then
  mkdir -p "$tools"
  waited=0
  until mkdir "$lock" 2>/dev/null; do
    # A lock older than 10 minutes was left by a run that was killed.
    if [ -n "$(find "$lock" -maxdepth 0 -mmin +10 2>/dev/null)" ]; then
      rmdir "$lock" 2>/dev/null || true
      continue
    fi
    [ "$waited" -lt 600 ] || fail "waited 10 minutes for $lock (another install); remove it if stale"
    sleep 1
    waited=$((waited + 1))
  done
  holding_lock=1
  if [ ! -x "$venv/bin/pre-commit" ]; then
    step "installing pre-commit into $venv"
    if [ ! -x "$venv/bin/python" ]; then
      python3 -m venv "$venv" || fail "python3 -m venv $venv failed"
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "pre-commit==4.*" ||
      fail "pip install pre-commit failed"
  fi
  rmdir "$lock"
  holding_lock=""
fi
pre_commit="$venv/bin/pre-commit"
"$pre_commit" --version

work="$(mktemp -d "${TMPDIR:-/tmp}/guardrail-pre-commit-e2e.XXXXXX")"

# A fixed identity, and no user or system git configuration, for every git call made here.
export GIT_AUTHOR_NAME=e2e GIT_AUTHOR_EMAIL=e2e@example.invalid
export GIT_COMMITTER_NAME=e2e GIT_COMMITTER_EMAIL=e2e@example.invalid
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export PRE_COMMIT_COLOR=never NO_COLOR=1
export CARGO_TARGET_DIR="$tools/pre-commit-target"
# pre-commit would otherwise install its hook environments under ~/.cache/pre-commit.
export PRE_COMMIT_HOME="$work/pre-commit-home"

# --- the hook repository ---------------------------------------------------------------------
# try-repo clones the repository at HEAD; it adds tracked changes itself but not untracked
# files, so a working tree that is not clean is copied into a temporary commit instead.
hook_repo="$repo"
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=normal)" ]; then
  step "working tree has changes: testing a snapshot of it"
  hook_repo="$work/hook-repo"
  mkdir -p "$hook_repo"
  git -C "$repo" ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' file; do
      # Deleted but still tracked files have nothing to copy.
      if [ -e "$repo/$file" ] || [ -L "$repo/$file" ]; then printf '%s\0' "$file"; fi
    done |
    (cd "$repo" && tar --null -T - -cf -) | tar -xf - -C "$hook_repo"
  git -C "$hook_repo" init -q
  git -C "$hook_repo" add -A
  git -C "$hook_repo" commit -q -m "snapshot of $repo" || fail "could not commit the snapshot"
fi
[ -f "$hook_repo/.pre-commit-hooks.yaml" ] || fail "no .pre-commit-hooks.yaml in $hook_repo"
"$pre_commit" validate-manifest "$hook_repo/.pre-commit-hooks.yaml" || fail ".pre-commit-hooks.yaml is not a valid manifest"

# --- the project the hook runs on ------------------------------------------------------------
project="$work/project"
mkdir -p "$project/src"
cd "$project"
git init -q
cat >Cargo.toml <<'EOF'
[package]
name = "e2e-demo"
version = "0.1.0"
edition = "2021"

[workspace]
EOF
cat >src/lib.rs <<'EOF'
//! A crate with nothing for guardrail to report.

pub fn add(a: u32, b: u32) -> u32 {
    a + b
}
EOF
git add -A
git commit -q -m "clean crate"

log="$work/try-repo.log"

# --- 1. clean: must pass ---------------------------------------------------------------------
step "pre-commit try-repo guardrail --all-files (clean crate; builds guardrail, takes minutes)"
code=0
"$pre_commit" try-repo "$hook_repo" guardrail --all-files --color never >"$log" 2>&1 || code=$?
cat "$log"
[ "$code" -eq 0 ] || fail "the hook failed on a clean crate (exit $code); output above"
grep -q 'guardrail' "$log" || fail "the guardrail hook did not run; output above"
grep -Eq 'guardrail\.+Passed' "$log" || fail "the guardrail hook did not report Passed; output above"
echo "ok: clean crate passes"
passed=$((passed + 1))

# --- 2. an unbounded channel a request handler fills: must fail, naming the rule ----------------
cat >src/queue.rs <<'EOF'
//! Order events: a request handler queues them, without a bound.

use axum::extract::State;

#[derive(Clone)]
pub struct Events {
    tx: std::sync::mpsc::Sender<u64>,
}

pub fn router(app: axum::Router<Events>) -> axum::Router {
    let (tx, _rx) = std::sync::mpsc::channel::<u64>();
    app.route("/orders", axum::routing::post(place)).with_state(Events { tx })
}

async fn place(State(events): State<Events>) {
    events.tx.send(1).ok();
}
EOF
echo "pub mod queue;" >>src/lib.rs
# unbounded-channel is in preview (off unless asked for): this project asks for it.
printf '[rules.unbounded-channel]\nenabled = true\n' >guardrail.toml
git add src/queue.rs src/lib.rs guardrail.toml
step "pre-commit try-repo guardrail --files src/queue.rs (unbounded channel)"
code=0
"$pre_commit" try-repo "$hook_repo" guardrail --files src/queue.rs --color never >"$log" 2>&1 || code=$?
cat "$log"
[ "$code" -ne 0 ] || fail "the hook passed a file with an unbounded channel; output above"
grep -q 'unbounded-channel' "$log" || fail "the hook failed (exit $code) but its output does not name unbounded-channel; output above"
grep -q 'src/queue.rs' "$log" || fail "the hook's output does not point at src/queue.rs; output above"
echo "ok: unbounded channel fails the hook (exit $code)"
passed=$((passed + 1))

step "done in $((SECONDS - start))s"
echo "$passed passed, 0 failed"
