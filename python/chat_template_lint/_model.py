"""What the API returns and raises: `Finding`, `ToolError`, `ChatTemplateError`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence


@dataclass(frozen=True)
class Finding:
    """One problem found in a chat template, as `--format json` reports it.

    Attributes:
        rule: The rule id, e.g. ``"generation-prompt-missing"``
            (``chat-template-lint rules`` lists them).
        severity: ``"error"``, ``"warning"`` or ``"info"``.
        path: The file, as the command line shows it (relative to the
            current folder for relative paths), ``/``-separated.
        line: 1-based line in that file; ``None`` for a file-level finding.
        column: 1-based column; ``None`` for a file-level finding.
        message: What is wrong, one line.
        template: The template's name (``"default"``, ``"tool_use"``, ...)
            when the finding is about one.
        help: What to do about it, when the rule knows.
        probe: The probe conversation that revealed it, when there is one.
    """

    rule: str
    severity: str
    path: str
    line: Optional[int]
    column: Optional[int]
    message: str
    template: Optional[str] = None
    help: Optional[str] = None
    probe: Optional[str] = None

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> Finding:
        """A finding from one entry of the JSON array (unknown keys ignored)."""
        return cls(
            rule=item["rule"],
            severity=item["severity"],
            path=item["path"],
            line=item.get("line"),
            column=item.get("column"),
            message=item["message"],
            template=item.get("template"),
            help=item.get("help"),
            probe=item.get("probe"),
        )

    @property
    def location(self) -> str:
        """``path:line:column``, ``path:line`` or ``path``, as far as known."""
        if self.line is None:
            return self.path
        if self.column is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"

    def __str__(self) -> str:
        """The CLI's first line: ``path:line:col: severity[rule] message``."""
        return f"{self.location}: {self.severity}[{self.rule}] {self.message}"


class ToolError(RuntimeError):
    """chat-template-lint could not run: a bad flag or argument, a path that
    cannot be read, a bad config file (the CLI's exit status 2), or the
    executable is missing.

    Attributes:
        stderr: What the tool printed on stderr (the reason).
        returncode: The exit status, ``None`` when it could not be started.
        args_used: The command line that was run.
    """

    def __init__(
        self,
        message: str,
        *,
        stderr: str = "",
        returncode: Optional[int] = None,
        args_used: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.stderr = stderr
        self.returncode = returncode
        self.args_used = list(args_used)


class ChatTemplateError(Exception):
    """A chat template is broken: raised by the training-loop guard
    (`chat_template_lint.transformers.ChatTemplateLintCallback`) when a
    checkpoint has error findings, and by `render` when the template fails
    on the given conversation.

    Attributes:
        findings: The findings that caused it, errors first.
    """

    def __init__(self, findings: Sequence[Finding], context: str = "") -> None:
        self.findings = list(findings)
        head = f"{context}: " if context else ""
        count = len(self.findings)
        lines = [f"{head}{count} chat template error{'' if count == 1 else 's'}"]
        lines.extend(f"  {f}" for f in self.findings)
        super().__init__("\n".join(lines))
