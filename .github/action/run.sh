#!/usr/bin/env bash
# Run step of action.yml. Every input arrives as an environment variable and
# is passed as separate arguments: nothing is evaluated by a shell. `args`
# and `paths` are split into words like a shell command line (quotes work,
# nothing is expanded: see words.sh).
set -uo pipefail

# shellcheck source=words.sh
. "$(dirname "${BASH_SOURCE[0]}")/words.sh"

args=(check)
[ -n "${INPUT_CONFIG:-}" ] && args+=(--config "$INPUT_CONFIG")
[ -n "${INPUT_BASELINE:-}" ] && args+=(--baseline "$INPUT_BASELINE")
[ -n "${INPUT_FAIL_ON:-}" ] && args+=(--fail-on "$INPUT_FAIL_ON")

# Step outputs are `name=value` lines: a path with a line break could forge one.
for p in "${INPUT_JUNIT:-}" "${INPUT_SARIF:-}"; do
  case "$p" in
    *$'\n'* | *$'\r'*) echo "::error title=chat-template-lint::the junit/sarif path must be one line"; exit 2 ;;
  esac
done
[ -n "${INPUT_JUNIT:-}" ] && args+=(--junit "$INPUT_JUNIT")
[ -n "${INPUT_SARIF:-}" ] && args+=(--sarif "$INPUT_SARIF")
# A report left by an earlier step or run is not this run's: removed first,
# so that the outputs below name only files this run wrote.
for p in "${INPUT_JUNIT:-}" "${INPUT_SARIF:-}"; do
  if [ -n "$p" ] && [ -f "$p" ]; then rm -f -- "$p"; fi
done

# baseline-ref: as given; `none` turns it off; empty means the pull request's
# base branch in `pull_request` events (GITHUB_BASE_REF is set only for
# pull_request and pull_request_target events, per GitHub's "Variables"
# reference), unless a `baseline` folder is given. A default base that is not
# in the checkout (actions/checkout fetches one commit by default) is fetched
# shallowly; if that fails, drift is not checked and a warning says why.
ref="${INPUT_BASELINE_REF:-}"
if [ "$ref" = none ]; then
  :
elif [ -n "$ref" ]; then
  args+=(--baseline-ref "$ref")
elif [ -z "${INPUT_BASELINE:-}" ] && [ "${GITHUB_EVENT_NAME:-}" = pull_request ] &&
  [ -n "${GITHUB_BASE_REF:-}" ] && git check-ref-format --branch "$GITHUB_BASE_REF" >/dev/null 2>&1; then
  base="origin/$GITHUB_BASE_REF"
  if ! git rev-parse --verify --quiet "$base^{commit}" >/dev/null 2>&1; then
    echo "Fetching the pull request's base branch for template-drift: git fetch --no-tags --depth=1 origin $GITHUB_BASE_REF"
    git fetch --no-tags --depth=1 origin "+refs/heads/$GITHUB_BASE_REF:refs/remotes/$base" || true
  fi
  if git rev-parse --verify --quiet "$base^{commit}" >/dev/null 2>&1; then
    echo "Comparing every template with $base (baseline-ref; set baseline-ref: none to turn it off)."
    args+=(--baseline-ref "$base")
  else
    echo "::warning title=chat-template-lint::template-drift is not checked: the pull request's base branch is not in this checkout and could not be fetched. Use actions/checkout with fetch-depth: 0, or set baseline-ref: none."
  fi
fi

split_input_name="the args input"
split_words "${INPUT_ARGS:-}" || exit 2
extra=(${words[@]+"${words[@]}"})
split_input_name="the paths input"
split_words "${INPUT_PATHS:-.}" || exit 2
paths=(${words[@]+"${words[@]}"})
[ "${#paths[@]}" -eq 0 ] && paths=(.)

# `--` keeps a path that starts with `-` from being read as a flag.
# (`${a[@]+"${a[@]}"}`: empty arrays under `set -u` on bash 3.2, macOS.)
"$CTL_BIN" "${args[@]}" ${extra[@]+"${extra[@]}"} -- "${paths[@]}"
status=$?

# Report a report path only when the file is there, so that an upload step
# guarded by `outputs.sarif-path != ''` never reads a missing file (the tool
# writes none when it cannot run, exit 2).
if [ -n "${INPUT_JUNIT:-}" ] && [ -f "$INPUT_JUNIT" ]; then
  echo "junit-path=$INPUT_JUNIT" >> "$GITHUB_OUTPUT"
fi
if [ -n "${INPUT_SARIF:-}" ] && [ -f "$INPUT_SARIF" ]; then
  echo "sarif-path=$INPUT_SARIF" >> "$GITHUB_OUTPUT"
fi
exit "$status"
