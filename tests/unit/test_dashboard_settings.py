"""Outside development the dashboard fails closed: no demo sign-in, no demo secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from factories import managers_file
from frontdoor.cli.main import app
from runtime.demo import DEMO_MANAGERS_FILE
from services.dashboard.app import create_app
from services.dashboard.settings import DashboardSettings

SECRET = "s" * 40


@pytest.fixture(autouse=True)
def _records_database(records_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard reads every page from a records database whose schema is current."""
    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", records_url)


def test_production_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRONTDOOR_DASHBOARD_ENVIRONMENT", raising=False)
    assert DashboardSettings().environment == "production"


def test_a_misspelt_environment_is_refused_not_taken_as_development() -> None:
    with pytest.raises(ValueError, match="environment"):
        DashboardSettings(environment="prod")  # type: ignore[arg-type]


def test_production_without_a_managers_file_exits_at_once_with_one_line() -> None:
    result = CliRunner().invoke(
        app,
        ["dashboard"],
        env={
            "FRONTDOOR_DASHBOARD_ENVIRONMENT": "production",
            "FRONTDOOR_DASHBOARD_SESSION_SECRET": SECRET,
            "FRONTDOOR_DASHBOARD_MANAGERS_FILE": "",
        },
    )
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("dashboard cannot start: set FRONTDOOR_DASHBOARD_MANAGERS_FILE")


@pytest.mark.parametrize("secret", ["", "short", "development-only-session-secret-change-me"])
def test_production_refuses_an_empty_short_or_development_secret(
    secret: str, tmp_path: Path
) -> None:
    settings = DashboardSettings(
        environment="production",
        session_secret=secret,  # type: ignore[arg-type]
        managers_file=managers_file(tmp_path, "real.manager", "a real password", ["808"]),
    )
    with pytest.raises(ValueError, match="SESSION_SECRET"):
        create_app(settings)


def test_production_refuses_the_demo_managers_file() -> None:
    settings = DashboardSettings(
        environment="production",
        session_secret=SECRET,  # type: ignore[arg-type]
        managers_file=DEMO_MANAGERS_FILE,
    )
    with pytest.raises(ValueError, match="names the demo file"):
        create_app(settings)


def test_production_refuses_a_file_that_holds_the_demo_account(tmp_path: Path) -> None:
    copied = tmp_path / "council" / "managers.yaml"
    copied.parent.mkdir()
    copied.write_text(DEMO_MANAGERS_FILE.read_text())
    renamed = managers_file(tmp_path, "duty.manager", "frontdoor-demo", ["808"])
    for path in (copied, renamed):  # the demo's own hash, or the published password hashed anew
        settings = DashboardSettings(
            environment="production",
            session_secret=SECRET,  # type: ignore[arg-type]
            managers_file=path,
        )
        with pytest.raises(ValueError, match="holds the demo account"):
            create_app(settings)


def test_production_with_its_own_file_and_secret_starts(tmp_path: Path) -> None:
    settings = DashboardSettings(
        environment="production",
        session_secret=SECRET,  # type: ignore[arg-type]
        managers_file=managers_file(tmp_path, "real.manager", "a real password", ["808"]),
    )
    assert create_app(settings) is not None


def test_development_may_use_the_demo_files() -> None:
    assert create_app(DashboardSettings(environment="development")) is not None
