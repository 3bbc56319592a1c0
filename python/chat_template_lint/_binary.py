"""Find the `chat-template-lint` executable this package was installed with.

The wheel carries no Python extension: maturin's `bin` bindings put the Rust
binary in the wheel's scripts folder (`<prefix>/bin`, `Scripts\\` on
Windows). Where that lands depends on how the wheel was installed, so the
places are tried in the order ruff's `find_ruff_bin` uses
(`python/ruff/__main__.py`): the running interpreter's scripts folder (a
venv, a system or conda install), the user scheme's (`pip install --user`),
the `bin` folder beside the package root (`pip install --target DIR`), and
last `PATH` (a binary installed some other way, e.g. `cargo install`).
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig

EXE = "chat-template-lint" + (sysconfig.get_config_var("EXE") or "")


def _user_scheme() -> str:
    if sys.version_info >= (3, 10):
        return sysconfig.get_preferred_scheme("user")
    if os.name == "nt":
        return "nt_user"
    if sys.platform == "darwin" and getattr(sys, "_framework", None):
        return "osx_framework_user"
    return "posix_user"


def candidates() -> list[str]:
    """The places looked at, in order (PATH excluded)."""
    places = [os.path.join(sysconfig.get_path("scripts"), EXE)]
    try:
        places.append(os.path.join(sysconfig.get_path("scripts", scheme=_user_scheme()), EXE))
    except KeyError:  # an interpreter built without a user scheme
        pass
    pkg_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    places.append(os.path.join(pkg_root, "bin", EXE))
    return places


def find_binary() -> str:
    """The path of the `chat-template-lint` executable.

    Raises `FileNotFoundError` naming every place looked at when there is
    none (the package was copied without its wheel's scripts, or the
    binary was deleted).
    """
    places = candidates()
    for path in places:
        if os.path.isfile(path):
            return path
    on_path = shutil.which(EXE)
    if on_path:
        return on_path
    raise FileNotFoundError(
        f"the `{EXE}` executable was not found (looked in {', '.join(places)} and on PATH); "
        "reinstall the wheel with `pip install --force-reinstall chat-template-lint`, "
        "or put a `chat-template-lint` binary on PATH (`cargo install chat-template-lint`)"
    )
