"""`check` and `render`: one run of the bundled binary each.

Nothing is reimplemented in Python: the arguments become flags, the binary
runs once, and its JSON (for `check`) or its stdout bytes (for `render`)
come back. The cost over the CLI is one process start.

The child runs without the GitHub Actions variables (`GITHUB_ACTIONS`,
`GITHUB_STEP_SUMMARY`, `GITHUB_OUTPUT`): a library call returns data and
must not, when a training script or a test runs inside a workflow, append
to the job summary, set step outputs, re-root paths at
`GITHUB_WORKSPACE`, or wrap a rendered prompt in `::stop-commands::`
(`src/commands.rs` does that for a prompt going to the log). The CLI is the
tool for reporting to a workflow.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Union

from ._binary import find_binary
from ._model import ChatTemplateError, Finding, ToolError

PathLike = Union[str, "os.PathLike[str]"]
Rules = Union[str, Iterable[str]]

log = logging.getLogger("chat_template_lint")

_ACTIONS_VARS = ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _ACTIONS_VARS}
    env["NO_COLOR"] = "1"
    return env


def _binary() -> str:
    try:
        return find_binary()
    except FileNotFoundError as e:
        raise ToolError(str(e)) from None


def _rules(value: Rules) -> str:
    if isinstance(value, str):
        return value
    return ",".join(value)


def _run(args: List[str], stdin: Optional[bytes] = None) -> subprocess.CompletedProcess[bytes]:
    cmd = [_binary(), *args]
    try:
        return subprocess.run(cmd, input=stdin, capture_output=True, env=_env(), check=False)
    except OSError as e:
        raise ToolError(f"cannot run `{cmd[0]}`: {e}", args_used=cmd) from e


def _tool_error(proc: subprocess.CompletedProcess[bytes]) -> ToolError:
    stderr = proc.stderr.decode("utf-8", "replace")
    reason = stderr.strip() or f"exit status {proc.returncode}"
    return ToolError(reason, stderr=stderr, returncode=proc.returncode, args_used=list(proc.args))


def _log_stderr(proc: subprocess.CompletedProcess[bytes]) -> None:
    # Warnings such as "--exclude `old/**` matched nothing" go to logging,
    # where an application decides whether they are shown.
    for line in proc.stderr.decode("utf-8", "replace").splitlines():
        if line.strip():
            log.warning("%s", line)


def check(
    *paths: PathLike,
    baseline: Optional[PathLike] = None,
    select: Optional[Rules] = None,
    ignore: Optional[Rules] = None,
    config: Optional[PathLike] = None,
    fail_on: Optional[str] = None,
) -> list[Finding]:
    """Check every chat template under `paths`, like ``chat-template-lint check``.

    Runs the bundled binary once with ``--format json`` and returns its
    findings, sorted as the CLI sorts them. Finding problems is a result,
    not an error: whether the CLI would exit 0 or 1, the findings are
    returned (filter them on ``severity``).

    Args:
        *paths: Model folders, files, or trees to search (default: the
            current folder). A Hub id (``org/model``) that is not a path is
            looked up in the local Hugging Face cache, never downloaded.
        baseline: A local folder to compare every template with
            (``template-drift``): a model folder, or a tree matched by
            relative path.
        select: Only these rules: ids as a list, or one comma-separated string.
        ignore: Skip these rules (same forms as `select`).
        config: A ``chat-template-lint.toml`` or ``pyproject.toml`` to read
            settings from; by default the nearest one above the first path
            is used, as on the command line.
        fail_on: ``"error"``, ``"warning"`` or ``"never"``. Validated and
            passed on; it changes only the CLI's exit status, which this
            function does not report.

    Returns:
        The findings (empty when everything is clean).

    Raises:
        ToolError: the tool could not run (exit status 2: a bad flag or
            rule id, a missing path, a bad config file), with its stderr;
            or the executable is missing.
    """
    args = ["check", "--format", "json"]
    if baseline is not None:
        args += ["--baseline", os.fspath(baseline)]
    if select is not None:
        args += ["--select", _rules(select)]
    if ignore is not None:
        args += ["--ignore", _rules(ignore)]
    if config is not None:
        args += ["--config", os.fspath(config)]
    if fail_on is not None:
        args += ["--fail-on", fail_on]
    args += ["--", *(os.fspath(p) for p in paths)]
    proc = _run(args)
    if proc.returncode not in (0, 1):
        raise _tool_error(proc)
    _log_stderr(proc)
    try:
        items = json.loads(proc.stdout)
    except ValueError as e:
        raise ToolError(
            f"chat-template-lint printed no JSON ({e})",
            stderr=proc.stderr.decode("utf-8", "replace"),
            returncode=proc.returncode,
            args_used=list(proc.args),
        ) from e
    return [Finding.from_json(item) for item in items]


def render(
    path: PathLike,
    messages: Union[Sequence[Mapping[str, Any]], Mapping[str, Any]],
    *,
    add_generation_prompt: bool = False,
    tools: Optional[Sequence[Mapping[str, Any]]] = None,
    template_name: Optional[str] = None,
    **variables: Any,
) -> str:
    """Render one chat template exactly as transformers'
    ``apply_chat_template(..., tokenize=False)`` would, like
    ``chat-template-lint render``.

    The text is returned byte for byte: nothing is added or stripped.

    Args:
        path: A model folder, a ``tokenizer_config.json``, a
            ``chat_template.json``, a ``.jinja`` file or a ``.gguf`` file.
        messages: The conversation, a list of ``{"role", "content", ...}``
            dicts; or an object shaped like an OpenAI request body
            (``{"messages": [...], "tools": [...], ...}``), whose other
            keys become template variables.
        add_generation_prompt: Render with ``add_generation_prompt=True``.
        tools: Tool schemas (JSON-serialisable), as transformers' ``tools=``.
        template_name: Which named template (default: ``"default"``).
        **variables: Extra template variables, as keyword arguments to
            ``apply_chat_template`` (e.g. ``enable_thinking=False``); each
            must be JSON-serialisable.

    Returns:
        The rendered prompt.

    Raises:
        ChatTemplateError: the template failed on this conversation (its
            own ``raise_exception``, or an error in the template); the
            finding's message is the template's error.
        ToolError: the tool could not run (no such path or template name,
            a folder holding several models), with its stderr.
        TypeError: `messages`, `tools` or a variable is not JSON-serialisable.
    """
    if isinstance(messages, Mapping):
        body = dict(messages)
    else:
        body = {"messages": list(messages)}
    if tools is not None:
        body["tools"] = list(tools)
    body.update(variables)
    # Everything goes in one JSON body on stdin: the CLI reads an object
    # with `messages`, `tools`, `documents` and template variables from
    # `--messages -` (src/commands.rs), so no temporary file is needed.
    args = ["render", os.fspath(path), "--messages", "-"]
    if add_generation_prompt:
        args.append("--add-generation-prompt")
    if template_name is not None:
        args += ["--template-name", template_name]
    proc = _run(args, stdin=json.dumps(body).encode("utf-8"))
    if proc.returncode == 0:
        return proc.stdout.decode("utf-8")
    if proc.returncode == 1:
        message = proc.stderr.decode("utf-8", "replace").strip()
        finding = Finding(
            rule="template-render",
            severity="error",
            path=os.fspath(path),
            line=None,
            column=None,
            message=message,
            template=template_name or "default",
        )
        raise ChatTemplateError([finding], context=f"rendering {os.fspath(path)}")
    raise _tool_error(proc)
