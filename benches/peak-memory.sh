#!/usr/bin/env bash
# Peak memory (max RSS) and wall time of the release binary on the runs that
# benches/check.rs times: the bundled examples, ../shared/corpus (when
# present), and a model folder whose tokenizer.json is a synthetic 20+ MB file.
# Needs GNU time (/usr/bin/time) and python3. Usage: benches/peak-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
bin=target/release/chat-template-lint
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/big"
cp examples/base-model/tokenizer_config.json examples/base-model/generation_config.json "$work/big/"
python3 - "$work/big/tokenizer.json" <<'PY'
import json, sys
added = [{"id": 128000 + i, "content": {0: "<|begin_of_text|>", 1: "<|end_of_text|>", 9: "<|eot_id|>"}.get(i, f"<|reserved_special_token_{i}|>"),
          "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True} for i in range(256)]
doc = {"version": "1.0", "added_tokens": added,
       "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]},
       "model": {"type": "BPE", "vocab": {f"\u0120token{i:x}\u00e9nization": i for i in range(256000)},
                 "merges": [f"\u0120tok{i // 7:x} enization{i % 4096:x}" for i in range(500000)]}}
with open(sys.argv[1], "w") as f:
    json.dump(doc, f, ensure_ascii=False)
PY

measure() {
  local label=$1; shift
  /usr/bin/time -f "%M %e" -o "$work/time" "$bin" check --no-config --format json "$@" >/dev/null || true
  # GNU time writes "Command exited with non-zero status 1" first when the
  # run finds errors (exit 1): the figures are on the last line.
  tail -n 1 "$work/time" | awk -v l="$label" '{ printf "%-44s %7.1f MB peak  %5.2f s\n", l, $1 / 1024, $2 }'

}
wc -c < "$work/big/tokenizer.json" | awk '{ printf "synthetic tokenizer.json: %.1f MB\n", $1 / 1e6 }'

measure "examples/" examples
measure "folder with a 20+ MB tokenizer.json" "$work/big"
if [ -d ../shared/corpus ]; then
  measure "../shared/corpus (*.jinja, *.json)" ../shared/corpus --include '*.jinja' --include '*.json'
fi
