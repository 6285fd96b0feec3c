"""A simulated duty manager for the demo: decides the policy's proposals through the real path.

The policy proposes and a person decides (DOMAIN B "Who decides"), so without someone at the
screening page the demo's early-help and no-further-action proposals would wait for ever. This
stands in for that person: it reads the proposals waiting in the records database, as the
dashboard's screening page does, and a short while after each was proposed sends a ``screen``
action on ``triage.actions``, as the dashboard does, under an identity of its own marked as
simulated, so every decision it makes says so in the audit trail. It confirms most proposals
and changes some, with a reason, as a real duty manager would. Each action's id comes from the
case and its version: a proposal seen twice is decided once.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from domain.cases import waiting_consent_refused
from runtime.kafka.clients import make_producer
from runtime.kafka.settings import KafkaSettings
from runtime.records_db.database import make_engine
from runtime.records_db.reading import RecordsReader
from schemas.status import Outcome
from schemas.triage import ActionKind, Case, Level, ManagerAction, Proposal

SIMULATED_ACTOR = "simulated.duty.manager (demo: not a person)"
DELAY = timedelta(seconds=8)  # how long a proposal waits before the simulated person decides
POLL_S = 2.0
ACTION_IDS = uuid.UUID("9d7e3c1a-4b6f-4e2d-8a5c-0f1e2d3c4b5a")
# One proposal in this many is changed, the rest confirmed (a level-4 one is always confirmed).
CHANGE_ONE_IN = 7
CHANGES = {
    Outcome.NO_FURTHER_ACTION: (
        Level.ADDITIONAL,
        Outcome.EARLY_HELP,
        "Spoke to the parent: they would welcome early help and agreed to it",
    ),
    Outcome.EARLY_HELP: (
        Level.UNIVERSAL,
        Outcome.NO_FURTHER_ACTION,
        "The school's pastoral team already supports the family: advice and signposting",
    ),
    Outcome.ENQUIRY_ASSESSMENT: (
        Level.ADDITIONAL,
        Outcome.EARLY_HELP,
        "Checks show the family already works with early help; no statutory threshold met",
    ),
}


CONSENT_REFUSED = (
    "Early help is still offered: the family refused at first, and the referrer will talk the "
    "offer through with them again"
)


def decide(case: Case, proposal: Proposal, at: datetime) -> ManagerAction:
    """The simulated person's decision on one proposal: the same proposal, the same decision."""
    key = f"{case.case_id}/{case.version}"
    draw = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)
    change = proposal.level < Level.ACUTE and draw % CHANGE_ONE_IN == 0
    level, outcome, reason = CHANGES[proposal.outcome] if change else (None, None, "")
    if (outcome or proposal.outcome) is Outcome.EARLY_HELP and waiting_consent_refused(case):
        reason = reason or CONSENT_REFUSED
    return ManagerAction(
        action_id=uuid.uuid5(ACTION_IDS, key).hex,
        kind=ActionKind.SCREEN,
        case_id=case.case_id,
        local_authority=case.local_authority,
        actor=SIMULATED_ACTOR,
        reason=reason,
        level=level,
        outcome=outcome,
        submitted_at=at,
    )


async def screen_proposals(
    kafka: KafkaSettings,
    database_url: str,
    counts: Counter[str],
    *,
    delay: timedelta = DELAY,
) -> None:
    """Decide each waiting proposal ``delay`` after it was proposed, until cancelled."""
    engine = make_engine(database_url)
    reader = RecordsReader(engine)
    producer = make_producer(kafka, client_id="simulated-duty-manager")
    await producer.start()
    decided: set[str] = set()  # action ids sent
    try:
        while True:
            now = datetime.now(UTC)
            cases, waiting = await asyncio.to_thread(reader.screening_cases, None, 500)
            counts["screening: waiting"] = waiting
            for case in cases:
                proposal = case.proposal
                if proposal is None or proposal.proposed_at > now - delay:
                    continue
                action = decide(case, proposal, now)
                if action.action_id in decided:
                    continue  # sent already; the records have not caught up yet
                await producer.send_and_wait(
                    kafka.topics.actions,
                    action.model_dump_json().encode(),
                    key=case.local_authority.encode(),
                )
                decided.add(action.action_id)
                counts["screening: changed" if action.outcome else "screening: confirmed"] += 1
            await asyncio.sleep(POLL_S)
    finally:
        await producer.stop()
        engine.dispose()
