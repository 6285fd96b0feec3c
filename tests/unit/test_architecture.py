"""The import contracts in pyproject.toml hold, and they catch a deliberate violation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("schemas", "domain", "runtime", "services", "frontdoor")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],  # reads the copy's pyproject.toml
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_tree_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


def test_a_service_importing_another_is_caught(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    webhooks = tree / "services" / "notifier" / "webhooks.py"
    webhooks.write_text(webhooks.read_text() + "\nfrom services.triage import engine  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "Services do not import each other BROKEN" in result.stdout


def test_the_kernel_importing_a_kafka_client_is_caught(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    clock = tree / "domain" / "working_time.py"
    clock.write_text(clock.read_text() + "\nimport aiokafka  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "imports no service, no runtime and no Kafka client BROKEN" in result.stdout


def test_no_two_test_modules_share_a_name() -> None:
    """pytest imports test modules by their base name (tests/ has no packages): two files of one
    name in unit/ and e2e/ fail collection of the whole run (a clean-clone run found it twice)."""
    names = [path.name for path in (ROOT / "tests").rglob("test_*.py")]
    assert sorted(name for name in set(names) if names.count(name) > 1) == []


def _imports(path: Path) -> set[str]:
    """The project modules ``path`` imports, anywhere in it (``TYPE_CHECKING`` blocks too)."""
    import ast  # noqa: PLC0415

    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_circles(root: Path = ROOT) -> list[tuple[str, str]]:
    """Every pair of project modules that import each other."""
    modules = {
        _module(path): path
        for package in PACKAGES
        for path in (root / package).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    imports = {name: _imports(path) & set(modules) for name, path in modules.items()}
    return sorted(
        (a, b) for a, targets in imports.items() for b in targets if a < b and a in imports[b]
    )


def test_no_two_modules_import_each_other() -> None:
    """runtime.records and runtime.tracing did (issue 39): the shared names are in
    runtime.messages now."""
    assert import_circles() == []
