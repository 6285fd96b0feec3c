"""The performance charts, as SVG drawn by pygal on the server: no scripts, nothing fetched.

pygal embeds a tooltip script from its own web site and an inline configuration script; both
are left out (``js=[]``, and the inline one removed), so the pages run no chart script and
load nothing from elsewhere (their Content-Security-Policy would refuse it anyway).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pygal
from pygal.style import Style

from schemas.codes import ReferralSource
from schemas.status import Outcome
from schemas.triage import Case, Decision, DecisionKind, Rag

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1b1b1b",
    foreground_strong="#0b0c0c",
    foreground_subtle="#505a5f",
    colors=("#1d70b8", "#00703c", "#f47738", "#d4351c", "#4c2c92", "#505a5f", "#85994b", "#b58840"),
    font_family="system-ui, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    title_font_size=16,
)
SOURCE_NAMES = {
    "2A": "Schools",
    "3A": "GP",
    "3B": "Health visitor",
    "3E": "A&E",
    "4": "Housing",
    "6": "Police",
}
MANAGER_DECISIONS = {
    DecisionKind.SCREENED,
    DecisionKind.ALLOCATED,
    DecisionKind.OVERRIDDEN,
    DecisionKind.CLOSED,
    DecisionKind.MATCH_CONFIRMED,
    DecisionKind.MATCH_REJECTED,
}


def _source(code: ReferralSource) -> str:
    return SOURCE_NAMES.get(code.value, f"Source {code.value}")


_SCRIPT = re.compile(r"<script\b[^>]*?(?:/>|>.*?</script>)", re.DOTALL)


def _render(chart: pygal.Graph) -> str:
    chart.config.js = []
    return _SCRIPT.sub("", str(chart.render(is_unicode=True)))


def contacts_per_day(cases: list[Case], today: date, days: int = 14) -> str:
    """Stacked bars: contacts received each day, by source agency."""
    dates = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    counts: dict[str, Counter[date]] = defaultdict(Counter)
    for contact in (c for case in cases if case.merged_into is None for c in case.contacts):
        counts[_source(contact.source)][contact.received_at.date()] += 1
    chart = pygal.StackedBar(
        style=STYLE, height=320, title="Contacts per day, by source", x_label_rotation=30
    )
    chart.x_labels = [f"{d:%d %b}" for d in dates]
    for source in sorted(counts):
        chart.add(source, [counts[source][d] for d in dates])
    return _render(chart)


def outcomes_by_source(cases: list[Case]) -> str:
    """For each agency, the share of its contacts by outcome: the contacts that became referrals."""
    counts: dict[str, Counter[Outcome]] = defaultdict(Counter)
    for contact in (c for case in cases if case.merged_into is None for c in case.contacts):
        counts[_source(contact.source)][contact.outcome] += 1
    chart = pygal.HorizontalStackedBar(
        style=STYLE,
        height=320,
        title="Where each agency's contacts went (%)",
        range=(0, 100),
    )
    sources = sorted(counts)
    chart.x_labels = sources
    for outcome in Outcome:
        chart.add(
            outcome.value.replace("-", " "),
            [round(100 * counts[s][outcome] / max(1, sum(counts[s].values())), 1) for s in sources],
        )
    return _render(chart)


ON_TIME_SERIES = (  # label, colour: in the legend's order; alarm red only for the overdue
    ("on time", "#00703c"),
    ("late", "#f47738"),
    ("overdue, awaiting a decision", "#d4351c"),
    ("not yet due", "#b1b4b6"),
)


def decisions_on_time(
    cases: list[Case], decisions: dict[str, list[Decision]], now: datetime
) -> tuple[str, dict[str, int]]:
    """A manager's first decision on each case, by rating: in time, late, or awaited past due.

    By rating because each runs on its own clock: a red decision late by minutes and a green
    one late by hours are not the same. The totals over every rating are returned too.
    """
    tally: Counter[tuple[str, str]] = Counter()
    for case in cases:
        first = min(
            (d.decided_at for d in decisions.get(case.case_id, []) if d.kind in MANAGER_DECISIONS),
            default=None,
        )
        if first is not None:
            label = "on time" if first <= case.decision_due else "late"
        elif case.decision_due < now and case.state.value == "open":
            label = "overdue, awaiting a decision"
        elif case.state.value == "open":
            label = "not yet due"
        else:
            continue
        tally[case.rag.value, label] += 1
    style = Style(**{**STYLE.to_dict(), "colors": tuple(colour for _, colour in ON_TIME_SERIES)})
    chart = pygal.StackedBar(
        style=style,
        height=320,
        legend_at_bottom=True,
        truncate_legend=-1,
        title="Decisions made on time, by rating",
    )
    ratings = [rag.value for rag in Rag]
    chart.x_labels = ratings
    for label, _colour in ON_TIME_SERIES:
        chart.add(label, [tally[rag, label] for rag in ratings])
    totals: Counter[str] = Counter()
    for (_rag, label), count in tally.items():
        totals[label] += count
    return _render(chart), dict(totals)


def queue_depth(series: list[tuple[datetime, int, int]]) -> str:
    """Open cases on each queue over time."""
    chart = pygal.DateTimeLine(
        style=STYLE,
        height=320,
        title="Queue depth over time",
        x_label_rotation=30,
        x_value_formatter=lambda moment: moment.strftime("%d %b %H:%M"),
        show_dots=False,
    )
    chart.add("Enquiry and assessment", [(t, ea) for t, ea, _ in series])
    chart.add("Early help", [(t, eh) for t, _, eh in series])
    return _render(chart)


def duplicates_and_links(decisions: dict[str, list[Decision]]) -> tuple[str, dict[str, int]]:
    """How many contacts were resubmissions, amendments, or linked to an existing case."""
    tally = Counter(d.kind.value for ds in decisions.values() for d in ds)
    kinds = ("triaged", "linked", "duplicate", "amended", "match-confirmed", "match-rejected")
    chart = pygal.Bar(
        style=STYLE, height=320, show_legend=False, title="New cases, links and duplicates found"
    )
    chart.x_labels = [k.replace("-", " ") for k in kinds]
    chart.add("contacts", [tally[k] for k in kinds])
    return _render(chart), {k: tally[k] for k in kinds}


@dataclass(frozen=True, slots=True)
class Agreement:
    """How often people confirmed or changed the policy's proposals that a rule made."""

    month: str  # 2026-12
    rule: str
    confirmed: int
    changed: int

    @property
    def agreed_percent(self) -> int:
        """The share confirmed, in whole per cent."""
        return round(100 * self.confirmed / (self.confirmed + self.changed))


