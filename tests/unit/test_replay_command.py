"""``frontdoor replay``: the same intake and triage code, offline, one line per referral."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from domain.policy import DEFAULT_POLICY
from factories import encode, referral
from frontdoor.cli.main import app

runner = CliRunner()
SCHOOL = {"organisation_id": "stockton-riverside-academy", "source": "2A"}


def write(tmp_path: Path, documents: list) -> Path:
    path = tmp_path / "month.jsonl"
    path.write_bytes(
        b"\n".join(d if isinstance(d, bytes) else encode(d) for d in documents) + b"\n"
    )
    return path


def run(*args: str) -> tuple[list[dict], dict]:
    result = runner.invoke(app, ["replay", *args])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return lines[:-1], lines[-1]["summary"]


def month(tmp_path: Path) -> Path:
    school = referral(
        referral_id="S-1",
        referrer=SCHOOL,
        concerns=[{"factor": "14A"}],
        risk={"immediate_risk": False, "injury_observed": False},
        consent={"status": "given"},
        submitted_at="2026-11-16T10:00:00+00:00",
    )
    police = referral(
        submitted_at="2026-11-17T08:00:00+00:00",
        risk={"immediate_risk": False, "injury_observed": False, "dash_risk": "high"},
    )
    return write(
        tmp_path, [school, school, police, b"{not json", school | {"summary": "Updated account."}]
    )


def test_each_referral_gets_a_line_and_the_summary_counts_them(tmp_path: Path) -> None:
    lines, summary = run(str(month(tmp_path)))
    assert [line["status"] for line in lines] == [
        "triaged",
        "duplicate",
        "linked",
        "rejected",
        "amended",
    ]
    first, _, linked, rejected, _ = lines
    assert (first["outcome"], first["rag"], first["rules"]) == ("early-help", "green", ["L2-CHILD"])
    # a linked contact reports the case's outcome after the link
    assert (linked["case_id"], linked["outcome"], linked["level"]) == (
        first["case_id"],
        "enquiry-assessment",
        4,
    )
    assert rejected["errors"][0]["loc"] == "message"
    assert summary["referrals"] == 5
    assert (
        summary["links"],
        summary["duplicates"],
        summary["rejected"],
        summary["amendments"],
    ) == (1, 1, 1, 1)
    assert summary["source"] == {"2A": 3, "6": 1}


def test_a_different_policy_changes_the_outcomes(tmp_path: Path) -> None:
    document = yaml.safe_load(DEFAULT_POLICY.read_text())
    document["version"] = "strict-1"
    for rule in document["rules"]:
        if rule["id"] == "L2-CHILD":
            rule["level"] = 3
    policy = tmp_path / "strict.yaml"
    policy.write_text(yaml.safe_dump(document))
    lines, summary = run(str(month(tmp_path)), "--policy", str(policy))
    assert (lines[0]["outcome"], lines[0]["level"]) == ("enquiry-assessment", 3)
    assert summary["outcome"]["enquiry-assessment"] == 4


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["replay", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_each_line_has_its_decision_due_on_its_councils_calendar(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    late = yaml.safe_load(DEFAULT_POLICY.read_text()) | {
        "version": "late-start-1",
        "calendar": {"day_start": "10:00", "day_end": "18:00"},
    }
    (folder / "808.yaml").write_text(yaml.safe_dump(late))
    sent = "2026-11-17T09:15:00+00:00"  # Tuesday, before either council's day has started
    path = write(
        tmp_path,
        [
            referral(referral_id="A-808", submitted_at=sent),
            referral(
                referral_id="A-805",
                submitted_at=sent,
                local_authority="805",
                child={**referral()["child"], "nhs_number": None, "upn": None, "given_name": "Ola"},
            ),
        ],
    )
    lines, _ = run(str(path), "--policy-dir", str(folder))

    by_id = {line["referral_id"]: line for line in lines}
    # Level 3 (one working day): 10:00-18:00 Tuesday for 808; 09:15 Wednesday by default.
    assert by_id["A-808"]["decision_due"] == "2026-11-17T18:00:00+00:00"
    assert by_id["A-805"]["decision_due"] == "2026-11-18T09:15:00+00:00"


def test_replay_applies_intakes_partner_checks_unless_told_not_to(tmp_path: Path) -> None:
    # Cleveland Police does not refer to Camden (202); an unregistered organisation refers nowhere.
    elsewhere = referral(referral_id="P-202", local_authority="202")
    stranger = referral(
        referral_id="X-1", referrer={**referral()["referrer"], "organisation_id": "stranger-org"}
    )
    path = write(tmp_path, [elsewhere, stranger])

    checked, summary = run(str(path))
    assert [line["status"] for line in checked] == ["rejected", "rejected"]
    assert [e["loc"] for e in checked[0]["errors"]] == ["local_authority"]
    assert [e["loc"] for e in checked[1]["errors"]] == ["referrer.organisation_id"]
    assert summary["registry_checks"] is True

    unchecked, summary = run(str(path), "--no-registry")
    assert {line["status"] for line in unchecked} == {"triaged"}
    assert summary["registry_checks"] is False


def test_a_red_referral_on_a_friday_afternoon_is_due_that_evening_with_the_emergency_team(
    tmp_path: Path,
) -> None:
    red = {"immediate_risk": True, "injury_observed": False}
    documents = [
        referral(referral_id="FRI", risk=red, submitted_at="2026-12-04T16:30:00+00:00"),
        referral(
            referral_id="TUE",
            risk=red,
            submitted_at="2026-12-01T10:00:00+00:00",
            child=referral()["child"] | {"given_name": "Other", "nhs_number": None, "upn": None},
        ),
    ]
    lines, _ = run(str(write(tmp_path, documents)))
    by_id = {line["referral_id"]: line for line in lines}
    assert by_id["FRI"]["decision_due"] == "2026-12-04T20:30:00+00:00"  # not Monday
    assert by_id["FRI"]["emergency_duty"] is True  # due after the office closes at 17:00
    assert by_id["TUE"]["decision_due"] == "2026-12-01T14:00:00+00:00"
    assert by_id["TUE"]["emergency_duty"] is False
