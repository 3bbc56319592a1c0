"""The training-loop guard driven the way `Trainer` drives it (issue 14 §3):
transformers' real `TrainingArguments`, `TrainerState`, `TrainerControl` and
`CallbackHandler`, and checkpoint folders written by a real
`PreTrainedTokenizerFast.save_pretrained` of a tiny tokenizer built here
(no download, no torch)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Iterator, List

import pytest

transformers = pytest.importorskip("transformers")
from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402
from transformers import (  # noqa: E402
    PreTrainedTokenizerFast,
    TrainerCallback,
    TrainerControl,
    TrainerState,
    TrainingArguments,
)
from transformers.trainer_callback import CallbackHandler, DefaultFlowCallback  # noqa: E402

from chat_template_lint import ChatTemplateError  # noqa: E402
from chat_template_lint.transformers import ChatTemplateLintCallback, logger  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SEED = (REPO / "examples/finetuned-broken/chat_template.jinja").read_text(encoding="utf-8")
FIXED = json.loads((REPO / "examples/base-model/tokenizer_config.json").read_text(encoding="utf-8"))[
    "chat_template"
]
SPECIAL = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]


def tokenizer(chat_template: str) -> PreTrainedTokenizerFast:
    """A word-level Llama-3-shaped tokenizer: the template's control tokens
    are special tokens, `<|eot_id|>` ends a turn and is the eos token."""
    words = ["[UNK]", "user", "assistant", "system", "hello"]
    tok = Tokenizer(models.WordLevel(vocab={t: i for i, t in enumerate(words + SPECIAL)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens(SPECIAL)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|begin_of_text|>", eos_token="<|eot_id|>", unk_token="[UNK]"
    )
    fast.chat_template = chat_template
    return fast


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: List[str] = []
        self.levels: List[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        self.levels.append(record.levelno)


@pytest.fixture
def logged() -> Iterator[Records]:
    # transformers' root logger may not propagate (it does only under CI=1),
    # so listen on the callback's own logger.
    handler = Records()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def train(tmp_path: Path, callback: TrainerCallback, chat_template: str, steps: int = 3, main: bool = True) -> List[int]:
    """What `Trainer` does around checkpoints: every `save_steps` it writes
    `{output_dir}/checkpoint-{global_step}` (the tokenizer is saved there
    by `Trainer._save`) and then calls `on_save`; at the end `on_train_end`.
    Returns the steps whose checkpoint was written."""
    args = TrainingArguments(output_dir=str(tmp_path / "out"), save_steps=1, report_to=[])
    state = TrainerState(is_world_process_zero=main, is_local_process_zero=main, max_steps=steps)
    state.compute_steps(args, steps)
    control = TrainerControl()
    tok = tokenizer(chat_template)
    handler = CallbackHandler([DefaultFlowCallback, callback], None, tok, None, None)
    saved = []
    control = handler.on_train_begin(args, state, control)
    for step in range(1, steps + 1):
        state.global_step = step
        control = handler.on_step_end(args, state, control)
        assert control.should_save, "save_steps=1: DefaultFlowCallback asks for a save every step"
        tok.save_pretrained(Path(args.output_dir) / f"checkpoint-{step}")
        saved.append(step)
        control = handler.on_save(args, state, control)
    handler.on_train_end(args, state, control)
    return saved


def test_it_is_a_trainer_callback() -> None:
    assert isinstance(ChatTemplateLintCallback(), TrainerCallback)


def test_strict_stops_at_the_first_checkpoint_with_the_seed_bug(tmp_path: Path, logged: Records) -> None:
    saved: List[int] = []
    with pytest.raises(ChatTemplateError) as e:
        saved = train(tmp_path, ChatTemplateLintCallback(), SEED)
    assert not (tmp_path / "out/checkpoint-2").exists(), "training went on after checkpoint 1"
    assert saved == []
    [finding] = e.value.findings
    assert finding.rule == "generation-prompt-missing"
    assert finding.path.endswith("out/checkpoint-1/chat_template.jinja")
    assert (finding.line, finding.column) == (3, 147)
    assert len(logged.lines) == 1 and logged.levels == [logging.ERROR]
    assert logged.lines[0].startswith("chat-template-lint: ")
    assert "out/checkpoint-1/chat_template.jinja:3:147: error[generation-prompt-missing] " in logged.lines[0]


def test_the_fixed_template_passes(tmp_path: Path, logged: Records) -> None:
    assert train(tmp_path, ChatTemplateLintCallback(baseline=REPO / "examples/base-model"), FIXED) == [1, 2, 3]
    assert logged.lines == []


def test_not_strict_warns_and_training_goes_on(tmp_path: Path, logged: Records) -> None:
    assert train(tmp_path, ChatTemplateLintCallback(strict=False), SEED) == [1, 2, 3]
    # One line per save, then the whole output folder at the end (3 checkpoints).
    assert len(logged.lines) == 3 + 3, logged.lines
    assert set(logged.levels) == {logging.WARNING}
    for step in (1, 2, 3):
        assert any(f"checkpoint-{step}/chat_template.jinja:3:147" in line for line in logged.lines)


def test_select_and_ignore_reach_the_check(tmp_path: Path, logged: Records) -> None:
    assert train(tmp_path, ChatTemplateLintCallback(ignore=["generation-prompt-missing"]), SEED) == [1, 2, 3]
    assert train(tmp_path / "b", ChatTemplateLintCallback(select="template-drift"), SEED) == [1, 2, 3]
    assert logged.lines == []


def test_drift_from_the_baseline_stops_training(tmp_path: Path) -> None:
    chatml = (REPO / "examples/modern-layout/chat_template.jinja").read_text(encoding="utf-8")
    with pytest.raises(ChatTemplateError) as e:
        train(tmp_path, ChatTemplateLintCallback(baseline=REPO / "examples/base-model", select="template-drift"), chatml)
    assert {f.rule for f in e.value.findings} == {"template-drift"}


def test_only_the_main_process_checks(tmp_path: Path, logged: Records) -> None:
    assert train(tmp_path, ChatTemplateLintCallback(), SEED, main=False) == [1, 2, 3]
    assert logged.lines == []


def test_a_hub_id_baseline_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match="not a local folder"):
        ChatTemplateLintCallback(baseline="meta-llama/Llama-3.1-8B-Instruct")
