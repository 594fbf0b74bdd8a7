#!/usr/bin/env bash
# Prints the directory holding the Temporal server binaries `temporal-server` and `temporal-sql-tool`
# (the self-hosted server and its schema tool), building them with Go when missing. Same lock protocol
# as scripts/ensure-temporal.sh and infra/temporal-binary.ts (a mkdir lock holding the builder's pid),
# with its own lock so the CLI and the server can be built by different processes.
# Order: TEMPORAL_SERVER_BIN_DIR (both binaries there), else <cache>/bin, else `go install` into it.
# Progress goes to stderr, the directory to stdout. No replace directives: plain `go install mod@ver`.
set -euo pipefail

TEMPORAL_SERVER_VERSION=v1.29.1
SERVER_MODULE=go.temporal.io/server/cmd/server
SQL_TOOL_MODULE=go.temporal.io/server/cmd/tools/sql
BUILD_WAIT_MAX_SECONDS=2700   # a cold build (modules + compile) takes 10-20 minutes on a 2-core box
LOCK_PID_GRACE_SECONDS=30

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${SPC_CACHE_DIR:-$ROOT/.cache}"
BIN_DIR="$CACHE_DIR/bin"
LOCK_DIR="$BIN_DIR/.temporal-server-build.lock"
# go install names binaries after their package directory (server, sql); they are renamed so that
# they do not clash with other tools in the same bin directory.
SERVER_BIN=temporal-server
SQL_BIN=temporal-sql-tool

say() { echo "ensure-temporal-server: $*" >&2; }
# shellcheck source=lib/build-lock.sh
source "$ROOT/scripts/lib/build-lock.sh"
have_both() { [[ -x "$1/$SERVER_BIN" && -x "$1/$SQL_BIN" ]]; }

if [[ -n "${TEMPORAL_SERVER_BIN_DIR:-}" ]]; then
  have_both "$TEMPORAL_SERVER_BIN_DIR" || { say "TEMPORAL_SERVER_BIN_DIR=$TEMPORAL_SERVER_BIN_DIR lacks $SERVER_BIN or $SQL_BIN; fix or unset it"; exit 1; }
  echo "$TEMPORAL_SERVER_BIN_DIR"; exit 0
fi
if have_both "$BIN_DIR" && [[ ! -d "$LOCK_DIR" ]]; then echo "$BIN_DIR"; exit 0; fi

is_built() { have_both "$BIN_DIR"; }
install_built() {
  go_install_with_retry "$1" "$2" "$SERVER_MODULE@$TEMPORAL_SERVER_VERSION" "$SQL_TOOL_MODULE@$TEMPORAL_SERVER_VERSION" || return 1
  # The SQL tool last, because have_both checks both.
  mv "$2/server" "$BIN_DIR/$SERVER_BIN"
  mv "$2/sql" "$BIN_DIR/$SQL_BIN"
}
ensure_built "$LOCK_DIR" "the Temporal server $TEMPORAL_SERVER_VERSION and its SQL schema tool" "$BIN_DIR" \
  "no Temporal server binaries in $BIN_DIR and no Go toolchain (>= 1.25) to build them: install Go or set TEMPORAL_SERVER_BIN_DIR"
