"""The triage core: what each accepted referral and each manager action does to the cases.

Pure and in memory: the service feeds it records and writes the effects it returns (cases,
queue items, decisions, status events, retirements) in one Kafka transaction with the consumed
offsets; ``frontdoor replay`` feeds it a file. Its whole state can be rebuilt from the cases it
emitted.

The working set is bounded (DESIGN.md section 8): a case closed longer ago than its policy's
look-back window is *settled*. Decisions never read a settled case (no contact of it is within
the window, and only live cases take new contacts), so a contact about its child, or even a late
amendment of one of its contacts, opens a new case. The clock then retires settled cases (a
tombstone and the final state to the archive) a margin later; whether a settled case has been
retired yet or not, every decision is the same.
"""

from __future__ import annotations

from datetime import datetime

from domain.cases import is_live
from schemas.intake import AcceptedReferral, Origin
from schemas.status import Status
from schemas.triage import (
    MAX_CONTACTS_PER_CASE,
    MAX_POSSIBLE_MATCHES,
    Case,
    CaseState,
    ContactRecord,
    DecisionKind,
    MatchKind,
    PossibleMatch,
)
from services.triage.assessment import child_identity, contact_record
from services.triage.check_answers import CheckAnswers
from services.triage.clock import RETIRE_BATCH, RETIRE_MARGIN, EngineClock
from services.triage.core import ID_NAMESPACE, Effects, EngineCore, _id, _Matches
from services.triage.matching import IdentityMatch, match_child

__all__ = [
    "ID_NAMESPACE",
    "RETIRE_BATCH",
    "RETIRE_MARGIN",
    "Effects",
    "EngineCore",
    "TriageEngine",
    "_id",
]

FULL_CASE = (
    f"the same child: their open case holds {MAX_CONTACTS_PER_CASE} contacts, as many as a case "
    "may, so this contact opened a case of its own"
)


