"""One plain-English sentence per status update, for a busy teacher, nurse or officer.

Data minimisation: the sentence names the referrer's own reference, the outcome and the team,
never the child or the case. Members of the public (CIN sources 1A-1D, 9, 10) are told less,
and nothing untrue: that their referral was received and looked at, and whether the council is
acting on it, not where it went. Their status never says that the council already had a case
(``linked`` reads as ``triaged``), nor passes through a case's later life (``allocated``,
``outcome-changed``): those updates are not sent to them at all.
"""

from __future__ import annotations

from datetime import date, datetime

from domain.working_time import UK_TIME
from schemas.status import Outcome, Status, StatusEvent, Subject

PUBLIC_SOURCES = frozenset({"1A", "1B", "1C", "1D", "9", "10"})
_PUBLIC_STATUS: dict[Status, Status | None] = {
    Status.LINKED: Status.TRIAGED,
    Status.ALLOCATED: None,
    Status.OUTCOME_CHANGED: None,
}


def public_status(status: Status) -> Status | None:
    """The status a member of the public is shown for ``status``; None: no update for them."""
    return _PUBLIC_STATUS.get(status, status)


TEAM = {
    Outcome.ENQUIRY_ASSESSMENT: "the enquiry and assessment team",
    Outcome.EARLY_HELP: "the early help team",
}


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_date(day: date | str | None) -> str:
    """``11 February 2021``: the one way pages write a date for people ("" for none).

    Accepts an ISO date string as a form keeps it; one that is not a date is shown as it is.
    """
    if day is None or day == "":
        return ""
    if isinstance(day, str):
        try:
            parsed = date.fromisoformat(day)
        except ValueError:
            return day
    else:
        parsed = day
    return f"{parsed.day} {_MONTHS[parsed.month - 1]} {parsed.year}"


def when(moment: datetime) -> str:
    """``10:00 on Tuesday 17 November``, in UK time (English names whatever the locale)."""
    local = moment.astimezone(UK_TIME)
    day, month = _DAYS[local.weekday()], _MONTHS[local.month - 1]
    return f"{local.hour:02d}:{local.minute:02d} on {day} {local.day} {month}"


def _destination(event: StatusEvent) -> str:
    if event.outcome is None:  # a person has yet to decide
        due = f" — a decision is due by {when(event.decision_due)}" if event.decision_due else ""
        return f"being looked at{due}"
    if event.outcome is Outcome.NO_FURTHER_ACTION:
        return "no further action by children's social care: advice and signposting instead"
    due = f" — a decision is due by {when(event.decision_due)}" if event.decision_due else ""
    if event.emergency_duty:
        return (
            "passed to the emergency duty team now, out of office hours, and to "
            f"{TEAM[event.outcome]}{due}"
        )
    return f"passed to {TEAM[event.outcome]}{due}"


_NOTICE_SENTENCES = {
    Status.DELIVERED: "Delivered to the child's school{school}.",
    Status.ACKNOWLEDGED: "Acknowledged by the school's key adult{school}.",
    Status.PASSED_TO_COUNCIL: (
        "Passed to the council's front door: no registered school could be found for the "
        "child, so a person there will make sure the school hears or follow the child up."
    ),
}


def notice_sentence(event: StatusEvent) -> str:
    """The sentence for a status about an Operation Encompass notice.

    To the police: never naming a school they did not name. To the school: what to do.
    """
    status = event.status
    if status is Status.ENCOMPASS:
        due = event.encompass.acknowledge_by if event.encompass else event.decision_due
        by = f" by {when(due)}" if due is not None else ""
        return (
            "Operation Encompass: a child at your school may have been affected by a domestic "
            f"abuse incident. Please make sure the key adult reads this and acknowledge it{by}."
        )
    if status is Status.RECEIVED:
        told = f" by {when(event.decision_due)}" if event.decision_due else ""
        return f"Received — the child's school will be told{told}, before the school day starts."
    if status is Status.DUPLICATE:
        first = f", received {when(event.held_since)}" if event.held_since else ""
        return f"Already held{first}: this copy changes nothing and nothing was sent again."
    school = f" (URN {event.school_urn})" if event.school_urn else ""
    return _NOTICE_SENTENCES.get(status, "Update on your notice.").format(school=school)


def sentence(event: StatusEvent, *, public: bool) -> str:
    """The sentence for one status event: about a referral, or an Encompass notice."""
    if event.subject is Subject.ENCOMPASS_NOTICE and event.status is not Status.REJECTED:
        return notice_sentence(event)
    return referral_sentence(event, public=public)


def referral_sentence(event: StatusEvent, *, public: bool) -> str:  # noqa: PLR0911 - one wording per status
    """The sentence for one status event about a referral."""
    status = event.status
    if status is Status.REJECTED:
        count = len(event.errors)
        problems = "1 problem needs" if count == 1 else f"{count} problems need"
        return f"Not accepted — {problems} correcting before it is sent again (see errors)."
    if status is Status.RECEIVED:
        # triage may shorten the time (an urgent contact): promise only the latest it can be
        latest = when(event.decision_due) if event.decision_due else None
        due = f" — a decision is due by {latest} at the latest, sooner if urgent" if latest else ""
        return f"Received{due}."
    if status is Status.DUPLICATE:
        return "Already received — this copy changes nothing."
    if public:
        return _public_sentence(status, event.outcome, emergency_duty=event.emergency_duty)
    if status in (Status.TRIAGED, Status.LINKED):
        destination = _destination(event)
        return destination[0].upper() + destination[1:] + "."
    if status is Status.AMENDED:
        return f"Amendment received and looked at again — {_destination(event)}."
    if status is Status.OUTCOME_CHANGED:
        return f"Update — now {_destination(event)}."
    if status is Status.ALLOCATED:
        team = TEAM.get(event.outcome or Outcome.EARLY_HELP, "the team")
        return f"Allocated to a worker in {team}."
    if status is Status.CLOSED:
        return "Closed by children's social care."
    return (
        "Still being looked at — the decision is taking longer than our target, "
        "and it has not been forgotten."
    )


def _public_sentence(status: Status, outcome: Outcome | None, *, emergency_duty: bool) -> str:
    if emergency_duty and status in (Status.TRIAGED, Status.AMENDED):
        return (
            "The council's emergency duty team is looking at what you told us now, out of "
            "office hours. Thank you."
        )
    if status is Status.OVERDUE:
        return "Still being looked at — thank you for your patience."
    if status is Status.CLOSED:
        return "We have finished looking at what you told us. Thank you."
    again = "looked again at" if status is Status.AMENDED else "looked at"
    if outcome is Outcome.NO_FURTHER_ACTION:
        return f"We have {again} what you told us and are not taking further action now. Thank you."
    return f"We have {again} what you told us and are acting on it. Thank you."
