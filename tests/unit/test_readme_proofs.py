"""The README's "proved by" tables name tests that exist (issue 32: a row once named a test module
that never existed, so nothing proved what it claimed). Every row of each table names at least
one test module, and every test module the README or docs/ names is in tests/."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAMED = re.compile(r"`((?:tests/[\w/]+/)?test_\w+\.py)")
TEST_FILES = {path.relative_to(ROOT).as_posix() for path in (ROOT / "tests").rglob("test_*.py")}
BASE_NAMES = {Path(path).name for path in TEST_FILES}


def proof_rows(text: str) -> list[str]:
    """The body rows of every table whose last column is "proved by"."""
    rows: list[str] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("|") and line.rstrip().endswith("proved by |"):
            inside = True
        elif inside and line.startswith("|---"):
            continue
        elif inside and line.startswith("|"):
            rows.append(line)
        else:
            inside = False
    return rows


def missing(named: str) -> bool:
    return named not in TEST_FILES if "/" in named else named not in BASE_NAMES


def test_every_proof_row_names_a_test_module_that_exists() -> None:
    rows = proof_rows((ROOT / "README.md").read_text())
    assert len(rows) >= 25  # the two tables: security, then guarantees
    for row in rows:
        proved_by = row.rstrip(" |").rsplit("|", 1)[-1]
        named = NAMED.findall(proved_by)
        assert named, f"a row proves nothing by name: {row[:80]}"
        assert not [n for n in named if missing(n)], f"{row[:60]}: {named}"


def test_every_test_module_the_documents_name_exists() -> None:
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    gone = {
        (document.name, named)
        for document in documents
        for named in NAMED.findall(document.read_text())
        if missing(named)
    }
    assert gone == set()


def test_a_row_naming_a_test_that_never_existed_is_caught() -> None:
    row = "| a promise | how | `tests/integration/test_gateway_kafka.py` |"
    (named,) = NAMED.findall(row)
    assert missing(named)
    assert proof_rows(f"| promise | how | proved by |\n|---|---|---|\n{row}\n") == [row]
