"""The training-loop guard: check every checkpoint's chat template as soon as
`Trainer` writes it.

    from chat_template_lint.transformers import ChatTemplateLintCallback

    trainer = Trainer(..., callbacks=[ChatTemplateLintCallback()])
    trainer.train()   # stops at the first checkpoint whose template is broken

The same callback works with every `Trainer` subclass (TRL's `SFTTrainer`,
`DPOTrainer`, ...): they call the same callback events.

This module imports transformers (``pip install chat-template-lint[transformers]``);
``import chat_template_lint`` alone does not.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Optional, Union

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR
from transformers.utils import logging as hf_logging

from ._api import check
from ._binary import find_binary
from ._model import ChatTemplateError, Finding, ToolError

# A logger inside transformers' hierarchy: transformers' library root logger
# does not propagate and carries its handler and the verbosity `Trainer` sets
# from `TrainingArguments.log_level`, so these lines print where Trainer's own
# messages do (transformers.utils.logging.get_logger / _configure_library_root_logger).
logger = hf_logging.get_logger("transformers.chat_template_lint")

__all__ = ["ChatTemplateLintCallback", "ChatTemplateError"]


class ChatTemplateLintCallback(TrainerCallback):
    """Check the chat template of every checkpoint while training.

    On `on_save` (called by `Trainer` right after it wrote
    ``{args.output_dir}/checkpoint-{state.global_step}``) that folder is
    checked, and on `on_train_end` the whole ``args.output_dir``. Only the
    main process checks (``state.is_world_process_zero``); the others do
    nothing.

    Every error finding is logged through transformers' logger, one line
    each: ``path:line:col: error[rule] message``.

    Args:
        baseline: A **local folder** to compare each checkpoint's template
            with (``template-drift``), typically the base model's snapshot
            folder. Hub ids such as ``"meta-llama/Llama-3.1-8B-Instruct"``
            are not resolved (no network access is made): pass the folder,
            e.g. ``huggingface_hub.snapshot_download(repo_id,
            allow_patterns=["*.json", "*.jinja"])``.
        strict: With ``True`` (the default) the first save that has an
            error finding raises `ChatTemplateError`, which stops
            ``trainer.train()`` at that checkpoint instead of after the last
            epoch. With ``False`` the findings are logged as warnings and
            training goes on.
        select: Only these rules (ids as a list, or one comma-separated string).
        ignore: Skip these rules.

    Raises:
        ValueError: `baseline` is not an existing folder.
        ToolError: the bundled executable is missing (checked here, not at
            the first checkpoint hours later).
    """

    def __init__(
        self,
        baseline: Optional[Union[str, "os.PathLike[str]"]] = None,
        strict: bool = True,
        select: Optional[Union[str, Iterable[str]]] = None,
        ignore: Optional[Union[str, Iterable[str]]] = None,
    ) -> None:
        if baseline is not None and not os.path.isdir(baseline):
            raise ValueError(
                f"baseline `{os.fspath(baseline)}` is not a local folder: Hub ids are not "
                "resolved; download the base model's snapshot and pass its folder"
            )
        try:
            find_binary()
        except FileNotFoundError as e:
            raise ToolError(str(e)) from None
        self.baseline = baseline
        self.strict = strict
        self.select = select
        self.ignore = ignore

    def on_save(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if state.is_world_process_zero:
            folder = os.path.join(args.output_dir, f"{PREFIX_CHECKPOINT_DIR}-{state.global_step}")
            self._check(folder)

    def on_train_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if state.is_world_process_zero:
            self._check(args.output_dir)

    def _check(self, folder: str) -> list[Finding]:
        if not os.path.isdir(folder):
            # A hyperparameter search saves under `run-N/`; a subclass may
            # save elsewhere. Say so rather than stop training over it.
            logger.warning("chat-template-lint: `%s` does not exist: not checked", folder)
            return []
        findings = check(folder, baseline=self.baseline, select=self.select, ignore=self.ignore)
        errors = [f for f in findings if f.severity == "error"]
        log = logger.error if self.strict else logger.warning
        for f in errors:
            log("chat-template-lint: %s", f)
        if errors and self.strict:
            raise ChatTemplateError(errors, context=folder)
        return findings
