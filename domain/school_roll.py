"""The council's school roll: which school a child attends, for Operation Encompass.

A nightly file from the council's education system (CSV: ``upn``, ``given_name``,
``family_name``, ``date_of_birth``, ``urn``). A notice's child is found by UPN, else by the
name-and-birthday rule identity matching uses (the same date of birth, and family and given
names alike by :mod:`domain.names`: Jayden/Jaden, Katie/Katy). Two pupils who both fit, at
different schools, find no school: a person at the council decides.

Errors name the line and the column, never a value: the file is about children.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from domain.names import NameLikeness, family_likeness, name_likeness
from schemas.identifiers import normalise_upn
from schemas.yaml_files import ConfigFileError

SIX_DIGITS = re.compile(r"[0-9]{6}")
COLUMNS = ("upn", "given_name", "family_name", "date_of_birth", "urn")


class Pupil(BaseModel):
    """One line of the roll."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    upn: str | None
    given_name: str
    family_name: str
    date_of_birth: date
    urn: str = Field(pattern=r"^\d{6}$")


class SchoolRoll(BaseModel):
    """Every pupil on the roll, looked up by UPN and by date of birth."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pupils: tuple[Pupil, ...] = ()
    _by_upn: dict[str, str] = PrivateAttr(default_factory=dict)
    _by_birthday: dict[date, list[Pupil]] = PrivateAttr(default_factory=dict)

    def model_post_init(self, _context: object) -> None:
        """Index the pupils once."""
        by_birthday: defaultdict[date, list[Pupil]] = defaultdict(list)
        for pupil in self.pupils:
            if pupil.upn:
                self._by_upn[pupil.upn] = pupil.urn
            by_birthday[pupil.date_of_birth].append(pupil)
        self._by_birthday = dict(by_birthday)

    def school_of(
        self, given_name: str, family_name: str, date_of_birth: date, upn: str | None = None
    ) -> str | None:
        """The URN of the child's school; None if no pupil fits, or pupils at two schools do."""
        if upn and upn in self._by_upn:
            return self._by_upn[upn]
        schools = {
            pupil.urn
            for pupil in self._by_birthday.get(date_of_birth, [])
            if family_likeness(pupil.family_name, family_name) == NameLikeness.SAME
            and name_likeness(pupil.given_name, given_name) == NameLikeness.SAME
        }
        return schools.pop() if len(schools) == 1 else None


def parse_roll(text: str, source: str = "school roll") -> SchoolRoll:
    """The roll in ``text``; :class:`ConfigFileError` naming the line and column at fault."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or set(COLUMNS) - set(reader.fieldnames):
        missing = sorted(set(COLUMNS) - set(reader.fieldnames or ()))
        raise ConfigFileError(f"{source}: line 1: missing columns {', '.join(missing)}")
    pupils: list[Pupil] = []
    try:
        pupils.extend(_pupil(row, f"{source}: line {reader.line_num}") for row in reader)
    except csv.Error as error:  # a field over csv's limit (128 KiB), a NUL, a broken quote
        why = "a field is too long" if "larger than field limit" in str(error) else "not CSV"
        raise ConfigFileError(f"{source}: line {reader.line_num + 1}: {why}") from None
    return SchoolRoll(pupils=tuple(pupils))


def _pupil(row: dict[str, str], where: str) -> Pupil:
    def cell(column: str) -> str:
        return (row.get(column) or "").strip()

    for column in ("given_name", "family_name", "date_of_birth", "urn"):
        if not cell(column):
            raise ConfigFileError(f"{where}: {column} is empty")
    try:
        born = date.fromisoformat(cell("date_of_birth"))
    except ValueError:
        raise ConfigFileError(f"{where}: date_of_birth is not a date (YYYY-MM-DD)") from None
    urn = cell("urn")
    if not SIX_DIGITS.fullmatch(urn):  # not str.isdigit: "12345²" is digits to it
        raise ConfigFileError(f"{where}: urn is not a six-digit URN")
    upn = None
    if cell("upn"):
        try:
            upn = normalise_upn(cell("upn"))
        except ValueError:
            raise ConfigFileError(f"{where}: upn is not a UPN") from None
    try:
        return Pupil(
            upn=upn,
            given_name=cell("given_name"),
            family_name=cell("family_name"),
            date_of_birth=born,
            urn=urn,
        )
    except ValidationError as error:  # whatever else a pupil must be: named, never repeated
        fields = ", ".join(sorted({str(e["loc"][0]) for e in error.errors() if e["loc"]}))
        raise ConfigFileError(f"{where}: {fields or 'the row'} is not valid") from None


def load_roll(path: Path, _model: type[SchoolRoll] = SchoolRoll) -> SchoolRoll:
    """The roll in the file at ``path`` (for :class:`runtime.watched_file.WatchedFile`)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise ConfigFileError(f"{path}: cannot be read ({reason})") from None
    return parse_roll(text, str(path))
