"""The demo's simulated partners answer checks as real ones do, and always validly."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from domain.validation import validate_answer
from frontdoor.simulator.checks import IN_TIME, LATE, NEVER, answer_for, plan
from schemas.checks import CheckAnswer

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


def test_the_same_request_always_gets_the_same_plan_and_the_mix_is_as_stated() -> None:
    ids = [f"chk-808-{n:020x}" for n in range(2000)]
    assert [plan(i, 100.0) for i in ids] == [plan(i, 100.0) for i in ids]
    behaviours = Counter(plan(i, 100.0).behaviour for i in ids)
    assert abs(behaviours[IN_TIME] / 2000 - 0.6) < 0.05
    assert abs(behaviours[LATE] / 2000 - 0.2) < 0.05
    assert abs(behaviours[NEVER] / 2000 - 0.2) < 0.05
    for request_id in ids[:200]:
        chosen = plan(request_id, 100.0)
        if chosen.behaviour == IN_TIME:
            assert chosen.delay_s < 100.0
        if chosen.behaviour == LATE:
            assert chosen.delay_s > 100.0


def test_every_simulated_answer_is_a_valid_answer_v1() -> None:
    for n in range(300):
        request_id = f"chk-808-{n:020x}"
        for result in ("information", "no-trace", "declined"):
            verdict = validate_answer(answer_for(request_id, "police", result, NOW), now=NOW)
            assert isinstance(verdict, CheckAnswer), verdict
