"""What `chat_template_lint.check()` costs over the CLI (issue 14: at most one
process start plus the binary's own time).

Run it with the Python of a venv where the wheel is installed (build a
release wheel for real figures: `maturin build --release`):

    VENV/bin/python benches/python-overhead.py [FOLDER] [RUNS]

It times RUNS runs of the installed binary (`chat-template-lint check
--format json FOLDER`, output captured) against RUNS calls of
`chat_template_lint.check(FOLDER)`, interleaved so that machine noise hits
both, and prints the medians, their difference, and the one-off cost of
`import chat_template_lint` in a fresh interpreter.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import chat_template_lint
from chat_template_lint._binary import find_binary


def main() -> None:
    folder = sys.argv[1] if len(sys.argv) > 1 else "examples"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    binary = find_binary()
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    cli, api = [], []
    for _ in range(3):  # warm the page cache and the binary
        subprocess.run([binary, "check", "--format", "json", folder], capture_output=True, env=env, check=False)
        chat_template_lint.check(folder)
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([binary, "check", "--format", "json", folder], capture_output=True, env=env, check=False)
        cli.append(time.perf_counter() - t)
        t = time.perf_counter()
        chat_template_lint.check(folder)
        api.append(time.perf_counter() - t)
    imports = []
    for _ in range(5):
        out = subprocess.run(
            [sys.executable, "-c",
             "import time; t = time.perf_counter(); import chat_template_lint; print(time.perf_counter() - t)"],
            capture_output=True, text=True, check=True,
        ).stdout
        imports.append(float(out))
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    print(f"folder: {folder}   runs: {runs}   binary: {binary}")
    print(f"CLI  (subprocess, JSON captured): median {ms(cli):7.2f} ms   min {min(cli) * 1000:7.2f} ms")
    print(f"check() (same + JSON -> Finding): median {ms(api):7.2f} ms   min {min(api) * 1000:7.2f} ms")
    print(f"check() over the CLI:             median {ms(api) - ms(cli):+7.2f} ms")
    print(f"import chat_template_lint (fresh interpreter, once): median {ms(imports):.2f} ms")


if __name__ == "__main__":
    main()
