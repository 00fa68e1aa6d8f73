#!/usr/bin/env bash
# Smoke run of the benchmarks (issue 6) for CI: tiny sizes, one run each, no thresholds, no peer,
# so bench/bench.py keeps working. Reuses the binaries `cargo test` already built (debug), or the
# release ones; builds nothing unless neither exists. Fails only when a section fails to run.
set -euo pipefail
cd "$(dirname "$0")/.."
T="${CARGO_TARGET_DIR:-$PWD/target}"

pick() { for f in "$@"; do [ -x "$f" ] && { echo "$f"; return; }; done; }
BIN=$(pick "$T/debug/jiralink" "$T/release/jiralink")
KEYS=$(pick "$T/debug/examples/bench_keys" "$T/release/examples/bench_keys")
if [ -z "$BIN" ] || [ -z "$KEYS" ]; then
  cargo build --bin jiralink --example bench_keys
  BIN="$T/debug/jiralink"
  KEYS="$T/debug/examples/bench_keys"
fi

OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
echo "== bench smoke with $BIN"
python3 bench/bench.py --strict --label "CI smoke, not figures" \
  --binary "$BIN" --keys-binary "$KEYS" --out "$OUT" \
  --runs 1 --peer-projects 100 --admin-sizes 100 --growth-sizes 50,100 \
  --limit-runs 1 --rss-projects 100 --wrk-seconds 1 --tui-projects 100 --key-presses 3 --idle-seconds 1 \
  --slow-ms 300 --keygen-runs 1 --sign-runs 10 >/dev/null
echo "bench smoke: every section ran"
