#!/usr/bin/env bash
# Scale benchmark: `check` on a synthetic checkpoint monorepo
# (benches/monorepo.py) of 1k / 3k / 10k folders, in each output mode —
# text, --junit, --format github, --sarif, --baseline-ref HEAD — plus the
# shared corpus and one small folder, and the same runs without the
# content-keyed cache (`--no-cache`). Prints the median (or with STAT=best,
# the best: on a machine shared with other work the best run is the one
# least disturbed) over REPEAT runs of wall time, CPU time (user + sys) and
# peak RSS (GNU time's max RSS).
#
# Usage: benches/scale.sh [FOLDERS…]   (default: 1000 3000 10000)
# Environment: REPEAT (default 3); BIN (default: build target/release once);
# SCALE_DIR (where the trees are generated and kept between runs, default
# /tmp/chat-template-lint-scale); TIMEOUT per run in seconds (default 300);
# MODES (default "text junit github sarif baseline-ref"; also "json" and
# "nocache"); STAT (median or best, default median).
# Needs GNU time (/usr/bin/time), python3, git and ../shared/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }
[ -d ../shared/corpus ] || { echo "needs ../shared/corpus (the templates come from it)" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --quiet
  BIN=$repo/target/release/chat-template-lint
fi
repeat=${REPEAT:-3}
timeout=${TIMEOUT:-300}
modes=${MODES:-text junit github sarif baseline-ref}
dir=${SCALE_DIR:-/tmp/chat-template-lint-scale}
mkdir -p "$dir"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# One run: "wall cpu rss_kb", or "timeout" past $timeout seconds.
once() {
  local status=0
  ( cd "$1" && shift && timeout "$timeout" /usr/bin/time -f "%e %U %S %M" -o "$out/time" \
      "$BIN" check --no-config "$@" >/dev/null 2>"$out/stderr" ) || status=$?
  if [ "$status" -eq 124 ]; then echo timeout; return; fi
  if [ "$status" -ge 2 ]; then echo "failed (exit $status): $(head -c 300 "$out/stderr")" >&2; echo failed; return; fi
  # GNU time writes "Command exited with non-zero status 1" first when the run
  # finds errors: the figures are on the last line.
  tail -n 1 "$out/time" | awk '{ printf "%s %.2f %d\n", $1, $2 + $3, $4 }'
}

# The median of REPEAT runs of each figure (a timeout stops the repeats).
measure() {
  local label=$1; shift
  local walls=() cpus=() rsss=() r
  for _ in $(seq "$repeat"); do
    r=$(once "$@")
    case $r in
      timeout) printf "%-34s  > %d s (timeout)\n" "$label" "$timeout"; return ;;
      failed) printf "%-34s  failed\n" "$label"; return ;;
    esac
    read -r w c m <<<"$r"
    walls+=("$w"); cpus+=("$c"); rsss+=("$m")
  done
  if [ "${STAT:-median}" = best ]; then
    med() { printf "%s\n" "$@" | sort -g | head -n 1; }
  else
    med() { printf "%s\n" "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
  fi
  printf "%-34s %7.2f s wall %7.2f s CPU %8.1f MB peak\n" "$label" \
    "$(med "${walls[@]}")" "$(med "${cpus[@]}")" "$(med "${rsss[@]}" | awk '{ print $1 / 1024 }')"
}

echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); ${STAT:-median} of $repeat runs"
measure "one small folder" "$repo" examples/base-model
measure "../shared/corpus" "$repo" ../shared/corpus --include '*.jinja' --include '*.json'
for n in "${@:-1000 3000 10000}"; do
  for k in $n; do
    tree=$dir/tree-$k
    if [ ! -f "$tree/.complete" ]; then
      rm -rf "$tree"
      python3 benches/monorepo.py "$tree" "$k" --git
      touch "$tree/.complete"
    fi
    for mode in $modes; do
      case $mode in
        text) measure "$k folders: text" "$tree" . ;;
        nocache) measure "$k folders: text, --no-cache" "$tree" . --no-cache ;;
        json) measure "$k folders: --format json" "$tree" . --format json ;;
        junit) measure "$k folders: --junit" "$tree" . --junit "$out/junit.xml" ;;
        github) measure "$k folders: --format github" "$tree" . --format github ;;
        sarif) measure "$k folders: --sarif" "$tree" . --sarif "$out/out.sarif" ;;
        baseline-ref) measure "$k folders: --baseline-ref HEAD" "$tree" . --baseline-ref HEAD ;;
        *) echo "unknown mode $mode" >&2; exit 2 ;;
      esac
    done
  done
done
