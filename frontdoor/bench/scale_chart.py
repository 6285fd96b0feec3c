"""Charts of benchmark results, as SVG (pygal, the dashboard's style)."""

from __future__ import annotations

import pygal

from frontdoor.bench.stages import StageResult
from frontdoor.bench.triage_restart import TriageRestart
from services.dashboard.performance_charts import STYLE


def scale_out_chart(results: list[StageResult]) -> str:
    """Bars: triage referrals per second for each processes x partitions configuration."""
    chart = pygal.Bar(
        style=STYLE,
        height=360,
        title="Triage throughput as processes and partitions are added",
        y_title="referrals per second",
        x_title="triage processes x partitions of referrals.accepted (24 LAs)",
        truncate_label=-1,
        show_legend=False,
        print_values=True,
        value_formatter=lambda value: f"{value:,.0f}",
    )
    chart.x_labels = [f"{r.processes} x {r.partitions}" for r in results]
    chart.add("referrals/s", [r.per_second for r in results])
    return str(chart.render(is_unicode=True))


def restart_chart(results: list[TriageRestart]) -> str:
    """Bars: triage's restart-to-ready seconds and peak memory, per history length and layout."""
    chart = pygal.Bar(
        style=STYLE,
        height=360,
        title="Triage restart after years of history (retirement on)",
        x_title="years of history; triage.cases compacted, or never cleaned",
        legend_at_bottom=True,
        truncate_legend=-1,
        secondary_range=(0, max((r.rss_mb for r in results), default=1) * 1.2),
        truncate_label=-1,
        print_values=True,
        value_formatter=lambda value: f"{value:,.1f}",
    )
    chart.x_labels = [f"{r.years} y, {r.layout}" for r in results]
    chart.add("seconds to ready", [r.ready_s for r in results])
    chart.add("peak RSS (MB)", [r.rss_mb for r in results], secondary=True)
    return str(chart.render(is_unicode=True))
