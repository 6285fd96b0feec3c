"""One policy per council: the folder, the fallback, the calendar, and clear refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from domain.policies import PolicyBook, PolicyFileError
from domain.policy import DEFAULT_POLICY
from frontdoor.cli.main import app
from runtime.policies import PolicySettings

TUESDAY = datetime(2026, 11, 17, 9, 30, tzinfo=UTC)


def write_policy(folder: Path, name: str, **changes: object) -> Path:
    document = yaml.safe_load(DEFAULT_POLICY.read_text()) | changes
    path = folder / name
    path.write_text(yaml.safe_dump(document))
    return path


def test_a_council_with_a_file_gets_its_policy_and_the_others_the_default(tmp_path: Path) -> None:
    write_policy(
        tmp_path,
        "808.yaml",
        version="stockton-2027.1",
        calendar={"day_start": "08:30", "day_end": "16:30"},
    )
    book = PolicyBook.load(folder=tmp_path)

    assert book.for_la("808").version == "stockton-2027.1"
    assert book.for_la("805").version == book.default.version
    assert book.for_la("808").clock.day_start.hour == 8
    # Level 4 (4 working hours) from Tuesday 09:30: 13:30 by default, the same on 08:30-16:30.
    assert book.for_la("805").decision_due(4, TUESDAY) == datetime(2026, 11, 17, 13, 30, tzinfo=UTC)


def test_closure_days_and_the_acknowledgement_target_come_from_the_file(tmp_path: Path) -> None:
    write_policy(
        tmp_path,
        "806.yaml",
        calendar={"closure_days": ["2026-11-18"]},
        acknowledge_within={"working_days": 2},
    )
    policy = PolicyBook.load(folder=tmp_path).for_la("806")
    # Two working days from Tuesday 09:30, Wednesday closed: Friday 09:30.
    assert policy.acknowledgement_due(TUESDAY) == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "changes", "says"),
    [
        ("stockton.yaml", {}, "name each file by the DfE number"),
        ("808.yaml", {"local_authority": "805"}, "says local_authority 805"),
        ("808.yaml", {"calendar": {"day_start": "17:00", "day_end": "09:00"}}, "must end after"),
        ("808.yaml", {"levels": []}, "levels"),
    ],
)
def test_a_bad_policy_file_is_refused_in_one_line_naming_it(
    tmp_path: Path, name: str, changes: dict[str, object], says: str
) -> None:
    write_policy(tmp_path, name, **changes)
    with pytest.raises(PolicyFileError) as refused:
        PolicyBook.load(folder=tmp_path)
    assert name in str(refused.value)
    assert says in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_file_that_is_not_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "808.yaml").write_text("version: x\nlevels: [\n")
    with pytest.raises(PolicyFileError, match=r"808.yaml: not valid YAML at line \d"):
        PolicyBook.load(folder=tmp_path)


def test_the_settings_read_the_folder_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_policy(tmp_path, "807.yaml", version="redcar-1")
    monkeypatch.setenv("FRONTDOOR_POLICY_DIR", str(tmp_path))
    assert PolicySettings().load().for_la("807").version == "redcar-1"


@pytest.mark.parametrize(
    "retired",
    ["FRONTDOOR_TRIAGE_DAY_START", "FRONTDOOR_TRIAGE_DAY_END", "FRONTDOOR_TRIAGE_POLICY_FILE"],
)
def test_a_retired_setting_is_refused_with_what_to_use_instead(
    monkeypatch: pytest.MonkeyPatch, retired: str
) -> None:
    monkeypatch.setenv(retired, "08:00")
    with pytest.raises(ValueError, match=f"{retired} is retired"):
        PolicySettings()


def test_a_service_with_a_bad_policy_file_refuses_to_start_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "808.yaml").write_text("version: [\n")
    result = CliRunner().invoke(app, ["run", "triage"], env={"FRONTDOOR_POLICY_DIR": str(tmp_path)})
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"triage cannot start: {tmp_path / '808.yaml'}: not valid YAML at line 2"
    ]


def test_a_council_may_count_every_day_for_a_team_that_never_closes(tmp_path: Path) -> None:
    write_policy(
        tmp_path,
        "808.yaml",
        calendar={
            "day_start": "00:00",
            "day_end": "23:59:59",
            "weekdays": [0, 1, 2, 3, 4, 5, 6],
            "bank_holidays_off": False,
        },
    )
    clock = PolicyBook.load(folder=tmp_path).for_la("808").clock
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    christmas = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)
    assert clock.add_hours(saturday, 2) == datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert clock.add_hours(christmas, 2) == datetime(2026, 12, 25, 12, 0, tzinfo=UTC)
    default = PolicyBook.load().default.clock
    assert default.add_hours(saturday, 2) == datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
