"""Default files travel inside the packages, so an installed wheel works outside the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DATA = (
    "domain/default_policy.yaml",
    "runtime/demo/partners.yaml",
    "runtime/demo/managers.yaml",
    "frontdoor/broker/kafka/pom.xml",
    "frontdoor/broker/kafka/log4j2.properties",
    "services/dashboard/templates/base.html",
    "services/dashboard/static/style.css",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            out,
            ROOT,
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("frontdoor-*.whl")
    return built


def test_the_wheel_carries_every_default_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(PACKAGE_DATA) <= names


def test_defaults_load_from_an_unpacked_wheel_away_from_the_checkout(
    wheel: Path, tmp_path: Path
) -> None:
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")  # -I below: no checkout on the path
    site = tmp_path / "site"
    probe = (
        f"import sys; sys.path.insert(0, {str(site)!r});"
        "import domain.policy as p, runtime.partners as r, runtime.demo as d;"
        "print(p.load_policy().version, len(r.load_registry().ids), d.DEMO_MANAGERS_FILE.exists(),"
        " p.DEFAULT_POLICY.is_relative_to(r'" + str(tmp_path) + "'))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    version, partners, managers, inside = result.stdout.split()
    assert version.startswith("default-")
    assert int(partners) > 0
    assert managers == "True"
    assert inside == "True"
