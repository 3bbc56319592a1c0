#!/usr/bin/env bash
# GGUF reading costs the same on a 4 GB model as on a 4 KB one: only the
# header and the metadata are read, never the tensor data. Writes a small
# GGUF file (Llama 3 template, a few tokens: about 4 KB), the same metadata
# followed by a sparse hole up to 4 GiB, and the same with a 128k-token
# vocabulary, then prints wall time and peak RSS of `check` on each.
# Needs GNU time (/usr/bin/time) and python3 (standard library only).
# Usage: benches/gguf-sparse.sh            (builds the release binary)
#        BIN=target/debug/chat-template-lint benches/gguf-sparse.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --quiet
  BIN=target/release/chat-template-lint
fi
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" examples/base-model/tokenizer_config.json <<'PY'
import json, os, struct, sys
work, config = sys.argv[1], sys.argv[2]
template = json.load(open(config))["chat_template"]

def s(b):  # gguf_string_t: u64 length + bytes (GGUF v3, little-endian)
    b = b.encode() if isinstance(b, str) else b
    return struct.pack("<Q", len(b)) + b

def kv_str(k, v): return s(k) + struct.pack("<I", 8) + s(v)
def kv_u32(k, v): return s(k) + struct.pack("<I", 4) + struct.pack("<I", v)
def kv_strs(k, items):
    return s(k) + struct.pack("<IIQ", 9, 8, len(items)) + b"".join(s(i) for i in items)

def gguf(tokens):
    kvs = [kv_str("general.architecture", "llama"), kv_str("tokenizer.ggml.model", "gpt2"),
           kv_str("tokenizer.ggml.pre", "llama-bpe"), kv_strs("tokenizer.ggml.tokens", tokens),
           kv_u32("tokenizer.ggml.bos_token_id", 0), kv_u32("tokenizer.ggml.eos_token_id", 1),
           kv_str("tokenizer.chat_template", template)]
    return b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs)

special = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
small = gguf(special)
vocab = gguf(special + [f"\u0120tok{i:x}" for i in range(128000)])
for name, data, size in [("small/m.gguf", small, None), ("sparse/m.gguf", small, 4 << 30),
                         ("sparse-vocab/m.gguf", vocab, 4 << 30)]:
    os.makedirs(os.path.join(work, os.path.dirname(name)), exist_ok=True)
    with open(os.path.join(work, name), "wb") as f:
        f.write(data)
        if size:
            f.truncate(size)  # a hole: no blocks on disk
PY

measure() {
  local label=$1 dir=$2
  /usr/bin/time -f "%M %e" -o "$work/time" "$BIN" check --no-config --format json "$dir" >/dev/null || true
  local apparent disk
  apparent=$(du -b --apparent-size "$dir/m.gguf" | cut -f1)
  disk=$(du -k "$dir/m.gguf" | cut -f1)
  tail -n 1 "$work/time" | awk -v l="$label" -v a="$apparent" -v d="$disk" \
    '{ printf "%-34s %12s bytes (%6s KB on disk) %7.1f MB peak %6.3f s\n", l, a, d, $1 / 1024, $2 }'
}
for run in 1 2; do
  measure "4 KB GGUF" "$work/small"
  measure "4 GiB sparse GGUF" "$work/sparse"
  measure "4 GiB sparse GGUF, 128k-token vocab" "$work/sparse-vocab"
done