class TriageEngine(EngineClock, CheckAnswers):
    """Holds the cases of the partitions this process owns and decides every input.

    Referrals are decided here; the clock, partner checks and the shared steps are in
    :mod:`services.triage.clock`, :mod:`services.triage.check_answers` and
    :mod:`services.triage.core`.
    """

    def on_referral(self, accepted: AcceptedReferral, partition: int) -> Effects:
        """Decide one accepted referral: duplicate, amendment, link, or a new case."""
        known_case = self.cases.contact_case.get(accepted.contact_id)
        if known_case is not None and not self.is_settled(known_case, accepted.received_at):
            case = self.cases[known_case]
            existing = case.contact(accepted.contact_id)
            if existing is not None and existing.content_hash == accepted.content_hash:
                return self._duplicate(case, existing, accepted)
            return self._amend(case, accepted, partition)
        matches = self._match(accepted)
        prior = self._prior_contacts(
            accepted.referral.local_authority, matches.same_any, accepted.received_at
        )
        contact = contact_record(self.policy(accepted.referral.local_authority), accepted, prior)
        takes = [case for case in matches.same_open if not case.full]
        if takes:
            target = max(takes, key=lambda c: c.opened_at)
            differs = matches.differences.get(target.case_id, ())
            return self._link(target, contact, accepted.origin, partition, differs)
        # The child's open cases are full: a case of its own, shown beside them for a person
        # to see (a case travels whole in one record and must stay under the broker's limit).
        full = [(case, IdentityMatch(MatchKind.SAME, (FULL_CASE,))) for case in matches.same_open]
        matches = _Matches([], matches.same_any, [*full, *matches.possible], matches.differences)
        return self._open(
            contact,
            matches,
            accepted.origin,
            partition,
            accepted.referral.local_authority,
        )

    def _match(self, accepted: AcceptedReferral) -> _Matches:
        la = accepted.referral.local_authority
        new = child_identity(accepted.referral.child)
        same_open: list[Case] = []
        same_any: list[Case] = []
        possible: list[tuple[Case, IdentityMatch]] = []
        differences: dict[str, tuple[str, ...]] = {}
        for case_id in sorted(self.cases.indexes[la].candidates(new)):
            if self.is_settled(case_id, accepted.received_at):
                continue
            case = self.cases[case_id]
            found = [m for c in case.contacts if (m := match_child(new, c.child)) is not None]
            same = [m for m in found if m.kind is MatchKind.SAME]
            if same:
                same_any.append(case)
                if is_live(case):
                    same_open.append(case)
                differences[case_id] = tuple(
                    dict.fromkeys(r for m in same for r in m.reasons if "differ" in r)
                )
            elif found and case.merged_into is None:
                possible.append((case, found[0]))
        return _Matches(same_open, same_any, possible, differences)

    def _prior_contacts(self, la: str, cases: list[Case], received_at: datetime) -> int:
        start = self.window_start(la, received_at)
        return sum(
            1
            for case in cases
            for contact in case.contacts
            if start <= contact.received_at <= received_at
        )

    def _duplicate(self, case: Case, contact: ContactRecord, accepted: AcceptedReferral) -> Effects:
        fx = Effects()
        fx.decisions.append(
            self.decision(
                case,
                DecisionKind.DUPLICATE,
                accepted.received_at,
                contact_id=contact.contact_id,
                origin=accepted.origin,
                reason="resubmission with identical content: nothing new",
            )
        )
        fx.statuses.append(self.status_event(contact, Status.DUPLICATE, case, accepted.received_at))
        return fx

    def _amend(self, case: Case, accepted: AcceptedReferral, partition: int) -> Effects:
        fx = Effects()
        old = case.contact(accepted.contact_id)
        assert old is not None  # noqa: S101 - contact_case points at the case holding it
        # Every fact as it stands: the child's other contacts in the window, in this case or in
        # any other (closed) case, so a corrected typo never undoes an escalation.
        cases = {case.case_id: case} | {c.case_id: c for c in self._match(accepted).same_any}
        start = self.window_start(case.local_authority, old.received_at)
        prior = sum(
            1
            for known in cases.values()
            if known.merged_into is None or known.case_id == case.case_id
            for c in known.contacts
            if c.contact_id != old.contact_id and start <= c.received_at <= old.received_at
        )
        amended = contact_record(self.policy(case.local_authority), accepted, prior).model_copy(
            update={"received_at": old.received_at},
        )
        contacts = [amended if c.contact_id == old.contact_id else c for c in case.contacts]
        updated = self.reassess(
            case.model_copy(update={"contacts": contacts}),
            accepted.received_at,
            fx,
            partition,
            reopen=True,
            contact_ids=(amended.contact_id,),
        )
        fx.decisions.append(
            self.decision(
                updated,
                DecisionKind.AMENDED,
                accepted.received_at,
                contact_id=amended.contact_id,
                origin=accepted.origin,
                before=case,
                reason="the referrer amended this contact",
            )
        )
        fx.statuses.append(
            self.status_event(amended, Status.AMENDED, updated, accepted.received_at)
        )
        self.announce_outcome_change(
            case, updated, accepted.received_at, fx, skip=amended.contact_id
        )
        return fx

    def _link(
        self,
        case: Case,
        contact: ContactRecord,
        origin: Origin,
        partition: int,
        differs: tuple[str, ...] = (),
    ) -> Effects:
        fx = Effects()
        # An equal NHS number links whatever else differs; the duty manager sees what does.
        noted = f"; check the record: {', '.join(differs)}" if differs else ""
        with_contact = case.model_copy(update={"contacts": [*case.contacts, contact]})
        updated = self.reassess(
            with_contact, contact.received_at, fx, partition, contact_ids=(contact.contact_id,)
        )
        fx.decisions.append(
            self.decision(
                updated,
                DecisionKind.LINKED,
                contact.received_at,
                contact_id=contact.contact_id,
                origin=origin,
                before=case,
                reason="a contact about a child with an open case is linked to it" + noted,
            )
        )
        if not updated.held:  # the outcome only proposed: nothing to tell until a person decides
            fx.statuses.append(
                self.status_event(contact, Status.LINKED, updated, contact.received_at)
            )
        self.announce_outcome_change(
            case, updated, contact.received_at, fx, skip=contact.contact_id
        )
        return fx

    def _open(
        self,
        contact: ContactRecord,
        matches: _Matches,
        origin: Origin,
        partition: int,
        la: str,
    ) -> Effects:
        fx = Effects()
        at = contact.received_at
        policy = self.policy(la)
        # The same child's earlier (closed) cases lend the new one their child id.
        earlier = [c.child_id for c in sorted(matches.same_any, key=lambda c: c.opened_at)]
        # A late amendment of a settled case's contact opens a case of its own, under a new id.
        case_id = _id("case", contact.contact_id, at.isoformat())
        draft = Case(
            case_id=case_id,
            child_id=next((c for c in reversed(earlier) if c), None) or _id("child", case_id),
            local_authority=la,
            version=0,
            state=CaseState.OPEN,
            level=contact.level,
            rag=policy.level(contact.level).rag,
            outcome=contact.outcome,
            strategy_discussion=False,
            decision_due=at,
            rules=[],
            policy_version=policy.version,
            opened_at=at,
            updated_at=at,
            contacts=[contact],
            possible_matches=[
                PossibleMatch(case_id=case.case_id, reasons=list(match.reasons))
                for case, match in matches.possible[:MAX_POSSIBLE_MATCHES]
            ],
        )
        case = self.reassess(
            draft, at, fx, partition, opening=True, contact_ids=(contact.contact_id,)
        )
        acts = "on the enquiry and assessment queue now; " if not case.held else ""
        fx.decisions.append(
            self.decision(
                case,
                DecisionKind.TRIAGED,
                at,
                contact_id=contact.contact_id,
                origin=origin,
                reason=f"new case; the policy proposes level {case.level.value}, "
                f"{case.outcome.value} ({', '.join(case.rules)}): {acts}a person decides",
            )
        )
        if not case.held:  # the outcome only proposed: nothing to tell until a person decides
            fx.statuses.append(self.status_event(contact, Status.TRIAGED, case, at))
        return fx
