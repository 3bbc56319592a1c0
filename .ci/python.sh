#!/usr/bin/env bash
# The Python wheel in CI (issue 14): build it from this checkout with
# maturin, install it into a fresh venv, and run tests/python against the
# INSTALLED package (pytest runs from a temporary folder with
# --import-mode=importlib; tests/python/conftest.py refuses any other copy).
#
# Called by .ci/run with the tools venv (maturin) as $1. The test
# dependencies (tests/python/requirements.txt, pinned) are downloaded once
# into .ci/.wheelhouse and installed from there with --no-index, so a run
# makes no network access but crates.io for `cargo metadata`.
#
# The wheel is built with Cargo's dev profile: it reuses what `cargo test`
# just compiled (a few seconds; the release profile with LTO costs minutes
# on two cores and is what release.yml ships). The tests check the
# packaging and the Python layer; the Rust code is `cargo test`'s job.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$1"
repo="$PWD"

house=.ci/.wheelhouse
want="$(cat tests/python/requirements.txt)"
if [ "$(cat "$house/.installed" 2>/dev/null || true)" != "$want" ]; then
  rm -rf "$house"
  "$tools/bin/pip" download --quiet --disable-pip-version-check --only-binary=:all: \
    -r tests/python/requirements.txt -d "$house"
  printf '%s' "$want" > "$house/.installed"
fi

wheels=target/ci-wheels
rm -rf "$wheels"
"$tools/bin/maturin" build --locked --quiet --out "$wheels"
ls "$wheels"/chat_template_lint-*-py3-none-*.whl >/dev/null

venv=target/ci-pyvenv
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-index \
  --find-links "$house" --find-links "$wheels" \
  "chat-template-lint[transformers]" -r tests/python/requirements.txt

# `chat-template-lint` is on the venv's PATH, the same binary `python -m` runs.
test "$("$venv/bin/chat-template-lint" --version)" = "chat-template-lint $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
status=0
(cd "$scratch" && "$repo/$venv/bin/python" -m pytest -q -p no:cacheprovider --import-mode=importlib "$repo/tests/python") || status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: tests/python is not being run" >&2
  exit 1
fi
exit "$status"
