"""Cross-check our GGUF reader against llama.cpp's own writer and reader
(the PyPI `gguf` package, gguf-py): files written by `gguf.GGUFWriter` with
real metadata layouts (named chat templates, a token list with types,
bos/eos/eot ids, add_bos_token, tensors; little- and big-endian; a model
split into shards by gguf-py's splitter) are read back by `gguf.GGUFReader`
and rendered and checked by chat-template-lint; both must agree.

Run through benches/gguf-crosscheck.sh (it makes the virtualenv).
Usage: python gguf-crosscheck.py BINARY
"""

import json
import os
import subprocess
import sys
import tempfile

import gguf
import numpy as np

BIN = os.path.abspath(sys.argv[1])
TOKENS = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
          "<|end_header_id|>", "<|eot_id|>", "hello", "<|python_tag|>"]
TYPES = [3, 3, 3, 3, 3, 1, 3]
DEFAULT = "{{ bos_token }}[{{ messages[0].content }}]{{ eos_token }}"
TOOL_USE = "tool_use:{{ messages[0].content }}"


def write(path, endian, split_max_tensors=0):
    w = gguf.GGUFWriter(path, "llama", endianess=endian, split_max_tensors=split_max_tensors)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("llama-bpe")
    w.add_token_list(TOKENS)
    w.add_token_types(TYPES)
    w.add_bos_token_id(0)
    w.add_eos_token_id(4)
    w.add_eot_token_id(4)
    w.add_add_bos_token(True)
    w.add_chat_template([{"name": "default", "template": DEFAULT},
                         {"name": "tool_use", "template": TOOL_USE}])
    dtype = np.float32
    for i in range(3):
        data = np.arange(64, dtype=dtype).reshape(8, 8)
        if endian == gguf.GGUFEndian.BIG:
            data = data.byteswap()
        w.add_tensor(f"blk.{i}.weight", data)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def expected(path):
    """What gguf-py's own reader says the file holds."""
    r = gguf.GGUFReader(path)
    def field(key):
        f = r.fields[key]
        return f.contents()
    tokens = field("tokenizer.ggml.tokens")
    bos, eos = field("tokenizer.ggml.bos_token_id"), field("tokenizer.ggml.eos_token_id")
    return {
        "default": field("tokenizer.chat_template"),
        "tool_use": field("tokenizer.chat_template.tool_use"),
        "bos": tokens[bos],
        "eos": tokens[eos],
    }


def run(*args, cwd):
    p = subprocess.run([BIN, *args], cwd=cwd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def main():
    failures = 0
    checks = 0
    with tempfile.TemporaryDirectory() as tmp:
        msgs = os.path.join(tmp, "msgs.json")
        with open(msgs, "w") as f:
            json.dump([{"role": "user", "content": "hi"}], f)
        cases = [("little", gguf.GGUFEndian.LITTLE, 0, "m.gguf"),
                 ("big", gguf.GGUFEndian.BIG, 0, "m.gguf"),
                 ("split", gguf.GGUFEndian.LITTLE, 1, "m-00001-of-00003.gguf")]
        for label, endian, split, first in cases:
            d = os.path.join(tmp, label)
            os.makedirs(d)
            write(os.path.join(d, "m.gguf"), endian, split)
            names = sorted(os.listdir(d))
            exp = expected(os.path.join(d, first))
            want_default = DEFAULT.replace("{{ bos_token }}", exp["bos"]).replace(
                "{{ eos_token }}", exp["eos"]).replace("{{ messages[0].content }}", "hi")
            got = [
                (run("render", first, "--messages", msgs, cwd=d)[1], want_default),
                (run("render", first, "--messages", msgs, "--template-name", "tool_use", cwd=d)[1],
                 "tool_use:hi"),
            ]
            code, out, err = run("check", "--no-config", "--format", "json", ".", cwd=d)
            findings = json.loads(out) if out.strip() else None
            # The templates are fine for llama.cpp: one leading BOS is stripped,
            # turns end with eot. Nothing is reported, no file is invalid.
            got.append((json.dumps(findings), "[]"))
            for g, w in got:
                checks += 1
                if g != w:
                    failures += 1
                    print(f"FAIL {label} ({', '.join(names)}): got {g!r}, want {w!r} {err}")
            assert exp["default"] == DEFAULT and exp["tool_use"] == TOOL_USE
            print(f"{label}: {', '.join(names)}: gguf-py and chat-template-lint agree"
                  if not failures else f"{label}: see failures above")
    print(f"{checks - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
