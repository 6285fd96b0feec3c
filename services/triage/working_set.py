"""Triage's working set: the cases of the partitions this process owns, small in memory.

Each case is kept as its JSON (what ``triage.cases`` holds, about a tenth of a parsed model's
size), compressed once the case is closed or merged: closed cases are most of what the look-back
window holds and rarely change, while a live case changes with every contact and action, so
compressing it on each save would cost CPU (about a tenth of triage's) to save little memory.
Beside it, a :class:`Brief` of the few facts the clock reads for every case on every
tick (state, due time, when it last changed); the matching index and the contact ids find the
few cases a referral needs, and only those are parsed. The last few parsed cases are cached, as
a case is usually read again soon after it changed.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from schemas.status import Outcome
from schemas.triage import Case, CaseState, Rag
from services.triage.matching import CaseIndex

PARSED_KEPT = 64


@dataclass(slots=True)
class Brief:
    """What the clock needs to know of a case without parsing it."""

    local_authority: str
    partition: int
    state: CaseState
    merged: bool
    decision_due: datetime
    overdue_since: datetime | None
    settled_at: datetime  # when it last changed, or its newest contact's receipt if later
    next_check_at: datetime | None = None  # when a partner check is next reminded or overdue
    outcome: Outcome = Outcome.NO_FURTHER_ACTION  # for the metrics: which queue
    rag: Rag = Rag.BLUE
    open_checks: tuple[tuple[str, datetime], ...] = ()  # (partner, due) of each open check
    screening_due: datetime | None = None  # a proposal waits for a person until then
    screening_flagged: bool = False  # ... and its due time has passed (flagged overdue)
    held: bool = False  # on no team's queue: its proposal of early help or NFA waits

    @classmethod
    def of(cls, case: Case, partition: int) -> Brief:
        """The brief of ``case``."""
        newest = max((c.received_at for c in case.contacts), default=case.updated_at)
        return cls(
            local_authority=case.local_authority,
            partition=partition,
            state=case.state,
            merged=case.merged_into is not None,
            decision_due=case.decision_due,
            overdue_since=case.overdue_since,
            settled_at=max(case.updated_at, newest),
            next_check_at=min(
                (at for c in case.checks if (at := c.next_tick()) is not None), default=None
            ),
            outcome=case.outcome,
            rag=case.rag,
            open_checks=tuple((c.organisation_id, c.due) for c in case.checks if c.is_open),
            screening_due=case.proposal.due if case.proposal is not None else None,
            screening_flagged=case.proposal is not None and case.proposal.overdue_since is not None,
            held=case.held,
        )


class WorkingSet(Mapping[str, Case]):
    """The cases triage holds, by case id, with the indexes that find them."""

    def __init__(self) -> None:
        """An empty working set."""
        self.briefs: dict[str, Brief] = {}
        self.contact_case: dict[str, str] = {}
        self.check_case: dict[str, str] = {}  # request id -> case id
        self.indexes: dict[str, CaseIndex] = defaultdict(CaseIndex)
        self._packed: dict[str, bytes] = {}
        self._parsed: OrderedDict[str, Case] = OrderedDict()

    def __getitem__(self, case_id: str) -> Case:
        """The case, parsed (the last few parsed are kept)."""
        case = self._parsed.get(case_id)
        if case is None:
            case = Case.model_validate_json(_unpacked(self._packed[case_id]))
            self._keep(case)
        else:
            self._parsed.move_to_end(case_id)
        return case

    def __iter__(self) -> Iterator[str]:
        """Case ids."""
        return iter(self.briefs)

    def __len__(self) -> int:
        """How many cases are held."""
        return len(self.briefs)

    def put(self, case: Case, partition: int, json: bytes | None = None) -> None:
        """Hold ``case`` (given as its JSON too, if already serialised) as the current state."""
        self.drop(case.case_id)
        json = json or case.model_dump_json().encode()
        live = case.state is not CaseState.CLOSED and case.merged_into is None
        self._packed[case.case_id] = json if live else zlib.compress(json, 1)
        self.briefs[case.case_id] = Brief.of(case, partition)
        self._keep(case)
        for check in case.checks:
            self.check_case[check.request_id] = case.case_id
        if case.merged_into is not None:
            return  # its contacts now live on the case it was merged into
        index = self.indexes[case.local_authority]
        for contact in case.contacts:
            self.contact_case[contact.contact_id] = case.case_id
            index.add(case.case_id, contact.child)

    def drop(self, case_id: str, *, contacts: bool = True) -> None:
        """Stop holding a case (retired, or its partition went to another process)."""
        if case_id not in self.briefs:
            return
        case = self[case_id] if contacts else None
        brief = self.briefs.pop(case_id)
        del self._packed[case_id]
        self._parsed.pop(case_id, None)
        self.indexes[brief.local_authority].remove(case_id)
        for contact in case.contacts if case else ():
            if self.contact_case.get(contact.contact_id) == case_id:
                del self.contact_case[contact.contact_id]
        for check in case.checks if case else ():
            if self.check_case.get(check.request_id) == case_id:
                del self.check_case[check.request_id]

    def partitions(self) -> set[int]:
        """The partitions whose cases are held."""
        return {brief.partition for brief in self.briefs.values()}

    def forget_partition(self, partition: int) -> None:
        """Drop the cases of a partition this process no longer owns."""
        gone = {c for c, b in self.briefs.items() if b.partition == partition}
        for case_id in gone:
            self.drop(case_id, contacts=False)
        self.contact_case = {k: c for k, c in self.contact_case.items() if c not in gone}
        self.check_case = {k: c for k, c in self.check_case.items() if c not in gone}

    def packed_bytes(self) -> int:
        """The size of every case held, as held (for the benchmark)."""
        return sum(map(len, self._packed.values()))

    def _keep(self, case: Case) -> None:
        self._parsed[case.case_id] = case
        self._parsed.move_to_end(case.case_id)
        while len(self._parsed) > PARSED_KEPT:
            self._parsed.popitem(last=False)


def _unpacked(packed: bytes) -> bytes:
    """A held case's JSON: as it was (a live case's JSON object) or decompressed."""
    return packed if packed.startswith(b"{") else zlib.decompress(packed)
