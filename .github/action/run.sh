#!/usr/bin/env bash
# Run step of action.yml. Every input arrives as an environment variable and
# is passed as a separate argument: nothing is evaluated by a shell.
set -uo pipefail

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
if [ -n "${INPUT_JUNIT:-}" ]; then
  args+=(--junit "$INPUT_JUNIT")
  echo "junit-path=$INPUT_JUNIT" >> "$GITHUB_OUTPUT"
fi
if [ -n "${INPUT_SARIF:-}" ]; then
  args+=(--sarif "$INPUT_SARIF")
  echo "sarif-path=$INPUT_SARIF" >> "$GITHUB_OUTPUT"
fi

# Whitespace-separated words, no globbing, no quotes, no expansion.
set -f
read -r -d '' -a extra <<< "${INPUT_ARGS:-}" || true
read -r -d '' -a paths <<< "${INPUT_PATHS:-.}" || true
set +f
[ "${#paths[@]}" -eq 0 ] && paths=(.)

# `--` keeps a path that starts with `-` from being read as a flag.
# (`${a[@]+"${a[@]}"}`: empty arrays under `set -u` on bash 3.2, macOS.)
"$CTL_BIN" "${args[@]}" ${extra[@]+"${extra[@]}"} -- "${paths[@]}"
