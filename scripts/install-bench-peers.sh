#!/usr/bin/env bash
# Installs the peer tools that the side-by-side benchmark runs next to guardrail:
#   - ast-grep (npm @ast-grep/cli)  -> target/tools/ast-grep/node_modules/.bin/ast-grep
#   - Semgrep  (PyPI semgrep)       -> target/tools/bench-venv/bin/semgrep
# Versions are pinned so numbers stay comparable across runs. Idempotent: an install whose
# binary already exists is skipped. Run from the repository root. Needs node/npm and python3 (3.11).
set -euo pipefail

AST_GREP_VERSION="${AST_GREP_VERSION:-0.51.1}"
SEMGREP_VERSION="${SEMGREP_VERSION:-1.185.0}"

if [[ ! -f Cargo.toml || ! -d src ]]; then
    echo "install-bench-peers: run this from the repository root" >&2
    exit 1
fi

TOOLS_DIR="target/tools"
AST_GREP_PREFIX="$TOOLS_DIR/ast-grep"
AST_GREP_BIN="$AST_GREP_PREFIX/node_modules/.bin/ast-grep"
VENV_DIR="$TOOLS_DIR/bench-venv"
SEMGREP_BIN="$VENV_DIR/bin/semgrep"

mkdir -p "$TOOLS_DIR"

# True when $1 is a native ELF executable (not the package's node fallback shim).
is_elf() {
    [[ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" == '177ELF' ]]
}

# ast-grep. Use the `ast-grep` binary, never `sg` (it collides with the shadow-utils command).
if [[ -x "$AST_GREP_BIN" ]]; then
    echo "ast-grep already installed in $AST_GREP_PREFIX"
else
    echo "installing @ast-grep/cli@$AST_GREP_VERSION into $AST_GREP_PREFIX"
    mkdir -p "$AST_GREP_PREFIX"
    npm install --prefix "$AST_GREP_PREFIX" --no-audit --no-fund --save-exact \
        "@ast-grep/cli@$AST_GREP_VERSION"
fi
# The package's bin is a node shim that spawns the native binary until its postinstall copies
# the native binary over it. npm versions that hold back install scripts leave the shim, which
# would add a node start-up to every timed run: run the postinstall ourselves in that case.
if ! is_elf "$AST_GREP_BIN"; then
    echo "ast-grep bin is the node shim; running @ast-grep/cli's postinstall to put the native binary in place"
    node "$AST_GREP_PREFIX/node_modules/@ast-grep/cli/postinstall.js"
fi
is_elf "$AST_GREP_BIN" || { echo "install-bench-peers: $AST_GREP_BIN is not a native binary" >&2; exit 1; }
"$AST_GREP_BIN" --version

# Semgrep, in its own venv so it never touches the system Python.
if [[ -x "$SEMGREP_BIN" ]]; then
    echo "semgrep already installed: $("$SEMGREP_BIN" --version --disable-version-check)"
else
    echo "installing semgrep==$SEMGREP_VERSION into $VENV_DIR"
    if [[ ! -x "$VENV_DIR/bin/python" ]]; then
        python3 -m venv "$VENV_DIR"
    fi
    "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check \
        "semgrep==$SEMGREP_VERSION"
    "$SEMGREP_BIN" --version --disable-version-check
fi

echo
echo "ast-grep: $AST_GREP_BIN"
echo "semgrep:  $SEMGREP_BIN"
