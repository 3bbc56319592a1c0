"""Check .pre-commit-hooks.yaml the way pre-commit reads it: the keys a hook
needs, and that its `files` regex (Python `re.search`, as pre-commit applies
it) picks the template files and nothing else."""
import re
import sys

from ruamel.yaml import YAML

hooks = YAML(typ="safe").load(open(".pre-commit-hooks.yaml"))
assert isinstance(hooks, list) and len(hooks) == 2, hooks
# The same hook twice: built with cargo (`language: rust`), or installed
# as the Python wheel's project (`language: python`, pyproject.toml).
assert [(h.get("id"), h.get("language")) for h in hooks] == [
    ("chat-template-lint", "rust"),
    ("chat-template-lint-python", "python"),
], hooks
for hook in hooks:
    for key in ("id", "name", "entry", "language"):
        assert isinstance(hook.get(key), str) and hook[key], f"missing {key}"
    assert hook["entry"].split()[:2] == ["chat-template-lint", "check"]
    rest = {k: v for k, v in hook.items() if k not in ("id", "language")}
    first = {k: v for k, v in hooks[0].items() if k not in ("id", "language")}
    assert rest == first, f"{hook['id']} differs from {hooks[0]['id']} beyond id/language"
# pre-commit installs a `language: python` hook with `pip install .`.
assert open("pyproject.toml").read().count('build-backend = "maturin"') == 1
hook = hooks[0]
files = re.compile(hook["files"])
yes = [
    "tokenizer_config.json",
    "models/a/tokenizer_config.json",
    "m/chat_template.jinja",
    "m/chat_template.json",
    "m/additional_chat_templates/tool_use.jinja",
    "m/tokenizer.json",
    "m/generation_config.json",
    "m/config.json",
    "m/special_tokens_map.json",
]
no = ["README.md", "m/my_config.json", "m/my_tokenizer_config.json", "m/tokenizer.json.bak", "m/templates/x.jinja", "m/chat_template.jinja.bak"]
bad = [f for f in yes if not files.search(f)] + [f for f in no if files.search(f)]
if bad:
    sys.exit(f".pre-commit-hooks.yaml `files` is wrong for: {bad}")
print(".pre-commit-hooks.yaml: ok")
