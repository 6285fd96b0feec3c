"""In-memory stand-ins for the seams: a consumed record without a broker."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from typing import Any

import yaml

from domain.policies import PolicyBook
from domain.policy import DEFAULT_POLICY, Policy

_offsets = count()


@dataclass(frozen=True)
class FakeRecord:
    """What a handler reads of a Kafka record; offsets increase as records are made."""

    topic: str
    value: bytes | None
    key: bytes | None = None
    partition: int = 0
    offset: int = -1
    headers: tuple[tuple[str, bytes], ...] = ()

    def __post_init__(self) -> None:
        if self.offset < 0:
            object.__setattr__(self, "offset", next(_offsets))


def policy_with(**changes: Any) -> Policy:
    """The default policy with some top-level fields changed (e.g. its calendar)."""
    document = yaml.safe_load(DEFAULT_POLICY.read_text())
    return Policy.model_validate({**document, **changes})


def book(**by_la: Policy) -> PolicyBook:
    """The default policy for every council but those given as ``la_808=...``."""
    return PolicyBook(
        policy_with(), {la.removeprefix("la_"): policy for la, policy in by_la.items()}
    )
