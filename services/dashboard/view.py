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

from domain.cases import RAG_ORDER, CaseLine, Said, ScreeningLine
from domain.policies import PolicyBook
from schemas.referral import Referral
from schemas.status import Outcome, StatusUpdate
from schemas.triage import Case, CaseState, Decision, Proposal


class Reader(Protocol):
    """The records database's read side, as far as the dashboard needs it."""

    def live_lines(
        self, la: str, outcome: Outcome, now: datetime, most: int
    ) -> tuple[list[CaseLine], int]:
        """The rows of the most urgent live cases on one queue, and how many there are."""
        ...

    def emergency_duty_lines(self, la: str) -> list[CaseLine]:
        """The rows of the cases with the emergency duty team now."""
        ...

    def screening_lines(self, la: str, most: int) -> tuple[list[ScreeningLine], int]:
        """The rows of the most urgent proposals waiting for a person, and how many."""
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

    line: CaseLine
    hours_left: float
    overdue: bool


@dataclass(frozen=True, slots=True)
class Queue:
    """The most urgent cases of a queue, and how many it holds."""

    rows: list[QueueRow]
    total: int


@dataclass(frozen=True, slots=True)
class ScreeningRow:
    """One proposal as the screening page shows it: what the policy proposes, and why."""

    line: CaseLine
    proposal: Proposal
    waiting: list[Said]  # what each contact this decision is about said
    screened_outcome: Outcome | None  # where a person has the case now, if anyone does
    screened_by: str | None
    hours_left: float
    overdue: bool


@dataclass(frozen=True, slots=True)
class Screening:
    """The proposals waiting for a person: the most urgent, how many, how many overdue."""

    rows: list[ScreeningRow]
    total: int
    overdue: int


SHOWN = 50  # a duty manager works from the top: "show more" shows more, search finds any
MOST_SHOWN = 1000


@dataclass
class DashboardView:
    """The dashboard's pages' data, and who is watching for changes."""

    reader: Reader
    policies: PolicyBook
    _watchers: dict[str, set[asyncio.Event]] = field(default_factory=lambda: defaultdict(set))

    def queue(self, la: str, outcome: Outcome, now: datetime, most: int = SHOWN) -> Queue:
        """A team's open cases, most urgent first: overdue, then by RAG, then by time left.

        A page shows the ``most`` most urgent (:data:`SHOWN` unless asked for more, up to
        :data:`MOST_SHOWN`); the count is of them all.
        """
        lines, total = self.reader.live_lines(la, outcome, now, min(most, MOST_SHOWN))
        return self._rows(lines, total, now)

    def screening(self, la: str, now: datetime, most: int = SHOWN) -> Screening:
        """The council's proposals waiting for a person: red first, then by due time."""
        lines, _ = self.reader.screening_lines(la, min(most, MOST_SHOWN))
        rows = []
        for row in lines:
            proposal = row.proposal
            policy = self.policies.for_la(row.line.local_authority)
            rows.append(
                ScreeningRow(
                    line=row.line,
                    proposal=proposal,
                    waiting=row.waiting,
                    screened_outcome=row.screened_outcome,
                    screened_by=row.screened_by,
                    hours_left=policy.hours_left(proposal.level, proposal.due, now),
                    overdue=proposal.due <= now,
                )
            )
        return Screening(rows, *self.reader.screening_counts(la, now))

    def emergency_duty(self, la: str, now: datetime) -> Queue:
        """Red cases received out of office hours that the emergency duty team has now."""
        lines = self.reader.emergency_duty_lines(la)
        return self._rows(lines, len(lines), now)

    def _rows(self, lines: list[CaseLine], total: int, now: datetime) -> Queue:
        rows = [
            QueueRow(
                line=line,
                hours_left=self.policies.for_la(line.local_authority).hours_left(
                    line.level, line.decision_due, now
                ),
                overdue=line.decision_due <= now and line.state is CaseState.OPEN,
            )
            for line in lines
        ]
        rows.sort(key=lambda r: (not r.overdue, RAG_ORDER[r.line.rag], r.hours_left))
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
