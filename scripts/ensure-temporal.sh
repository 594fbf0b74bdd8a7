#!/usr/bin/env bash
# Prints the path of a Temporal CLI (which contains the dev server), building it with Go when missing.
# Same order and lock as infra/temporal-binary.ts: TEMPORAL_CLI_PATH, `temporal` on PATH,
# <cache>/bin/temporal, else `go install` into <cache>/bin. Progress goes to stderr, the path to stdout.
set -euo pipefail

TEMPORAL_CLI_MODULE=github.com/temporalio/cli/cmd/temporal
TEMPORAL_CLI_VERSION=v1.5.1
BUILD_WAIT_MAX_SECONDS=2700   # a cold build takes 7-12 minutes on a 2-core box
LOCK_PID_GRACE_SECONDS=30

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${SPC_CACHE_DIR:-$ROOT/.cache}"
BIN_DIR="$CACHE_DIR/bin"
TARGET="$BIN_DIR/temporal"
LOCK_DIR="$BIN_DIR/.temporal-build.lock"

say() { echo "ensure-temporal: $*" >&2; }
# shellcheck source=lib/build-lock.sh
source "$ROOT/scripts/lib/build-lock.sh"

if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
  [[ -x "$TEMPORAL_CLI_PATH" ]] || { say "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not executable; fix or unset it"; exit 1; }
  echo "$TEMPORAL_CLI_PATH"; exit 0
fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
if [[ -x "$TARGET" && ! -d "$LOCK_DIR" ]]; then echo "$TARGET"; exit 0; fi

is_built() { [[ -x "$TARGET" ]]; }
install_built() {
  go_install_with_retry "$1" "$2" "$TEMPORAL_CLI_MODULE@$TEMPORAL_CLI_VERSION" || return 1
  mv "$2/temporal" "$TARGET"
}
ensure_built "$LOCK_DIR" "the Temporal CLI $TEMPORAL_CLI_VERSION" "$TARGET" \
  "no Temporal CLI and no Go toolchain to build one: install the CLI (https://docs.temporal.io/cli) or Go >= 1.24"
