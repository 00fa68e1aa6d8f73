#!/usr/bin/env bash
# The benchmarks of issue 6, end to end: build release, set up the peer (pycontribs `jira` in a
# venv) and a load generator, run bench/bench.py against simulators it starts on 127.0.0.1, and
# write BENCHMARKS.md. Extra arguments go to bench.py (e.g. `--sections peer,keys --runs 7`;
# `--merge` keeps the sections of the existing BENCHMARKS.md that this run does not measure).
# BENCH_PROFILE=dev measures a debug build instead of release (request counts and rate-limited wall
# times do not depend on it; CPU-bound figures do, and the file says which build was measured).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

# shared/ sits beside the repository (CI, a plain clone) or two levels up (a git worktree).
if [ -z "${PEER_SCRIPT:-}" ]; then
  for d in "$ROOT/../shared" "$ROOT/../../shared"; do
    [ -f "$d/bench/peer_audit.py" ] && { PEER_SCRIPT="$d/bench/peer_audit.py"; break; }
  done
fi
PEER_SCRIPT="${PEER_SCRIPT:-$ROOT/../shared/bench/peer_audit.py}"
CACHE="${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jiralink-bench}"
VENV="$CACHE/peer-venv"

PROFILE="${BENCH_PROFILE:-release}"
case "$PROFILE" in release) OUTDIR=release ;; dev) OUTDIR=debug ;; *) OUTDIR="$PROFILE" ;; esac
echo "== build ($PROFILE)" >&2
cargo build --profile "$PROFILE" --locked --bin jiralink --example bench_keys >&2

echo "== the peer: jira==3.10.5 in $VENV" >&2
PEER_ARGS=()
if [ -f "$PEER_SCRIPT" ]; then
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import jira' 2>/dev/null; then
    mkdir -p "$CACHE"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "jira==3.10.5" "requests==2.34.2" >&2
  fi
  PEER_ARGS=(--peer-python "$VENV/bin/python" --peer-script "$PEER_SCRIPT")
else
  echo "   $PEER_SCRIPT not found: the peer comparison is skipped" >&2
fi

echo "== load generator" >&2
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get install -y -qq wrk || (apt-get update -qq && apt-get install -y -qq wrk)) >&2 || true
  fi
  command -v wrk >/dev/null || echo "   wrk missing (apt-get install wrk): section 2 is skipped" >&2
fi

echo "== measure" >&2
python3 "$ROOT/bench/bench.py" \
  --binary "$CARGO_TARGET_DIR/$OUTDIR/jiralink" \
  --keys-binary "$CARGO_TARGET_DIR/$OUTDIR/examples/bench_keys" \
  --profile "$PROFILE" \
  "${PEER_ARGS[@]}" \
  --out "$ROOT/BENCHMARKS.md" "$@"
