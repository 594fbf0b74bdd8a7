# Sourced by the ensure-*.sh scripts. The build lock is a directory (mkdir is atomic) holding the
# builder's pid, the same protocol as infra/temporal-binary.ts, so bash and Node never build at once.
# take_build_lock LOCK_DIR WHAT: waits while a live process holds LOCK_DIR, clears a stale one, takes it.
# Needs say() from the caller, BUILD_WAIT_MAX_SECONDS and LOCK_PID_GRACE_SECONDS.
take_build_lock() {
  local lock_dir="$1" what="$2" waited=0 holder
  until mkdir "$lock_dir" 2>/dev/null; do
    holder="$(cat "$lock_dir/pid" 2>/dev/null || true)"
    if [[ -n "$holder" ]] && ! kill -0 "$holder" 2>/dev/null; then
      say "removing a stale build lock (pid $holder is gone)"; rm -rf "$lock_dir"; continue
    fi
    if [[ -z "$holder" && $waited -gt $LOCK_PID_GRACE_SECONDS ]]; then
      say "removing a build lock without a pid"; rm -rf "$lock_dir"; continue
    fi
    (( waited == 0 )) && say "another process (pid ${holder:-unknown}) is building $what; waiting"
    (( waited > BUILD_WAIT_MAX_SECONDS )) && { say "gave up waiting for $lock_dir"; return 1; }
    sleep 2; waited=$((waited + 2))
  done
  echo $$ > "$lock_dir/pid"
}

# find_go: prints the Go toolchain's path, or nothing.
find_go() {
  local go
  go="$(command -v go || true)"
  [[ -z "$go" && -x /usr/local/go/bin/go ]] && go=/usr/local/go/bin/go
  echo "$go"
}

# go_install_with_retry GO STAGING MODULE@VERSION...: go install into STAGING, once more with
# GOSUMDB=off when the checksum database is unreachable (modules still come from the module proxy).
go_install_with_retry() {
  local go="$1" staging="$2"; shift 2
  build() { GOBIN="$staging" "$go" install "$@" 2>&1 | tee "$staging/build.log" >&2; }
  if ! build "$@"; then
    if grep -qiE 'sum\.golang\.org|checksum database' "$staging/build.log"; then
      say "the Go checksum database is unreachable; retrying once with GOSUMDB=off"
      GOSUMDB=off build "$@" || { say "go install failed; see the output above"; return 1; }
    else
      say "go install failed; see the output above"; return 1
    fi
  fi
}

# ensure_built LOCK_DIR WHAT RESULT NO_GO_HINT: what both ensure-*.sh scripts do once their quick
# checks found nothing: find Go, take the lock, and unless the build we waited for produced it, build
# into a staging directory and print RESULT. The caller defines is_built (true when RESULT is there)
# and install_built GO STAGING (go install, then rename into place so that a concurrent reader never
# sees a half-written binary).
ensure_built() {
  local lock_dir="$1" what="$2" result="$3" no_go_hint="$4" bin_dir go staging started
  bin_dir="$(dirname "$lock_dir")"
  go="$(find_go)"
  if [[ -z "$go" && ! -d "$lock_dir" ]]; then say "$no_go_hint"; return 1; fi
  mkdir -p "$bin_dir"
  take_build_lock "$lock_dir" "$what" || return 1
  staging="$(mktemp -d "$bin_dir/.build-XXXXXX")"
  # shellcheck disable=SC2064 # expand now: the paths are this call's
  trap "rm -rf '$lock_dir' '$staging'" EXIT
  # The build we waited for may have produced it.
  if is_built; then echo "$result"; return 0; fi
  [[ -n "$go" ]] || { say "the other build did not produce $what and there is no Go here to retry"; return 1; }
  say "building $what with $go (one-time; 5-20 minutes)"
  started=$SECONDS
  install_built "$go" "$staging" || return 1
  say "built $what in $((SECONDS - started)) s"
  echo "$result"
}
