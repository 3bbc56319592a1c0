"""`python -m chat_template_lint ARGS`: the bundled binary with the same
arguments and the same exit status (on POSIX the process is replaced with
it, as ruff's `python -m ruff` does; Windows has no exec, so it is run and
its status passed on)."""

from __future__ import annotations

import os
import subprocess
import sys

from ._binary import find_binary


def main() -> int:
    try:
        binary = find_binary()
    except FileNotFoundError as e:
        print(f"chat-template-lint: error: {e}", file=sys.stderr)
        return 2
    argv = [binary, *sys.argv[1:]]
    if sys.platform == "win32":
        return subprocess.run(argv, check=False).returncode
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(binary, argv)
    return 2  # not reached: execv replaces the process or raises


if __name__ == "__main__":
    sys.exit(main())
