"""What a crash-free run decides: the yardstick of the crash, scale-out and fault tests."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from domain.policies import PolicyBook
from domain.policy import load_policy
from runtime.partners import load_registry
from schemas.checks import ReceivedAnswer
from schemas.intake import AcceptedReferral, Origin
from services.triage.checks import from_registry
from services.triage.engine import Effects, TriageEngine


def place(origin: Origin) -> tuple[str, int, int]:
    """An origin as a key."""
    return (origin.topic, origin.partition, origin.offset)


def replay(
    accepted_records: list[Any],
    answer_records: list[Any] = (),  # type: ignore[assignment]
    order: dict[tuple[str, int, int], int] | None = None,
) -> Effects:
    """A fresh engine per partition, reading each partition's inputs once.

    Referrals alone are read in offset order. With partners' answers (``checks.received``),
    which triage reads beside the referrals, ``order`` gives the place of each input (by the
    origin its decision names) in the order triage read them.
    """
    by_partition = defaultdict(list)
    for record in [*accepted_records, *answer_records]:
        by_partition[record.partition].append(record)
    expected = Effects()
    registry = load_registry()  # as the triage service reads it: the same partners are asked
    answers = {id(r) for r in answer_records}
    for partition, records in sorted(by_partition.items()):
        engine = TriageEngine(PolicyBook.single(load_policy()), from_registry(lambda: registry))
        inputs = [
            ReceivedAnswer.model_validate_json(r.value)
            if id(r) in answers
            else AcceptedReferral.model_validate_json(r.value)
            for r in sorted(records, key=lambda r: r.offset)
        ]
        if order is not None:
            inputs.sort(key=lambda i: order[place(i.origin)])
        for read in inputs:
            if isinstance(read, ReceivedAnswer):
                expected.extend(engine.on_check_answer(read, partition))
            else:
                expected.extend(engine.on_referral(read, partition))
    return expected
