"""What a crash-free run decides: the yardstick of the crash, scale-out and fault tests."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from domain.policies import PolicyBook
from domain.policy import load_policy
from runtime.partners import load_registry
from schemas.checks import ReceivedAnswer
from schemas.intake import AcceptedReferral, Origin
from schemas.triage import ManagerAction
from services.triage.actions import apply_action
from services.triage.checks import from_registry
from services.triage.engine import Effects, TriageEngine

Place = tuple[str, int, int] | tuple[str, str]  # an input's origin, or ("action", its id)


def place(origin: Origin) -> tuple[str, int, int]:
    """An origin as a key."""
    return (origin.topic, origin.partition, origin.offset)


def key_of(read: AcceptedReferral | ReceivedAnswer | ManagerAction) -> Place:
    """Where an input's place in the read order is found: its origin, or its action id."""
    if isinstance(read, ManagerAction):
        return ("action", read.action_id)
    return place(read.origin)


def replay(
    accepted_records: list[Any],
    answer_records: list[Any] = (),  # type: ignore[assignment]
    order: dict[Place, Any] | None = None,
    action_records: list[Any] = (),  # type: ignore[assignment]
) -> Effects:
    """A fresh engine per partition, reading each partition's inputs once.

    Referrals alone are read in offset order. With partners' answers (``checks.received``) or
    duty managers' actions (``triage.actions``), which triage reads beside the referrals,
    ``order`` gives the place of each input (by the origin or the action its decision names)
    in the order triage read them.
    """
    by_partition = defaultdict(list)
    for record in [*accepted_records, *answer_records, *action_records]:
        by_partition[record.partition].append(record)
    expected = Effects()
    registry = load_registry()  # as the triage service reads it: the same partners are asked
    answers = {id(r) for r in answer_records}
    actions = {id(r) for r in action_records}
    for partition, records in sorted(by_partition.items()):
        engine = TriageEngine(PolicyBook.single(load_policy()), from_registry(lambda: registry))
        inputs = [
            ReceivedAnswer.model_validate_json(r.value)
            if id(r) in answers
            else ManagerAction.model_validate_json(r.value)
            if id(r) in actions
            else AcceptedReferral.model_validate_json(r.value)
            for r in sorted(records, key=lambda r: r.offset)
        ]
        if order is not None:
            inputs.sort(key=lambda i: order[key_of(i)])
        for read in inputs:
            if isinstance(read, ManagerAction):
                expected.extend(apply_action(engine, read, partition))
            elif isinstance(read, ReceivedAnswer):
                expected.extend(engine.on_check_answer(read, partition))
            else:
                expected.extend(engine.on_referral(read, partition))
    return expected
