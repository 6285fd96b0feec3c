"""How alike two names are: the one rule for spelling variants, for matching and for search.

Names are compared with a phonetic code (jellyfish's Metaphone) and Jaro-Winkler similarity
(rapidfuzz): both must agree for a "same name" (Jayden/Jaden, Mohammed/Muhammad, Katie/Katy);
Jaro-Winkler alone makes a name only "alike", which is enough for a possible match and never
for a link. Triage's identity matching and the records search both use these.
"""

from __future__ import annotations

import re
import unicodedata
from enum import IntEnum
from functools import lru_cache

import jellyfish
from rapidfuzz.distance import JaroWinkler

SAME_NAME_SIMILARITY = 0.80
ALIKE_NAME_SIMILARITY = 0.84


class NameLikeness(IntEnum):
    """How alike two names are."""

    DIFFERENT = 0
    ALIKE = 1  # similar spelling only: enough to ask a person, never to link
    SAME = 2  # equal, or a spelling variant that also sounds the same


NAMES_REMEMBERED = 8192  # names recur (a family, a school roll): each is normalised once


@lru_cache(maxsize=NAMES_REMEMBERED)
def normal(name: str) -> str:
    """Lower case, no accents, letters and spaces only."""
    decomposed = unicodedata.normalize("NFKD", name)
    return re.sub(
        r"[^a-z ]", "", "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    )


def tokens(name: str) -> list[str]:
    """The parts of a (double-barrelled, hyphenated) name."""
    return [token for token in re.split(r"[\s-]+", normal(name.replace("-", " "))) if token]


@lru_cache(maxsize=NAMES_REMEMBERED)
def sound(name: str) -> str:
    """The Metaphone code of one name: how spelling variants are found quickly."""
    return str(jellyfish.metaphone(normal(name).replace(" ", "")))


def name_likeness(first: str | None, second: str | None) -> NameLikeness:
    """How alike two single names are (given names, or one token of a family name)."""
    if not first or not second:
        return NameLikeness.DIFFERENT
    a, b = normal(first).replace(" ", ""), normal(second).replace(" ", "")
    if not a or not b:
        return NameLikeness.DIFFERENT
    if a == b:
        return NameLikeness.SAME
    similarity = JaroWinkler.similarity(a, b)
    if similarity >= SAME_NAME_SIMILARITY and jellyfish.metaphone(a) == jellyfish.metaphone(b):
        return NameLikeness.SAME
    return NameLikeness.ALIKE if similarity >= ALIKE_NAME_SIMILARITY else NameLikeness.DIFFERENT


def family_likeness(first: str | None, second: str | None) -> NameLikeness:
    """Family names: double-barrelled or hyphenated names match on any shared part."""
    if not first or not second:
        return NameLikeness.DIFFERENT
    return max(
        (name_likeness(a, b) for a in tokens(first) for b in tokens(second)),
        default=NameLikeness.DIFFERENT,
    )
