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

if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
  [[ -x "$TEMPORAL_CLI_PATH" ]] || { say "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not executable; fix or unset it"; exit 1; }
  echo "$TEMPORAL_CLI_PATH"; exit 0
fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
if [[ -x "$TARGET" && ! -d "$LOCK_DIR" ]]; then echo "$TARGET"; exit 0; fi

GO="$(command -v go || true)"
[[ -z "$GO" && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
if [[ -z "$GO" && ! -d "$LOCK_DIR" ]]; then
  say "no Temporal CLI and no Go toolchain to build one: install the CLI (https://docs.temporal.io/cli) or Go >= 1.24"
  exit 1
fi

mkdir -p "$BIN_DIR"
# Take the build lock (mkdir is atomic); wait while a live process holds it, clear it when its holder is gone.
waited=0
until mkdir "$LOCK_DIR" 2>/dev/null; do
  holder="$(cat "$LOCK_DIR/pid" 2>/dev/null || true)"
  if [[ -n "$holder" ]] && ! kill -0 "$holder" 2>/dev/null; then
    say "removing a stale build lock (pid $holder is gone)"; rm -rf "$LOCK_DIR"; continue
  fi
  if [[ -z "$holder" && $waited -gt $LOCK_PID_GRACE_SECONDS ]]; then
    say "removing a build lock without a pid"; rm -rf "$LOCK_DIR"; continue
  fi
  (( waited == 0 )) && say "another process (pid ${holder:-unknown}) is building the Temporal CLI; waiting"
  (( waited > BUILD_WAIT_MAX_SECONDS )) && { say "gave up waiting for $LOCK_DIR"; exit 1; }
  sleep 2; waited=$((waited + 2))
done
echo $$ > "$LOCK_DIR/pid"
STAGING="$(mktemp -d "$BIN_DIR/.build-XXXXXX")"
trap 'rm -rf "$LOCK_DIR" "$STAGING"' EXIT

# The build we waited for may have produced it.
if [[ -x "$TARGET" ]]; then echo "$TARGET"; exit 0; fi
[[ -n "$GO" ]] || { say "the other build did not produce $TARGET and there is no Go here to retry"; exit 1; }

say "building the Temporal CLI $TEMPORAL_CLI_VERSION with $GO (one-time; 5-15 minutes)"
started=$SECONDS
build() { GOBIN="$STAGING" "$GO" install "$TEMPORAL_CLI_MODULE@$TEMPORAL_CLI_VERSION" 2>&1 | tee "$STAGING/build.log" >&2; }
if ! build; then
  if grep -qiE 'sum\.golang\.org|checksum database' "$STAGING/build.log"; then
    say "the Go checksum database is unreachable; retrying once with GOSUMDB=off"
    GOSUMDB=off build || { say "go install failed; see the output above"; exit 1; }
  else
    say "go install failed; see the output above"; exit 1
  fi
fi
# Rename into place so a concurrent reader never sees a half-written binary.
mv "$STAGING/temporal" "$TARGET"
say "built $TARGET in $((SECONDS - started)) s"
echo "$TARGET"
