"""docs/architecture.md stays true: one line per runtime and service module, every environment
variable cockpit reads or sets, and its settings examples load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cockpit.service.settings import ENV_OVERRIDES, load_config

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"


def section(heading: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    assert heading in text, heading
    return text.split(heading, 1)[1].split("\n#", 1)[0]


@pytest.mark.parametrize("layer", ["runtime", "service"])
def test_the_module_table_lists_every_module_once(layer: str) -> None:
    rows = re.findall(r"^\| `([a-z_]+)` \| (.+) \|$", section(f"### {layer} modules"), re.M)
    names = [name for name, _ in rows]
    assert len(names) == len(set(names)), "a module is listed twice"
    files = {p.stem for p in (ROOT / "cockpit" / layer).glob("*.py") if p.stem != "__init__"}
    assert set(names) == files, f"missing: {sorted(files - set(names))}; no such module: {sorted(set(names) - files)}"
    assert all(len(what.strip()) > 10 for _, what in rows)


def test_every_cockpit_environment_variable_is_documented() -> None:
    sources = [p for p in (ROOT / "cockpit").rglob("*") if p.suffix in (".py", ".sh", ".js")]
    used = {name for p in sources for name in re.findall(r"\bCOCKPIT_[A-Z_]+[A-Z]\b", p.read_text(encoding="utf-8"))}
    documented = set(re.findall(r"`(COCKPIT_[A-Z_]+)`", section("### Environment variables")))
    assert used <= documented, f"not in docs/architecture.md: {sorted(used - documented)}"


def test_every_override_is_in_the_overrides_table() -> None:
    table = section("### Environment variables")
    for override in ENV_OVERRIDES:
        assert f"| `{override.variable}` | `{'.'.join(override.setting)}` |" in table


def test_the_example_settings_file_loads(tmp_path: Path) -> None:
    example = re.search(r"```yaml\n(.*?)```", section("### The repository's settings"), re.S)
    assert example is not None
    (tmp_path / ".cockpit").mkdir()
    (tmp_path / ".cockpit" / "config.yaml").write_text(example.group(1))
    config = load_config(tmp_path, env={})
    assert config.default_provider == "fake" and config.supervisor.max_workers == 4
