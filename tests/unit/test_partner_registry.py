"""The partner registry file is validated before anything trusts it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from frontdoor.cli.main import app
from runtime.demo import DEMO_PARTNERS_FILE
from runtime.partners import load_registry
from schemas.partners import Partner


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


@pytest.mark.parametrize(
    "reserved",
    ["frontdoor-admin", "frontdoor-controller", "frontdoor-intake", "frontdoor", "admin", "kafka"],
)
def test_an_organisation_may_not_take_a_reserved_users_name(reserved: str) -> None:
    with pytest.raises(ValidationError, match="reserved for Front Door's own users"):
        Partner(id=reserved, name="x", source="6", local_authorities=("808",))


def test_partners_add_refuses_a_reserved_id_before_touching_the_broker(tmp_path: Path) -> None:
    registry = tmp_path / "partners.yaml"
    registry.write_text(DEMO_PARTNERS_FILE.read_text())
    result = CliRunner().invoke(
        app,
        ["partners", "add", "frontdoor-intake", "--name", "x", "--source", "6", "--la", "808"],
        env={"FRONTDOOR_PARTNERS_FILE": str(registry)},
    )
    assert result.exit_code == 2
    assert "reserved for Front Door's own users" in result.output
    assert registry.read_text() == DEMO_PARTNERS_FILE.read_text()
