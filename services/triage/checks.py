"""Partner checks on a case (DOMAIN B, "Partner checks"): asked, chased, answered, withdrawn.

Pure functions of a case, the council's policy and its check-answering partners. Triage calls
:func:`synced` on every save of a case, so a case that reaches level 3 or 4 asks each partner
once in the transaction of the decision that raised it, and a case that falls below level 3 or
closes withdraws what is still open; :func:`chased` is the clock's part (a reminder at three
quarters of the time, overdue at the due time); :func:`answered` records one answer.

A request's id is made from the case, the organisation and the round (the how-many-th request
to that organisation on the case), so a replay or a restart writes the same request again,
never a second one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from domain.cases import is_live, known_child
from domain.policy import Policy
from schemas.checks import LAWFUL_BASIS, CheckAnswer, CheckMessageKind
from schemas.contact import uuid5_hex
from schemas.partners import PartnerRegistry
from schemas.triage import MAX_CHECKS_PER_CASE, Case, Check, CheckRequest, Level, RecordedAnswer

NAMESPACE = uuid.UUID("6f1d3c52-9a0e-4b8e-8f57-2c4a9d1e7b33")
REMIND_AT = 0.75  # of the time between asking and the due time
PURPOSES = {Level.ACUTE: "child protection enquiry"}
PURPOSE = "assessment of need"
FELL_BELOW = "the case fell below level 3 (complex): the check is no longer needed"
CLOSED = "the case was closed: the check is no longer needed"


@dataclass(frozen=True, slots=True)
class CheckPartner:
    """An organisation that answers a council's checks, and as which agency."""

    organisation_id: str
    agency: str


CheckPartners = Callable[[str], Sequence[CheckPartner]]


def from_registry(registry: Callable[[], PartnerRegistry]) -> CheckPartners:
    """The check partners the registry ``registry()`` gives, as it stands at each call."""

    def partners(local_authority: str) -> list[CheckPartner]:
        return [
            CheckPartner(p.id, p.checks.agency)
            for p in registry().check_partners(local_authority)
            if p.checks is not None
        ]

    return partners


def with_topics(partners: CheckPartners, has_topic: Callable[[str], bool]) -> CheckPartners:
    """Only those of ``partners`` whose requests topic exists (``has_topic(organisation id)``).

    Writing to a topic that does not exist would hold triage's transaction until it did: a
    partner registered to answer checks before its topics were made is asked once they are.
    """

    def existing(local_authority: str) -> list[CheckPartner]:
        return [p for p in partners(local_authority) if has_topic(p.organisation_id)]

    return existing


def no_partners(local_authority: str) -> Sequence[CheckPartner]:
    """No organisation answers checks (a deployment without any registered)."""
    del local_authority
    return ()


@dataclass
class CheckChanges:
    """What happened to a case's checks: the new list and the messages to send partners."""

    checks: list[Check]
    messages: list[tuple[str, CheckRequest]] = field(default_factory=list)
    asked: list[Check] = field(default_factory=list)
    withdrawn: list[Check] = field(default_factory=list)
    reminded: list[Check] = field(default_factory=list)
    overdue: list[Check] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether any check changed."""
        return bool(self.asked or self.withdrawn or self.reminded or self.overdue)


def request_id(case: Case, organisation_id: str, round_: int) -> str:
    """The id of the ``round_``-th request to ``organisation_id`` on ``case``."""
    digest = uuid5_hex(NAMESPACE, f"{case.case_id}\x1f{organisation_id}\x1f{round_}")[:20]
    return f"chk-{case.local_authority}-{digest}"


def ask(
    case: Case,
    partner: CheckPartner,
    at: datetime,
    policy: Policy,
    asked_by: str,
) -> Check:
    """A new check of ``partner`` on ``case``, due by the policy's time for the case's level."""
    round_ = 1 + sum(c.organisation_id == partner.organisation_id for c in case.checks)
    # a manager may ask at any level: level 1 has no checks time of its own, so level 2's
    due = policy.checks_due(case.level, at) or policy.checks_due(Level.ADDITIONAL, at) or at
    return Check(
        request_id=request_id(case, partner.organisation_id, round_),
        organisation_id=partner.organisation_id,
        agency=partner.agency,
        round=round_,
        purpose=PURPOSES.get(case.level, PURPOSE),
        lawful_basis=LAWFUL_BASIS,
        rag=case.rag,
        asked_by=asked_by,
        asked_at=at,
        due=due,
        remind_at=at + (due - at) * REMIND_AT,
    )


def message(case: Case, check: Check, kind: CheckMessageKind, at: datetime) -> CheckRequest:
    """What ``check``'s partner is sent: the request itself, a reminder, or its withdrawal."""
    return CheckRequest(
        kind=kind,
        request_id=check.request_id,
        case_ref=case.case_id,
        local_authority=case.local_authority,
        rag=check.rag,
        purpose=check.purpose,
        lawful_basis=check.lawful_basis,
        asked_at=check.asked_at,
        due=check.due,
        child=known_child(case),
        sent_at=at,
        withdrawn_reason=check.withdrawn_reason,
    )


