"""The layer rules, as import-linter contracts in pyproject.toml, checked over the code.

The client package never needs the train actions or the agent (a notebook with only the
client installed must work), and nothing a headless process runs (agent, worker, server,
CLI, benchmark) loads a widget or figure module of the UI. Imports inside functions count:
import-linter reads them from the source as it reads the module-level ones.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

import synapse_nb

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(synapse_nb.__file__).resolve().parent
# What may import the UI: the UI itself and the package root (its lazy `snb.widgets`).
UI = {"synapse_nb.widgets", "synapse_nb.__init__"}


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    return {c["name"]: c for c in config["contracts"]}


def test_the_import_rules_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # lint-imports reads pyproject.toml here and analyses this checkout
    monkeypatch.syspath_prepend(str(ROOT))
    assert PACKAGE == ROOT / "synapse_nb", "the checkout's package is the one analysed"
    assert lint_imports(no_cache=True, no_logo=True) == 0, "run `lint-imports` to see the import chain that breaks a rule"


def test_the_client_contract_forbids_actions_and_agent() -> None:
    client = next(c for c in _contracts().values() if c["source_modules"] == ["synapse_nb.api"])
    assert client["type"] == "forbidden"
    assert set(client["forbidden_modules"]) == {"synapse_nb.actions", "synapse_nb.agent"}
    assert not client.get("allow_indirect_imports", False), "a chain through another module counts too"
    assert not client.get("ignore_imports")


def test_every_headless_module_is_under_the_widget_rule() -> None:
    headless = next(c for c in _contracts().values() if "synapse_nb.widgets" in c["forbidden_modules"])
    assert {"ipywidgets", "anywidget"} <= set(headless["forbidden_modules"])
    assert headless["ignore_imports"] == ["synapse_nb.api.task -> synapse_nb.widgets"], "only task.dashboard()"
    top_level = {f"synapse_nb.{p.stem if p.is_file() else p.name}" for p in PACKAGE.iterdir()
                 if (p.suffix == ".py" or (p / "__init__.py").is_file())}
    assert top_level - UI == set(headless["source_modules"]), "a new module or package is headless unless it is UI"


def test_a_broken_rule_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The contracts are not vacuous: the same rule over a tiny package with a lazy import breaks."""
    pkg = tmp_path / "layered"
    (pkg / "api").mkdir(parents=True)
    (pkg / "actions").mkdir()
    for init in (pkg, pkg / "api", pkg / "actions"):
        (init / "__init__.py").write_text("")
    (pkg / "api" / "task.py").write_text("def state():\n    from layered.actions import runner\n    return runner\n")
    (pkg / "actions" / "runner.py").write_text("")
    (tmp_path / "setup.cfg").write_text(
        "[importlinter]\nroot_package = layered\n\n[importlinter:contract:client]\nname = client\n"
        "type = forbidden\nsource_modules = layered.api\nforbidden_modules = layered.actions\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert lint_imports(config_filename=str(tmp_path / "setup.cfg"), no_cache=True, no_logo=True) == 1
    sys.modules.pop("layered", None)
