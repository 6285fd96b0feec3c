"""The dashboard's own view of the front door, built from the topics it reads.

Cases (``triage.cases``), decisions (``triage.decisions``) and referrers' updates
(``status.<org>``) are folded into memory as they arrive; pages and charts read from here.
Every change wakes the pages watching that local authority.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from domain.cases import QUEUES, RAG_ORDER, is_queued
from domain.policies import PolicyBook
from schemas.status import Outcome, StatusUpdate
from schemas.triage import Case, CaseState, Decision


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One case as a queue shows it."""

    case: Case
    hours_left: float
    overdue: bool
    sources: list[str]
    pending_matches: int


@dataclass
class DashboardView:
    """Everything the dashboard shows, kept current by the feed."""

    policies: PolicyBook
    cases: dict[str, Case] = field(default_factory=dict)
    decisions: dict[str, list[Decision]] = field(default_factory=lambda: defaultdict(list))
    updates: dict[str, list[StatusUpdate]] = field(default_factory=lambda: defaultdict(list))
    depth: dict[str, list[tuple[datetime, int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    contact_case: dict[str, str] = field(default_factory=dict)
    open_counts: Counter[tuple[str, Outcome]] = field(default_factory=Counter)
    _watchers: dict[str, set[asyncio.Event]] = field(default_factory=lambda: defaultdict(set))

    def apply_case(self, case: Case) -> None:
        """Take the newest version of a case."""
        current = self.cases.get(case.case_id)
        if current is not None and current.version >= case.version:
            return
        self.cases[case.case_id] = case
        if case.merged_into is None:
            for contact in case.contacts:
                self.contact_case[contact.contact_id] = case.case_id
        # Queue depths are kept as counts, so a restore of many cases stays linear.
        if current is not None and is_queued(current):
            self.open_counts[current.local_authority, current.outcome] -= 1
        if is_queued(case):
            self.open_counts[case.local_authority, case.outcome] += 1
        ea, eh = (self.open_counts[case.local_authority, outcome] for outcome in QUEUES)
        series = self.depth[case.local_authority]
        if not series or (series[-1][1], series[-1][2]) != (ea, eh):
            series.append((case.updated_at, ea, eh))
        self._wake(case.local_authority)

    def apply_decision(self, decision: Decision) -> None:
        """Add an entry of the audit trail."""
        known = self.decisions[decision.case_id or ""]
        if all(d.decision_id != decision.decision_id for d in known):
            known.append(decision)
            self._wake(decision.local_authority)

    def apply_update(self, update: StatusUpdate) -> None:
        """Add an update a referrer received."""
        self.updates[update.contact_id].append(update)
        case_id = self.contact_case.get(update.contact_id)
        if case_id is not None:
            self._wake(self.cases[case_id].local_authority)

    def _open(self, la: str, outcome: Outcome) -> list[Case]:
        return [
            c
            for c in self.cases.values()
            if c.local_authority == la and c.outcome is outcome and is_queued(c)
        ]

    def queue(self, la: str, outcome: Outcome, now: datetime) -> list[QueueRow]:
        """A team's open cases, most urgent first: overdue, then by RAG, then by time left."""
        rows = []
        for case in self._open(la, outcome):
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
        return rows

    def hours_left(self, case: Case, now: datetime) -> float:
        """Working hours until the case's decision is due, on its council's calendar."""
        return self.policies.for_la(case.local_authority).clock.hours_between(
            now, case.decision_due
        )

    def watch(self, la: str) -> asyncio.Event:
        """An event set whenever anything about ``la`` changes (call :meth:`unwatch` after)."""
        event = asyncio.Event()
        self._watchers[la].add(event)
        return event

    def unwatch(self, la: str, event: asyncio.Event) -> None:
        """Stop waking ``event``."""
        self._watchers[la].discard(event)

    def _wake(self, la: str) -> None:
        for event in self._watchers[la]:
            event.set()
