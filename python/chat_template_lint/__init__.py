"""Lint the chat templates of language models from Python.

The package wraps the ``chat-template-lint`` binary that its wheel installs
(the same program as the CLI, the GitHub Action and the pre-commit hook):

    >>> import chat_template_lint
    >>> for f in chat_template_lint.check("my-finetune/"):
    ...     print(f)

- `check` runs ``chat-template-lint check --format json`` and returns
  `Finding` objects;
- `render` renders one template exactly as transformers would;
- `ToolError` means the tool could not run (exit status 2);
- `ChatTemplateError` means a template is broken (raised by the
  training-loop guard in `chat_template_lint.transformers`).

Importing this package never imports transformers.
"""

from ._api import check, render
from ._model import ChatTemplateError, Finding, ToolError

__all__ = ["ChatTemplateError", "Finding", "ToolError", "check", "render"]
