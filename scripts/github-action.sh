#!/usr/bin/env bash
# The body of the guardrail GitHub Action (action.yml): one `guardrail check` that prints
# annotations, writes SARIF and a job summary, and exits with guardrail's exit code.
#
# Inputs (environment; empty means the default):
#   GUARDRAIL_BIN     the binary (default: guardrail on PATH)
#   INPUT_PATH        directory to check (default .)
#   INPUT_CONFIG      --config FILE
#   INPUT_FAIL_ON     --fail-on error|warning|note (default error)
#   INPUT_DIFF_BASE   --diff-base REF; empty: origin/$GITHUB_BASE_REF on pull requests, none otherwise.
#                     Nothing is fetched here: check out with `fetch-depth: 0` so that the base is there.
#   INPUT_BASELINE    --baseline FILE
#   INPUT_CATEGORY    --category NAME, the SARIF category (default guardrail)
#   INPUT_SHARD       --shard K/N; the SARIF category becomes NAME-shard-K-of-N
#   INPUT_PREVIEW     'true': --preview (also run the built-in rules still in preview)
# From GitHub: GITHUB_EVENT_NAME, GITHUB_BASE_REF, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, RUNNER_TEMP.
#
# Outputs: `sarif=<path>`, `category=<SARIF category>` and `exit-code=<n>` in $GITHUB_OUTPUT, the Markdown report appended to
# $GITHUB_STEP_SUMMARY. Exit code: guardrail's (0 clean, 1 findings at or above fail-on, 2 errors).
set -euo pipefail

bin="${GUARDRAIL_BIN:-guardrail}"
path="${INPUT_PATH:-.}"
fail_on="${INPUT_FAIL_ON:-error}"
category="${INPUT_CATEGORY:-guardrail}"
diff_base="${INPUT_DIFF_BASE:-}"
event="${GITHUB_EVENT_NAME:-}"
base_ref="${GITHUB_BASE_REF:-}"

# A workflow command for a problem of the action itself (not a finding), then exit 2 like guardrail.
die() {
  echo "::error title=guardrail action::$1"
  exit 2
}

if ! command -v "$bin" >/dev/null 2>&1; then
  die "guardrail binary not found: '$bin' (set the 'binary' input or leave it empty to build guardrail)"
fi
if [ ! -d "$path" ]; then
  die "path '$path' is not a directory (from $(pwd))"
fi

# guardrail reports paths relative to the checked directory; GitHub reads them from the
# repository root: prefix them with the checked directory.
prefix=""
if [ "$path" != "." ] && [ "$path" != "./" ]; then
  prefix="${path#./}"
  prefix="${prefix%/}/"
fi

if [ -z "$diff_base" ] && { [ "$event" = pull_request ] || [ "$event" = pull_request_target ]; } && [ -n "$base_ref" ]; then
  diff_base="origin/$base_ref"
  # Fetching is left to actions/checkout; say clearly what is missing instead of a bare git error.
  if ! git -C "$path" rev-parse --verify --quiet "$diff_base^{commit}" >/dev/null; then
    die "the pull request's base '$diff_base' is not in the clone: check out with actions/checkout and 'fetch-depth: 0' (or set the 'diff-base' input)"
  fi
fi

temp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
mkdir -p "$temp"
sarif="$temp/guardrail.sarif"
summary="$temp/guardrail-summary.md"
rm -f "$sarif" "$summary"

# The facts cache lives outside the checkout (actions/cache keeps it between runs).
args=(check "$path" --format github --color never --fail-on "$fail_on" --category "$category"
  --path-prefix "$prefix" --output "sarif=$sarif" --output "markdown=$summary" --cache-dir "$temp/guardrail-cache")
if [ -n "${INPUT_CONFIG:-}" ]; then args+=(--config "$INPUT_CONFIG"); fi
if [ -n "${INPUT_BASELINE:-}" ]; then args+=(--baseline "$INPUT_BASELINE"); fi
if [ -n "$diff_base" ]; then args+=(--diff-base "$diff_base"); fi
if [ "${INPUT_PREVIEW:-false}" = "true" ]; then args+=(--preview); fi
sarif_category="$category"
if [ -n "${INPUT_SHARD:-}" ]; then
  args+=(--shard "$INPUT_SHARD")
  sarif_category="$category-shard-${INPUT_SHARD%%/*}-of-${INPUT_SHARD#*/}"
fi

echo "+ $bin ${args[*]}" >&2

code=0
"$bin" "${args[@]}" || code=$?

# GitHub rejects a step summary over 1 MiB: keep the counts and say where the rest is.
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -s "$summary" ]; then
  size=$(wc -c <"$summary")
  if [ "$size" -le 1000000 ]; then
    cat "$summary" >>"$GITHUB_STEP_SUMMARY"
  else
    {
      head -n 3 "$summary"
      echo
      echo "_The full report ($size bytes) is too large for a job summary: see the annotations and code scanning._"
    } >>"$GITHUB_STEP_SUMMARY"
  fi
fi

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    if [ -s "$sarif" ]; then echo "sarif=$sarif"; fi
    echo "category=$sarif_category"
    echo "exit-code=$code"
  } >>"$GITHUB_OUTPUT"
fi

exit "$code"
