"""What the dashboard shows, read from the records database page by page.

Nothing of the history is held here: each page asks the records database (through a reader
the composition root hands over), and live pages are woken whenever the records service has
written something new. Ordering queues and counting time left are the only rules applied here.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from domain.cases import RAG_ORDER
from domain.policies import PolicyBook
from schemas.referral import Referral
from schemas.status import Outcome, StatusUpdate
from schemas.triage import Case, CaseState, ContactRecord, Decision, Proposal


class Reader(Protocol):
    """The records database's read side, as far as the dashboard needs it."""

    def live_cases(
        self, la: str, outcome: Outcome, now: datetime, most: int
    ) -> tuple[list[Case], int]:
        """The most urgent live cases on one queue, and how many there are."""
        ...

    def emergency_duty_cases(self, la: str) -> list[Case]:
        """The cases with the emergency duty team now."""
        ...

    def screening_cases(self, la: str | None, most: int) -> tuple[list[Case], int]:
        """The most urgent proposals waiting for a person, and how many there are."""
        ...

    def screening_counts(self, la: str, now: datetime) -> tuple[int, int]:
        """How many proposals wait for a person, and how many of them are overdue."""
        ...

    def screening_decisions(self, la: str, since: datetime) -> list[Decision]:
        """The screening decisions since ``since``."""
        ...

    def case(self, case_id: str) -> Case | None:
        """One case."""
        ...

    def cases_changed_since(self, la: str, since: datetime) -> list[Case]:
        """Cases of ``la`` changed since ``since``."""
        ...

    def decisions(self, case_ids: list[str]) -> dict[str, list[Decision]]:
        """Each case's audit trail."""
        ...

    def updates(self, contact_ids: list[str]) -> dict[str, list[StatusUpdate]]:
        """What each contact's referrer was told."""
        ...

    def referrals(self, contact_ids: list[str]) -> dict[str, Referral]:
        """Each contact's referral whole."""
        ...

    def queue_depth(self, la: str, moments: list[datetime]) -> list[tuple[datetime, int, int]]:
        """Cases on each queue at each moment."""
        ...

    def counts(self) -> dict[str, int]:
        """How much is recorded."""
        ...

    def change_mark(self) -> int:
        """Grows whenever something new is recorded."""
        ...


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One case as a queue shows it."""

    case: Case
    hours_left: float
    overdue: bool
    sources: list[str]
    pending_matches: int


@dataclass(frozen=True, slots=True)
class Queue:
    """The most urgent cases of a queue, and how many it holds."""

    rows: list[QueueRow]
    total: int


@dataclass(frozen=True, slots=True)
class ScreeningRow:
    """One proposal as the screening page shows it: what the policy proposes, and why."""

    case: Case
    proposal: Proposal
    hours_left: float
    overdue: bool
    waiting: list[ContactRecord]  # the contacts this decision is about


@dataclass(frozen=True, slots=True)
class Screening:
    """The proposals waiting for a person: the most urgent, how many, how many overdue."""

    rows: list[ScreeningRow]
    total: int
    overdue: int


SHOWN = 200  # a duty manager works from the top; search finds the rest


@dataclass
class DashboardView:
    """The dashboard's pages' data, and who is watching for changes."""

    reader: Reader
    policies: PolicyBook
    _watchers: dict[str, set[asyncio.Event]] = field(default_factory=lambda: defaultdict(set))

    def queue(self, la: str, outcome: Outcome, now: datetime) -> Queue:
        """A team's open cases, most urgent first: overdue, then by RAG, then by time left.

        A page shows the :data:`SHOWN` most urgent; the count is of them all.
        """
        cases, total = self.reader.live_cases(la, outcome, now, SHOWN)
        return self._rows(cases, total, now)

    def screening(self, la: str, now: datetime) -> Screening:
        """The council's proposals waiting for a person: red first, then by due time."""
        cases, _ = self.reader.screening_cases(la, SHOWN)
        rows = []
        for case in cases:
            proposal = case.proposal
            if proposal is None:  # screened since the query: gone from the queue
                continue
            policy = self.policies.for_la(case.local_authority)
            rows.append(
                ScreeningRow(
                    case=case,
                    proposal=proposal,
                    hours_left=policy.hours_left(proposal.level, proposal.due, now),
                    overdue=proposal.due <= now,
                    waiting=[c for c in case.contacts if c.contact_id in proposal.contact_ids],
                )
            )
        return Screening(rows, *self.reader.screening_counts(la, now))

    def emergency_duty(self, la: str, now: datetime) -> Queue:
        """Red cases received out of office hours that the emergency duty team has now."""
        cases = self.reader.emergency_duty_cases(la)
        return self._rows(cases, len(cases), now)

    def _rows(self, cases: list[Case], total: int, now: datetime) -> Queue:
        rows = []
        for case in cases:
            hours_left = self.hours_left(case, now)
            rows.append(
                QueueRow(
                    case=case,
                    hours_left=hours_left,
                    overdue=case.decision_due <= now and case.state is CaseState.OPEN,
                    sources=sorted({c.organisation_id for c in case.contacts}),
                    pending_matches=sum(1 for m in case.possible_matches if m.status == "pending"),
                )
            )
        rows.sort(key=lambda r: (not r.overdue, RAG_ORDER[r.case.rag], r.hours_left))
        return Queue(rows, total)

    def hours_left(self, case: Case, now: datetime) -> float:
        """Hours until the case's decision is due, on the clock of its level.

        Elapsed for red (it runs round the clock); working time on its council's calendar for
        the others.
        """
        policy = self.policies.for_la(case.local_authority)
        return policy.hours_left(case.level, case.decision_due, now)

    def watch(self, la: str) -> asyncio.Event:
        """An event set whenever anything about ``la`` may have changed (:meth:`unwatch` after)."""
        event = asyncio.Event()
        self._watchers[la].add(event)
        return event

    def unwatch(self, la: str, event: asyncio.Event) -> None:
        """Stop waking ``event``."""
        self._watchers[la].discard(event)

    def changed(self) -> None:
        """Something new was recorded: wake every live page to fetch again."""
        for events in self._watchers.values():
            for event in events:
                event.set()
