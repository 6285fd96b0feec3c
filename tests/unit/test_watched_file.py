"""A bad edit of a configuration file never stops a running service, and says where it is bad."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from frontdoor.cli.main import app
from runtime.demo import DEMO_PARTNERS_FILE
from runtime.partners import PartnerDirectory
from schemas.yaml_files import ConfigFileError

BAD_ENTRY = "  - id: Bad Org\n    name: x\n    source: '6'\n    local_authorities: ['808']\n"


def touch_later(path: Path) -> None:
    """Make sure the file's change is seen even on a coarse clock."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_bad_edit_keeps_the_last_good_registry_and_says_which_line(tmp_path: Path) -> None:
    path = tmp_path / "partners.yaml"
    path.write_text(DEMO_PARTNERS_FILE.read_text())
    directory = PartnerDirectory(path, recheck=0)
    good = directory.registry.ids
    lines = len(path.read_text().splitlines())

    path.write_text(path.read_text() + BAD_ENTRY)
    touch_later(path)
    assert directory.registry.ids == good
    assert directory.problem is not None
    assert f"(line {lines + 1}): partners.{len(good)}.id" in directory.problem

    path.write_text(DEMO_PARTNERS_FILE.read_text())
    touch_later(path)
    assert directory.problem is None
    assert directory.registry.ids == good


def test_a_half_written_file_is_not_taken_either(tmp_path: Path) -> None:
    path = tmp_path / "partners.yaml"
    path.write_text(DEMO_PARTNERS_FILE.read_text())
    directory = PartnerDirectory(path, recheck=0)
    path.write_text(DEMO_PARTNERS_FILE.read_text()[:200])
    touch_later(path)
    assert directory.registry.ids  # the last good one
    assert directory.problem is not None


def test_at_start_a_bad_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "partners.yaml"
    path.write_text(DEMO_PARTNERS_FILE.read_text() + BAD_ENTRY)
    with pytest.raises(ConfigFileError, match=r"partners.yaml \(line \d+\): partners\.\d+\.id"):
        PartnerDirectory(path)
    result = CliRunner().invoke(app, ["run", "intake"], env={"FRONTDOOR_PARTNERS_FILE": str(path)})
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("intake cannot start: ")
    assert "partners.yaml (line" in line
