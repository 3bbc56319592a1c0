#!/usr/bin/env python3
"""Write a synthetic monorepo of fine-tuning checkpoints, for benches/scale.sh.

    benches/monorepo.py OUT FOLDERS [--corpus DIR] [--git]

OUT gets FOLDERS checkpoint folders laid out as a training run writes them
with `save_steps`: runs/run-RRR/checkpoint-S/, 50 checkpoints a run. Each
folder holds a tokenizer_config.json and a generation_config.json. A run's
template is one of 20 distinct real templates, read at generation time from
the tokenizer configs in ../shared/corpus/tokenizer_configs (nothing from the
corpus is stored in this repo). Checkpoints of one run share their files
byte for byte, as `save_pretrained` writes them; every third run re-indents
its JSON, so the same template sits at another line of the file; the last
checkpoint of every tenth run edits its template (an unshared text). The last
checkpoint of every fourth run carries a tokenizer.json of 13-31 MB (50 of
them at 10,000 folders; 5 distinct contents, hard-linked within the tree).
`--git` commits the tree, for `--baseline-ref HEAD`.

Deterministic: the same arguments write the same bytes.
"""

import argparse
import json
import os
import subprocess
import sys

TEMPLATES = 20
PER_RUN = 50
MAX_CONFIG_BYTES = 200_000  # skip the 1 MB configs: realistic, but they dominate disk


def corpus_configs(corpus):
    """The first TEMPLATES tokenizer configs (by name) with distinct string templates."""
    folder = os.path.join(corpus, "tokenizer_configs")
    seen, picked = set(), []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not name.endswith(".json") or os.path.getsize(path) > MAX_CONFIG_BYTES:
            continue
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
        text = cfg.get("chat_template")
        if isinstance(text, str) and text not in seen:
            seen.add(text)
            picked.append(cfg)
        if len(picked) == TEMPLATES:
            return picked
    sys.exit(f"{folder}: only {len(picked)} distinct templates, need {TEMPLATES}")


def token_content(tok):
    return tok.get("content") if isinstance(tok, dict) else tok


def eos_ids(cfg):
    """generation_config's eos_token_id: the eos token's id in added_tokens_decoder."""
    eos = token_content(cfg.get("eos_token"))
    for id_, tok in cfg.get("added_tokens_decoder", {}).items():
        if tok.get("content") == eos:
            return int(id_)
    return 2


def write_tokenizer_json(path, cfg, megabytes):
    """A tokenizer.json of about `megabytes` MB: the config's added tokens, a
    BPE vocabulary and merges filling the rest (the bulk of a real one)."""
    added = [
        {"id": int(i), "content": t.get("content", ""), "single_word": False, "lstrip": False,
         "rstrip": False, "normalized": False, "special": bool(t.get("special"))}
        for i, t in cfg.get("added_tokens_decoder", {}).items()
    ]
    target = int(megabytes * 1_000_000)
    head = ('{"version":"1.0","truncation":null,"padding":null,"added_tokens":'
            + json.dumps(added, ensure_ascii=False)
            + ',"normalizer":null,"pre_tokenizer":{"type":"ByteLevel"},"post_processor":null,'
            + '"model":{"type":"BPE","vocab":{')
    vocab, size, i = [], len(head), 0
    while size < target * 0.4:
        vocab.append(f'"\u0120tok{i:x}\u00e9n":{1000 + i}')
        size += len(vocab[-1]) + 1
        i += 1
    merges, j = [], 0
    while size < target:
        merges.append(f'"\u0120t{j % 9973:x} ok{j:x}"')
        size += len(merges[-1]) + 1
        j += 1
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + ",".join(vocab) + '},"merges":[' + ",".join(merges) + "]}}")


def config_bytes(cfg, indent, edit):
    cfg = dict(cfg)
    if edit:
        cfg["chat_template"] = cfg["chat_template"] + "{# edited in the final checkpoint #}"
    return (json.dumps(cfg, indent=indent, ensure_ascii=False) + "\n").encode("utf-8")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("folders", type=int)
    ap.add_argument("--corpus", default=os.path.join(here, "..", "..", "shared", "corpus"))
    ap.add_argument("--git", action="store_true")
    args = ap.parse_args()
    configs = corpus_configs(args.corpus)
    tokenizers = {}  # template index -> first tokenizer.json written for it
    for n in range(args.folders):
        run, step = divmod(n, PER_RUN)
        last = step == PER_RUN - 1 or n == args.folders - 1
        t = run % TEMPLATES
        cfg = configs[t]
        folder = os.path.join(args.out, "runs", f"run-{run:03}", f"checkpoint-{(step + 1) * 500}")
        os.makedirs(folder, exist_ok=True)
        indent = 4 if run % 3 == 1 else 2
        with open(os.path.join(folder, "tokenizer_config.json"), "wb") as f:
            f.write(config_bytes(cfg, indent, edit=last and run % 10 == 9))
        gen = {"bos_token_id": 1, "eos_token_id": eos_ids(cfg), "transformers_version": "4.46.0"}
        with open(os.path.join(folder, "generation_config.json"), "w") as f:
            json.dump(gen, f, indent=2)
        if last and run % 4 == 0:
            dest = os.path.join(folder, "tokenizer.json")
            if t in tokenizers:
                os.link(tokenizers[t], dest)
            else:
                write_tokenizer_json(dest, cfg, 13 + 4.5 * (t // 4))
                tokenizers[t] = dest
    if args.git:
        git = ["git", "-C", args.out, "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
        subprocess.run(git[:3] + ["init", "-q"], check=True)
        subprocess.run(git + ["add", "-A"], check=True)
        subprocess.run(git + ["commit", "-q", "-m", "checkpoints"], check=True)


if __name__ == "__main__":
    main()
