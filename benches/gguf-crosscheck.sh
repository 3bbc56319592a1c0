#!/usr/bin/env bash
# Cross-check the GGUF reader with llama.cpp's own gguf-py (PyPI `gguf`):
# see benches/gguf-crosscheck.py. The virtualenv lives outside the source
# tree (GGUF_VENV, default target/gguf-venv, which git ignores).
# Usage: benches/gguf-crosscheck.sh   (BIN=… to use another binary)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${GGUF_VENV:-target/gguf-venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "gguf==0.19.0"
fi
if [ -z "${BIN:-}" ]; then
  cargo build --locked --quiet
  BIN=target/debug/chat-template-lint
fi
"$venv/bin/python" benches/gguf-crosscheck.py "$BIN"
