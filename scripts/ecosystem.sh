#!/usr/bin/env bash
# The ecosystem check (a developer's tool: it needs the repositories of tests/ecosystem/repos.toml
# checked out under DIR, which CI cannot fetch). Builds guardrail, then scores its findings on
# each repository against the judged labels. See scripts/ecosystem.py for the options.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ]; then
  echo "usage: scripts/ecosystem.sh DIR [--only NAME ...] [--save RESULTS.json] [--compare OLD.json] [--write-measured]" >&2
  exit 2
fi
cargo build --release --quiet
exec python3 scripts/ecosystem.py "$@"
