#!/usr/bin/env bash
# Fuzz smoke for CI: build every cargo-fuzz target in fuzz/ and run each for a few seconds on the
# seed corpus (fixtures + simulator answers), so a parser that crashes on known-tricky input fails
# the build. Longer campaigns: FUZZ_SECS=300 .ci/fuzz-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${FUZZ_SECS:-10}"

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "######################################################################" >&2
  echo "## FUZZ SMOKE SKIPPED: no nightly toolchain on this machine.        ##" >&2
  echo "## cargo-fuzz needs nightly (-Zsanitizer=address). Install it with  ##" >&2
  echo "##   rustup toolchain install nightly                               ##" >&2
  echo "######################################################################" >&2
  exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# The fuzz crate has its own workspace and target dir: keep nightly sanitizer builds out of the
# main target dir that .ci/run shares between steps.
unset CARGO_TARGET_DIR

echo "== fuzz seeds"
fuzz/seeds/make-seeds.sh

echo "== fuzz build"
cargo +nightly fuzz build -O

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for t in $(cargo +nightly fuzz list); do
  echo "== fuzz $t (${secs}s)"
  # A crash leaves its input in fuzz/artifacts/$t/ and a non-zero status.
  set +e
  cargo +nightly fuzz run -O "$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 >"$log" 2>&1
  status=$?
  set -e
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
  if [ "$status" -ne 0 ]; then
    echo "fuzz target $t FAILED (status $status):" >&2
    tail -n 60 "$log" >&2
    exit 1
  fi
done
echo "== fuzz smoke passed"
