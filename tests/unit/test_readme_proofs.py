"""The "proved by" tables (docs/guarantees.md, docs/operating.md) name tests that exist (issue 32:
a row once named a test module that never existed, so nothing proved what it claimed). Every row
of each table names at least one test module, and every test module the README or docs/ names is
in tests/. And the README as a front page (issue 39): short, every heading it once had is found
in it or in docs/, and every picture and page it links to is there."""

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


DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_every_proof_row_names_a_test_module_that_exists() -> None:
    rows = [row for document in DOCUMENTS for row in proof_rows(document.read_text())]
    assert len(rows) >= 35  # the two tables: security (docs/operating.md), guarantees
    for row in rows:
        proved_by = row.rstrip(" |").rsplit("|", 1)[-1]
        named = NAMED.findall(proved_by)
        assert named, f"a row proves nothing by name: {row[:80]}"
        assert not [n for n in named if missing(n)], f"{row[:60]}: {named}"


def test_every_test_module_the_documents_name_exists() -> None:
    gone = {
        (document.name, named)
        for document in DOCUMENTS
        for named in NAMED.findall(document.read_text())
        if missing(named)
    }
    assert gone == set()


def test_a_row_naming_a_test_that_never_existed_is_caught() -> None:
    row = "| a promise | how | `tests/integration/test_gateway_kafka.py` |"
    (named,) = NAMED.findall(row)
    assert missing(named)
    assert proof_rows(f"| promise | how | proved by |\n|---|---|---|\n{row}\n") == [row]


# The README's headings before it became a front page (3 December's 933 lines): each section
# moved whole into docs/, under the same heading (or as a page's title).
HEADINGS_BEFORE = [
    "Front Door",
    "Two commands",
    "Architecture in brief",
    "Where things are",
    "For partner agencies",
    "Webhooks",
    "Referring without Kafka: the API and the forms",
    "Partner checks: asking what every agency knows",
    "Operation Encompass: police notices to the child's school",
    "Security: who may do what on the broker",
    "The dashboard",
    "How triage decides",
    "The command line",
    "Configuration",
    "Using an existing Kafka cluster",
    "With Docker",
    "Speed and scale",
    "The read side after years",
    "Triage after years",
    "Beyond one machine",
    "Operating Front Door",
    "What is guaranteed, and the test that proves it",
    "Tests",
]


def headings(text: str) -> set[str]:
    """Every Markdown heading of ``text`` (outside code blocks), without its #s."""
    found, code = set(), False
    for line in text.splitlines():
        if line.startswith("```"):
            code = not code
        elif not code and re.match(r"#{1,6} ", line):
            found.add(line.lstrip("#").strip())
    return found


def test_no_section_of_the_old_readme_was_lost() -> None:
    held = set().union(*(headings(document.read_text()) for document in DOCUMENTS))
    assert [h for h in HEADINGS_BEFORE if h not in held] == []


def test_the_readme_is_a_front_page_whose_links_and_pictures_are_there() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    linked = re.findall(r"\]\(((?:docs/)[^)#]+)", readme)
    assert {"docs/partners.md", "docs/duty-managers.md", "docs/operating.md"} <= set(linked)
    assert {"docs/guarantees.md", "docs/benchmarks.md"} <= set(linked)
    assert [path for path in linked if not (ROOT / path).exists()] == []
    assert any(path.startswith("docs/img/") for path in linked)


def test_a_missing_heading_is_caught() -> None:
    assert "Tests" not in headings("```\n## Tests\n```\n## Other")
