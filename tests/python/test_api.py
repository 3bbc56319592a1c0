"""`chat_template_lint.check` / `render` / `python -m chat_template_lint`
against the installed wheel, on the bundled examples (issue 14 §2, §4)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import chat_template_lint
from chat_template_lint import ChatTemplateError, Finding, ToolError, check, render

HELLO = [{"role": "user", "content": "Hello, who are you?"}]
# The Llama-3 prompt transformers' apply_chat_template(HELLO,
# add_generation_prompt=True, tokenize=False) gives for examples/base-model.
LLAMA3_PROMPT = (
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
    "Hello, who are you?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
)


def test_the_seed_bug_is_found_with_every_field(repo: Path) -> None:
    findings = check("examples")
    assert len(findings) == 1, findings
    f = findings[0]
    assert f == Finding(
        rule="generation-prompt-missing",
        severity="error",
        path="examples/finetuned-broken/chat_template.jinja",
        line=3,
        column=147,
        message=f.message,
        template="default",
        help=f.help,
        probe="user",
    )
    assert f.message.startswith("`add_generation_prompt=True` does not add the assistant header"), f.message
    assert f.help is not None and f.help.startswith("end the template with `{% if add_generation_prompt %}")
    assert str(f).startswith(
        "examples/finetuned-broken/chat_template.jinja:3:147: error[generation-prompt-missing] "
    )
    with pytest.raises(AttributeError):
        f.rule = "x"  # type: ignore[misc]  # frozen


def test_findings_are_the_cli_json(repo: Path, binary: str) -> None:
    cli = subprocess.run([binary, "check", "--format", "json", "examples"], capture_output=True, check=False)
    assert cli.returncode == 1
    assert check("examples") == [Finding.from_json(item) for item in json.loads(cli.stdout)]


def test_no_path_checks_the_current_folder_and_dash_names_are_paths(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "examples")
    assert [(f.rule, f.path) for f in check()] == [
        ("generation-prompt-missing", "finetuned-broken/chat_template.jinja")
    ]
    with pytest.raises(ToolError, match="-no-such-path"):
        check("-no-such-path")  # a path, not a flag


@pytest.mark.parametrize("folder", ["base-model", "modern-layout", "named-templates"])
def test_clean_folders_are_clean(repo: Path, folder: str) -> None:
    assert check(Path("examples") / folder) == []


def test_select_ignore_and_baseline(repo: Path) -> None:
    assert check("examples", ignore=["generation-prompt-missing"]) == []
    assert check("examples", select="template-drift") == []
    drift = check("examples/finetuned-broken", baseline="examples/base-model", select=["template-drift"])
    assert drift and {f.rule for f in drift} == {"template-drift"}, drift
    # fail_on changes only the exit status: the findings come back either way.
    assert [f.rule for f in check("examples", fail_on="never")] == ["generation-prompt-missing"]


def test_bad_flag_is_a_tool_error_with_stderr(repo: Path) -> None:
    with pytest.raises(ToolError) as e:
        check("examples", fail_on="sometimes")
    assert e.value.returncode == 2
    assert "sometimes" in e.value.stderr
    with pytest.raises(ToolError) as e:
        check("examples", select=["generation-prompt-mising"])
    assert e.value.returncode == 2
    assert "generation-prompt-mising" in str(e.value)
    with pytest.raises(ToolError) as e:
        check("no/such/folder-anywhere")
    assert e.value.returncode == 2


def test_missing_binary_is_a_clear_tool_error(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from chat_template_lint import _binary

    monkeypatch.setattr(_binary, "candidates", lambda: [str(tmp_path / "nothing")])
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolError, match="executable was not found"):
        check("examples")


def test_render_is_byte_exact(repo: Path, binary: str, tmp_path: Path) -> None:
    assert render("examples/base-model", HELLO, add_generation_prompt=True) == LLAMA3_PROMPT
    # The seed template: the prompt stops after the user's turn.
    assert render("examples/finetuned-broken", HELLO, add_generation_prompt=True) == LLAMA3_PROMPT[
        : LLAMA3_PROMPT.index("<|start_header_id|>assistant")
    ]
    # A prompt ending in a newline keeps it; the same bytes as the CLI writes to a file.
    chatml = render("examples/modern-layout", HELLO, add_generation_prompt=True)
    assert chatml.endswith("<|im_start|>assistant\n"), repr(chatml)
    out = tmp_path / "prompt.txt"
    with out.open("wb") as f:
        subprocess.run(
            [binary, "render", "examples/modern-layout", "--messages", "examples/conversation.json",
             "--add-generation-prompt"],
            stdout=f, check=True,
        )
    assert chatml.encode("utf-8") == out.read_bytes()


def test_render_named_template_tools_and_variables(repo: Path, tmp_path: Path) -> None:
    template = tmp_path / "chat_template.jinja"
    template.write_text(
        "{{ messages | length }}|{{ tools | length if tools else 'none' }}|{{ enable_thinking }}|"
        "{{ add_generation_prompt }}\n\n",
        encoding="utf-8",
    )
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    # Jinja drops one trailing newline of the source (keep_trailing_newline
    # is False in transformers' environment); the other one is kept.
    assert render(template, HELLO) == "1|none||False\n"
    assert render(template, HELLO, tools=tools, enable_thinking=False, add_generation_prompt=True) == (
        "1|1|False|True\n"
    )
    # An OpenAI-style request body works as `messages` too.
    assert render(template, {"messages": HELLO * 2, "enable_thinking": True}) == "2|none|True|False\n"
    tool_use = render("examples/named-templates", HELLO, tools=tools, template_name="tool_use")
    assert tool_use != render("examples/named-templates", HELLO)


def test_render_errors(repo: Path, tmp_path: Path) -> None:
    template = tmp_path / "chat_template.jinja"
    template.write_text("{{ raise_exception('System role not supported') }}", encoding="utf-8")
    with pytest.raises(ChatTemplateError) as e:
        render(template, HELLO)
    [finding] = e.value.findings
    assert finding.severity == "error"
    assert "System role not supported" in finding.message
    with pytest.raises(ToolError) as t:
        render("examples/named-templates", HELLO, template_name="no_such_template")
    assert t.value.returncode == 2 and "no_such_template" in t.value.stderr


def test_github_actions_in_the_environment_changes_nothing(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    outputs = tmp_path / "outputs.txt"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo.parent))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    # Not wrapped in ::stop-commands:: (the CLI does that for a prompt going to a log).
    assert render("examples/base-model", HELLO, add_generation_prompt=True) == LLAMA3_PROMPT
    [f] = check("examples")
    assert f.path == "examples/finetuned-broken/chat_template.jinja"  # not re-rooted at the workspace
    assert not summary.exists() and not outputs.exists()


def test_python_m_runs_the_binary_with_its_exit_status(repo: Path, binary: str) -> None:
    for args, code in ((["check", "examples/base-model"], 0), (["check", "examples"], 1), (["check", "--nope"], 2)):
        via_module = subprocess.run(
            [sys.executable, "-m", "chat_template_lint", *args], capture_output=True, check=False
        )
        direct = subprocess.run([binary, *args], capture_output=True, check=False)
        assert via_module.returncode == direct.returncode == code, (args, via_module.stderr)
        assert via_module.stdout == direct.stdout


def test_version_is_cargo_toml(binary: str) -> None:
    from importlib.metadata import version

    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"chat-template-lint {version('chat-template-lint')}"


def test_importing_the_package_does_not_import_transformers() -> None:
    code = "import sys, chat_template_lint; print('transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    assert sorted(chat_template_lint.__all__) == ["ChatTemplateError", "Finding", "ToolError", "check", "render"]


def test_the_package_is_typed() -> None:
    assert (Path(chat_template_lint.__file__).parent / "py.typed").is_file()


def test_warnings_on_stderr_go_to_logging(
    repo: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "chat-template-lint.toml"
    config.write_text('exclude = ["no-such-folder/**"]\n', encoding="utf-8")
    with caplog.at_level("WARNING", logger="chat_template_lint"):
        assert check("examples/base-model", config=config) == []
    assert any("no-such-folder/**" in r.getMessage() and "matched nothing" in r.getMessage() for r in caplog.records), [
        r.getMessage() for r in caplog.records
    ]
