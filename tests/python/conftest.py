"""Shared fixtures. These tests run against the INSTALLED wheel (a fresh
venv made by .ci/run), never the source tree in python/: the first fixture
fails the session if the package was imported from anywhere else."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import chat_template_lint

REPO = Path(__file__).resolve().parents[2]


def pytest_sessionstart(session: pytest.Session) -> None:
    where = Path(chat_template_lint.__file__).resolve()
    prefix = Path(sys.prefix).resolve()
    if prefix not in where.parents or REPO / "python" in where.parents:
        raise pytest.UsageError(
            f"chat_template_lint was imported from {where}, not from the venv {prefix}: "
            "install the wheel and run pytest with --import-mode=importlib from outside the checkout"
        )


@pytest.fixture
def repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The checkout (for examples/), made the current folder so that
    findings carry the same relative paths as the CLI run from there."""
    monkeypatch.chdir(REPO)
    return REPO


@pytest.fixture(autouse=True)
def _no_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests that want GitHub Actions set it themselves.
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def binary() -> str:
    """The executable the wheel installed: in the venv's scripts folder."""
    from chat_template_lint._binary import find_binary

    path = find_binary()
    scripts = Path(sys.prefix, "Scripts" if os.name == "nt" else "bin").resolve()
    assert Path(path).resolve().parent == scripts, path
    return path