def agreement(screened: list[Decision]) -> tuple[str, list[Agreement]]:
    """Per month and per rule, proposals confirmed and changed by people (a chart per rule).

    A proposal made by several rules counts once under each: a council reviews each rule of its
    threshold document by how often people overrule what it proposes.
    """
    tally: dict[tuple[str, str], Counter[bool]] = defaultdict(Counter)
    for decision in screened:
        if decision.proposal is None or decision.agreed is None:
            continue
        month = f"{decision.decided_at:%Y-%m}"
        for rule in decision.proposal.rules:
            tally[month, rule][decision.agreed] += 1
    rows = [
        Agreement(month, rule, counts[True], counts[False])
        for (month, rule), counts in sorted(tally.items(), reverse=True)
    ]
    by_rule: dict[str, Counter[bool]] = defaultdict(Counter)
    for row in rows:
        by_rule[row.rule][True] += row.confirmed
        by_rule[row.rule][False] += row.changed
    chart = pygal.HorizontalStackedBar(
        style=STYLE,
        height=max(240, 60 + 28 * len(by_rule)),
        title="People's screening decisions, by the rule behind the proposal",
        legend_at_bottom=True,
    )
    rules = sorted(by_rule)
    chart.x_labels = rules
    chart.add("confirmed", [by_rule[r][True] for r in rules])
    chart.add("changed", [by_rule[r][False] for r in rules])
    return _render(chart), rows
