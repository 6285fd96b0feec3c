"""``frontdoor validate`` as DESIGN.md section 4 specifies it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from factories import encode, recently, referral
from frontdoor.cli.main import app

runner = CliRunner()


def lines_of(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_valid_json_file_exits_zero(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_bytes(encode(referral(submitted_at=recently())))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert lines_of(result.stdout) == [
        {"path": str(path), "line": 1, "kind": "referral", "valid": True, "errors": []}
    ]


def test_jsonl_reports_each_line_and_exits_one_if_any_invalid(tmp_path: Path) -> None:
    good = encode(referral(submitted_at=recently())).decode()
    bad = encode(referral(submitted_at=recently(), local_authority="000")).decode()
    path = tmp_path / "many.jsonl"
    path.write_text(f"{good}\n\n{bad}\nnot json\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    lines = lines_of(result.stdout)
    assert [(line["line"], line["valid"]) for line in lines] == [(1, True), (3, False), (4, False)]
    assert lines[1]["errors"][0]["loc"] == "local_authority"
    assert lines[2]["errors"][0]["loc"] == "message"


def test_org_option_checks_the_registry(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_bytes(encode(referral(submitted_at=recently())))
    result = runner.invoke(app, ["validate", "--org", "hartlepool-high-school", str(path)])
    assert result.exit_code == 1
    (line,) = lines_of(result.stdout)
    assert {e["loc"] for e in line["errors"]} == {"referrer.organisation_id", "local_authority"}


def test_missing_file_is_reported_not_crashed(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.json")])
    assert result.exit_code == 1
    (line,) = lines_of(result.stdout)
    assert line["valid"] is False
    assert line["errors"][0]["loc"] == "path"


def test_a_file_with_no_referrals_says_so_and_fails(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n  \n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert lines_of(result.stdout) == []
    assert f"{path}: no referrals in it" in result.output
