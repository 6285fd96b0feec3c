"""``frontdoor bench`` produces a complete result on the real broker (figures are not judged)."""

from __future__ import annotations

import pytest

from frontdoor.bench.pipeline import run

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def test_pipeline_bench_reports_every_figure(kafka) -> None:
    phases: set[str] = set()
    result = await run(
        kafka.bootstrap_servers,
        count=150,
        rate=100,
        progress=lambda phase, *_: phases.add(phase),
        chain_min=400,  # the chains' messages: the 150 repeated
    )
    assert result["referrals"] == 150
    assert result["end_to_end_referrals_per_s"] > 0
    assert result["bare_chain"]["hops"] == 3
    for chain in ("bare_chain", "fair_chain"):  # CPU of each hop (no broker pid here); 150
        # messages may take a hop less than the clock's 10 ms tick, so only present, not positive
        assert len(result[chain]["cpu_ms_per_message"]) == 3
        assert all(ms >= 0 for ms in result[chain]["cpu_ms_per_message"])
    assert result["pipeline_to_bare_ratio"] > 0
    assert result["pipeline_to_fair_ratio"] > result["pipeline_to_bare_ratio"] / 10
    for run_name in ("full_speed", "fixed_rate", "at_a_third_of_full_speed"):
        assert set(result[run_name]["peak_rss_mb"]) == {"intake", "triage", "notifier"}
    full = result["full_speed"]
    assert set(full["cpu_ms_per_referral"]) == {"intake", "triage", "notifier"}  # no broker pid
    assert all(ms > 0 for ms in full["cpu_ms_per_referral"].values())
    # what each service read and wrote, the fair chain's recipe
    assert full["records"]["intake"]["in"] == 151  # and the warm-up referral
    assert full["records"]["triage"]["out"] > full["records"]["triage"]["in"]
    fan_out = result["fair_chain"]["fan_out"]
    assert len(fan_out) == 3
    assert fan_out[0]["forward"] + fan_out[0]["extra"] == pytest.approx(
        full["records"]["intake"]["out"] / full["records"]["intake"]["in"], abs=0.001
    )
    assert all(hop["bytes"] > 0 for hop in fan_out)
    third = result["at_a_third_of_full_speed"]["offered_per_s"]
    assert third == max(10, round(result["end_to_end_referrals_per_s"] / 3))
    latency = result["fixed_rate"]
    assert set(latency["publish_to_queue_item_ms"]) == {"p50", "p95", "p99"}
    assert latency["publish_to_referrer_update_ms"]["p50"] > 0
    assert latency["warm_up"]["referrals"] == 400  # 4 s at 100/s, reported apart
    assert latency["referrals"] == 200
    assert {"full speed", "100/s offered", "plain chain", "fair chain", "tracing on"} <= phases
    # what tracing costs: the same referrals again, every service exporting its spans
    tracing = result["tracing"]
    assert tracing["exported"]["requests"] > 0
    assert tracing["exported"]["bytes"] > 0
    assert set(tracing["cpu_ms_per_referral"]) == {"intake", "triage", "notifier"}
    assert tracing["services_cpu_ms_per_referral"]["off"] == pytest.approx(
        sum(full["cpu_ms_per_referral"].values()), abs=0.01
    )


def test_history_bench_generates_years_and_measures_the_read_side() -> None:
    from frontdoor.bench.history import run as history  # noqa: PLC0415

    written: list[int] = []
    result = history(years=2, per_year=300, url=None, seed=3, progress=written.append)
    assert result.cases == 600
    assert result.contacts >= result.cases
    assert result.decisions == result.contacts
    assert result.status_updates == 3 * result.contacts
    assert 0 < result.live_cases < result.cases  # most of a history is long closed
    assert result.dashboard_ready_s > 0
    assert result.dashboard_rss_mb > 0
    assert result.queue_page_p95_ms > 0
    assert result.search_p95_ms > 0
    assert result.annex_a_rows > 0  # a year of contacts and referrals


def test_triage_restart_bench_restores_only_the_working_set(kafka, tmp_path) -> None:
    from frontdoor.bench.triage_restart import run  # noqa: PLC0415

    compacted, uncleaned = run(3, 400, 5, kafka.bootstrap_servers, tmp_path, kafka.topic_prefix)
    assert (compacted.layout, uncleaned.layout) == ("compacted", "uncleaned")
    assert compacted.cases_ever == uncleaned.cases_ever == 1200
    # the cases of the last year or so are held; the older ones retired
    assert 0 < compacted.working_set == uncleaned.working_set < compacted.cases_ever / 2
    assert compacted.records_read == compacted.working_set
    assert uncleaned.records_read > 2 * uncleaned.working_set  # every case, and tombstones
    assert compacted.ready_s > 0
    assert compacted.rss_mb > 0


async def test_records_catch_up_bench_reads_the_whole_backlog(kafka, tmp_path) -> None:
    from frontdoor.bench.catch_up import catch_up  # noqa: PLC0415

    result = await catch_up(kafka.bootstrap_servers, f"sqlite:///{tmp_path / 'r.db'}", cases=60)
    assert result["records"] > 60  # each case's version, decisions and updates
    assert result["records_per_s"] > 0
    assert result["database"] == "sqlite"