def synced(
    case: Case,
    at: datetime,
    partners: Sequence[CheckPartner],
    policy: Policy,
) -> CheckChanges:
    """The checks ``case`` should have at ``at``, as it now stands.

    Live at level 3 or 4: every check partner without an open or answered check is asked.
    Below level 3, the policy's open checks are withdrawn (a manager's stay); closed or merged,
    every open check is.
    """
    changes = CheckChanges(list(case.checks))
    live = is_live(case)
    if live and case.level >= Level.COMPLEX:
        held = {c.organisation_id for c in case.checks if c.answer is not None or c.is_open}
        for partner in partners:
            if partner.organisation_id not in held:
                check = ask(case, partner, at, policy, f"policy:{policy.version}")
                _asked(changes, case, check, at)
        return changes
    for index, check in enumerate(changes.checks):
        by_policy = check.asked_by.startswith("policy:")
        if check.is_open and (not live or by_policy):
            gone = check.model_copy(
                update={"withdrawn_at": at, "withdrawn_reason": CLOSED if not live else FELL_BELOW}
            )
            changes.checks[index] = gone
            changes.withdrawn.append(gone)
            changes.messages.append(
                (gone.organisation_id, message(case, gone, CheckMessageKind.WITHDRAWN, at))
            )
    return changes


def asked_by_manager(
    case: Case,
    at: datetime,
    partners: Sequence[CheckPartner],
    policy: Policy,
    manager: str,
) -> CheckChanges:
    """A duty manager asks every check partner without an open check on ``case``."""
    changes = CheckChanges(list(case.checks))
    open_now = {c.organisation_id for c in case.checks if c.is_open}
    for partner in partners:
        if partner.organisation_id not in open_now:
            asked_case = case.model_copy(update={"checks": changes.checks})
            _asked(changes, case, ask(asked_case, partner, at, policy, manager), at)
    return changes


def _asked(changes: CheckChanges, case: Case, check: Check, at: datetime) -> None:
    if len(changes.checks) >= MAX_CHECKS_PER_CASE:
        return  # a case is bounded (schemas.triage): no more rounds of checks on this one
    changes.checks.append(check)
    changes.asked.append(check)
    changes.messages.append(
        (check.organisation_id, message(case, check, CheckMessageKind.REQUEST, at))
    )


def chased(case: Case, now: datetime) -> CheckChanges:
    """Reminders due (three quarters of the time gone) and checks now overdue, at ``now``."""
    changes = CheckChanges(list(case.checks))
    for index, check in enumerate(case.checks):
        if not check.is_open or check.overdue_at is not None:
            continue
        if now >= check.due:
            late = check.model_copy(update={"overdue_at": now})
            changes.checks[index] = late
            changes.overdue.append(late)
        elif now >= check.remind_at and check.reminded_at is None:
            reminded = check.model_copy(update={"reminded_at": now})
            changes.checks[index] = reminded
            changes.reminded.append(reminded)
            changes.messages.append(
                (check.organisation_id, message(case, reminded, CheckMessageKind.REMINDER, now))
            )
    return changes


class AnswerRefusedError(ValueError):
    """An answer that cannot be recorded, and why (said to the partner)."""


NO_SUCH_REQUEST = "no open request with this id was sent to your organisation"


def answered(
    case: Case | None,
    organisation_id: str,
    answer: CheckAnswer,
    received_at: datetime,
) -> tuple[list[Check], Check]:
    """``case``'s checks with ``answer`` recorded, and the answered check.

    Raises :class:`AnswerRefusedError` for a request unknown, of another organisation (the same
    words: neither says whether such a request exists), answered already, or withdrawn.
    """
    held = case.checks if case is not None else []
    check = next((c for c in held if c.request_id == answer.request_id), None)
    if case is None or check is None or check.organisation_id != organisation_id:
        raise AnswerRefusedError(NO_SUCH_REQUEST)
    if check.answer is not None:
        raise AnswerRefusedError(
            "this request was answered already, at "
            f"{check.answer.received_at.isoformat(timespec='seconds')}; a second answer is "
            "refused (tell the council's front door by telephone if the first was wrong)"
        )
    if check.withdrawn_at is not None:
        raise AnswerRefusedError(
            f"this request was withdrawn at {check.withdrawn_at.isoformat(timespec='seconds')}: "
            "no answer is needed"
        )
    done = check.model_copy(update={"answer": RecordedAnswer.of(answer, received_at, check.due)})
    return [done if c.request_id == check.request_id else c for c in case.checks], done
