"""What a crash-free run decides: the yardstick of the crash, scale-out and fault tests."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from domain.policies import PolicyBook
from domain.policy import load_policy
from runtime.partners import load_registry
from schemas.intake import AcceptedReferral
from services.triage.checks import from_registry
from services.triage.engine import Effects, TriageEngine


def replay(accepted_records: list[Any]) -> Effects:
    """A fresh engine per partition, reading each partition's referrals once, in order."""
    by_partition = defaultdict(list)
    for record in accepted_records:
        by_partition[record.partition].append(record)
    expected = Effects()
    registry = load_registry()  # as the triage service reads it: the same partners are asked
    for partition, records in sorted(by_partition.items()):
        engine = TriageEngine(PolicyBook.single(load_policy()), from_registry(lambda: registry))
        for record in sorted(records, key=lambda r: r.offset):
            expected.extend(
                engine.on_referral(AcceptedReferral.model_validate_json(record.value), partition)
            )
    return expected
