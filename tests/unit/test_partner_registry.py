"""The partner registry file is validated before anything trusts it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from runtime.partners import load_registry


def test_default_registry_loads() -> None:
    registry = load_registry()
    assert "cleveland-police" in registry.ids
    police = registry.get("cleveland-police")
    assert police is not None
    assert police.source == "6"
    assert registry.get("nobody") is None


def test_bad_entries_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "partners.yaml"
    bad.write_text(
        "partners:\n  - id: Bad Org\n    name: x\n    source: '6'\n    local_authorities: []\n"
        "    colour: blue\n",
    )
    with pytest.raises(ValidationError) as caught:
        load_registry(bad)
    problems = {str(e["loc"][-1]) for e in caught.value.errors()}
    assert {"id", "local_authorities", "colour"} <= problems
