"""``frontdoor bench``: benchmarks of Front Door's speed (figures, not pass/fail)."""

from __future__ import annotations

import contextlib
import functools
import json
import statistics
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from frontdoor.bench.matching import measure
from runtime.logs import configure_logging

app = typer.Typer(
    pretty_exceptions_show_locals=False,
    help="Benchmarks (one JSON line each). Without a subcommand: the whole pipeline.",
    invoke_without_command=True,
)
console = Console(stderr=True)


@app.command()
def api(
    rate: float = typer.Option(100.0, help="Requests a second for the latency run."),
    seconds: float = typer.Option(20.0, help="How long the latency run lasts."),
) -> None:
    """The gateway's POST /api/v1/referrals: p50/p95/p99 at a fixed rate, and flat out."""
    import asyncio  # noqa: PLC0415
    import os  # noqa: PLC0415

    from frontdoor.bench.api import run  # noqa: PLC0415

    configure_logging("bench", level="WARNING")
    with _broker():
        result = asyncio.run(run(os.environ["KAFKA_BOOTSTRAP_SERVERS"], rate, seconds))
    sys.stdout.write(json.dumps(result) + "\n")


@app.command()
def matching(
    cases: str = typer.Option(
        "1000,10000,100000", help="Open-case counts to measure, comma-separated."
    ),
    referrals: int = typer.Option(2000, help="Referrals decided at each size."),
) -> None:
    """Triage decision time per referral as the number of open cases grows."""
    configure_logging("bench", level="WARNING")
    table = Table("open cases", "mean µs", "p99 µs", "candidates compared", title="Matching")
    results = []
    with console.status("measuring...") as status:
        for size in (int(part) for part in cases.split(",")):
            status.update(f"measuring with {size:,} open cases")
            result = measure(size, referrals)
            results.append(result)
            table.add_row(
                f"{size:,}",
                f"{result.mean_us:,.0f}",
                f"{result.p99_us:,.0f}",
                f"{result.mean_candidates}",
            )
    console.print(table)
    sys.stdout.write(json.dumps({"matching": [asdict(r) for r in results]}) + "\n")


@app.command()
def stage(
    name: str = typer.Argument(..., help="intake or triage"),
    count: int = typer.Option(20000, help="Messages to push through."),
) -> None:
    """Messages per second one intake or triage process handles on the real broker."""
    configure_logging("bench", level="WARNING")
    import asyncio  # noqa: PLC0415

    from frontdoor.bench.stages import measure_stage  # noqa: PLC0415

    if name not in ("intake", "triage"):
        raise typer.BadParameter("intake or triage")
    with _broker(), console.status(f"preparing {count:,} messages, timing one {name} process"):
        result = asyncio.run(measure_stage(name, count, _bootstrap()))
    console.print(
        f"{name}: {result.per_second:,} messages/s ({result.messages:,} in {result.seconds}s)"
    )
    sys.stdout.write(json.dumps({"stage": asdict(result)}) + "\n")


@app.command()
def scale(
    configs: str = typer.Option(
        "1x3,1x6,2x6,3x6",
        help="Triage processes x partitions of referrals.accepted, comma-separated.",
    ),
    count: int = typer.Option(20000, help="Accepted referrals per configuration."),
    local_authorities: int = typer.Option(24, help="Local authorities the referrals span."),
    chart: Path | None = typer.Option(
        Path("docs/scale-out.svg"), help="Where to draw the chart (SVG); none to skip."
    ),
) -> None:
    """Triage throughput as partitions and processes (one consumer group) are added."""
    import asyncio  # noqa: PLC0415

    from frontdoor.bench.stages import measure_stage  # noqa: PLC0415

    configure_logging("bench", level="WARNING")
    shapes = [tuple(int(n) for n in part.split("x")) for part in configs.split(",")]
    table = Table("triage processes", "partitions", "referrals/s", "seconds", title="Scale-out")
    results = []
    with _broker(), console.status("warming the broker up (not measured)...") as status:
        asyncio.run(measure_stage("triage", min(count, 5000), _bootstrap()))
        for processes, partitions in shapes:
            status.update(f"{count:,} referrals, {processes} process(es), {partitions} partitions")
            result = asyncio.run(
                measure_stage(
                    "triage",
                    count,
                    _bootstrap(),
                    processes=processes,
                    partitions=partitions,
                    local_authorities=local_authorities,
                )
            )
            results.append(result)
            table.add_row(
                str(processes), str(partitions), f"{result.per_second:,.0f}", str(result.seconds)
            )
    console.print(table)
    if chart is not None:
        from frontdoor.bench.scale_chart import scale_out_chart  # noqa: PLC0415

        chart.write_text(scale_out_chart(results))
        console.print(f"chart written to {chart}")
    sys.stdout.write(json.dumps({"scale_out": [asdict(r) for r in results]}) + "\n")


def _bootstrap() -> str:
    from runtime.kafka.settings import KafkaSettings  # noqa: PLC0415

    return KafkaSettings().bootstrap_servers


@contextlib.contextmanager
def _broker() -> Iterator[int | None]:
    """Use ``KAFKA_BOOTSTRAP_SERVERS`` if set, else a throwaway broker for this run.

    Gives the broker's pid when it is the run's own (its CPU is then measured too).
    """
    import os  # noqa: PLC0415

    from frontdoor.broker.local import throwaway_broker  # noqa: PLC0415

    if "KAFKA_BOOTSTRAP_SERVERS" in os.environ:
        yield None
        return
    with contextlib.ExitStack() as stack:
        with console.status("starting a broker of the benchmark's own..."):
            broker = stack.enter_context(throwaway_broker())
        os.environ["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap_servers
        try:
            yield broker.status().pid
        finally:
            del os.environ["KAFKA_BOOTSTRAP_SERVERS"]


@app.callback()
def pipeline(
    ctx: typer.Context,
    quick: bool = typer.Option(False, "--quick", help="A short run (2,000 referrals)."),
    count: int = typer.Option(10000, help="Referrals sent at full speed."),
    rate: float = typer.Option(500.0, help="Offered rate (referrals/s) for the latency run."),
    repeat: int = typer.Option(
        1, min=1, help="Run the whole bench N times; report each figure's median and spread."
    ),
) -> None:
    """The whole pipeline at full speed and at a fixed rate, against a bare chain: one JSON line.

    With ``--repeat N`` (N >= 3 to judge a change against noise), one line: every numeric figure
    as ``{"median", "min", "max"}`` over the N runs, and the runs themselves.
    """
    if ctx.invoked_subcommand is not None:
        return
    import asyncio  # noqa: PLC0415
    import os  # noqa: PLC0415

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn  # noqa: PLC0415

    from frontdoor.bench.pipeline import run  # noqa: PLC0415

    configure_logging("bench", level="WARNING")
    count = 2000 if quick else count
    tasks: dict[str, object] = {}
    with (
        _broker() as broker_pid,
        Progress(
            TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), console=console
        ) as bar,
    ):

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done)  # type: ignore[arg-type]

        runs = [
            asyncio.run(
                run(os.environ["KAFKA_BOOTSTRAP_SERVERS"], count, rate, progress, broker_pid)
            )
            for _ in range(repeat)
        ]
    result = runs[0] if repeat == 1 else {"repeat": repeat, **summarise(runs), "runs": runs}
    sys.stdout.write(json.dumps(result) + "\n")


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each numeric figure of ``runs`` (nested alike) as its median, min and max.

    Anything else is as in the first run.
    """
    first = runs[0]
    summary: dict[str, Any] = {}
    for key, value in first.items():
        values = [run.get(key) for run in runs]
        if isinstance(value, dict):
            summary[key] = summarise([v for v in values if isinstance(v, dict)])
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            numbers = [v for v in values if isinstance(v, (int, float))]
            summary[key] = {
                "median": statistics.median(numbers),
                "min": min(numbers),
                "max": max(numbers),
            }
        else:
            summary[key] = value
    return summary


@app.command()
def history(  # noqa: PLR0917 - one parameter per command-line option
    years: str = typer.Option("5,10", help="Years of history to measure, comma-separated."),
    cases_per_year: int = typer.Option(40_000, help="Cases a year (a large council: ~40,000)."),
    database_url: str | None = typer.Option(
        None, help="A PostgreSQL database to fill (it must be empty); default: a new SQLite file."
    ),
    seed: int = typer.Option(1, help="Seed of the generated history."),
    read_side: bool = typer.Option(True, help="Measure the records database and dashboard."),
    triage: bool = typer.Option(True, help="Measure triage's restart on the same history."),
    chart: Path | None = typer.Option(
        None, help="Write a chart of triage's restarts to this SVG file."
    ),
) -> None:
    """After years: the dashboard's start, memory, pages and Annex A; triage's restart."""
    configure_logging("bench", level="WARNING")
    counts = [int(part) for part in years.split(",")]
    results = _read_side(counts, cases_per_year, database_url, seed) if read_side else []
    restarts = _triage_restarts(counts, cases_per_year, seed) if triage else []
    if chart is not None and restarts:
        from frontdoor.bench.scale_chart import restart_chart  # noqa: PLC0415 - heavy

        chart.write_text(restart_chart(restarts))
    sys.stdout.write(
        json.dumps(
            {"history": [asdict(r) for r in results], "triage": [asdict(r) for r in restarts]}
        )
        + "\n"
    )


def _triage_restarts(counts: list[int], cases_per_year: int, seed: int) -> list[Any]:
    import tempfile  # noqa: PLC0415

    from frontdoor.bench.triage_restart import run  # noqa: PLC0415 - heavy
    from frontdoor.broker.local import throwaway_broker  # noqa: PLC0415

    restarts = []
    with tempfile.TemporaryDirectory() as folder, throwaway_broker(heap="512m") as broker:
        for count in counts:
            with console.status(f"{count} years: triage restarting on its working set..."):
                measured = run(count, cases_per_year, seed, broker.bootstrap_servers, Path(folder))
            for r in measured:
                console.print(
                    f"{count} years, triage.cases {r.layout}: {r.cases_ever:,} cases ever, "
                    f"{r.working_set:,} held ({r.records_read:,} records read): ready in "
                    f"{r.ready_s} s, peak RSS {r.rss_mb} MB (~{r.per_case_kb} KB a case)"
                )
            restarts += measured
    return restarts


def _read_side(
    counts: list[int], cases_per_year: int, database_url: str | None, seed: int
) -> list[Any]:
    from frontdoor.bench.history import run  # noqa: PLC0415 - heavy

    results = []
    for count in counts:
        total = count * cases_per_year
        with Progress(
            TextColumn(f"{count} years: writing cases"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("history", total=total)
            result = run(
                count, cases_per_year, database_url, seed, functools.partial(progress.advance, task)
            )
        results.append(result)
        console.print(
            f"{count} years, {result.cases:,} cases ({result.live_cases:,} live): "
            f"dashboard ready in "
            f"{result.dashboard_ready_s} s, {result.dashboard_rss_mb} MB; p95 (target 200 ms): "
            f"queues {result.queue_page_p95_ms} ms (first {result.first_queue_page_ms}), "
            f"screening {result.screening_page_p95_ms} ms ({result.screening_waiting:,} "
            f"waiting; first {result.first_screening_page_ms}), emergency duty "
            f"{result.emergency_duty_page_p95_ms} ms, checks {result.checks_page_p95_ms} ms, "
            f"Encompass {result.encompass_page_p95_ms} ms, search {result.search_p95_ms} ms; "
            f"a year's Annex A in {result.annex_a_year_s} s (xlsx {result.annex_a_year_xlsx_s} s)"
        )
    return results


@app.command()
def records(
    cases: int = typer.Option(
        20_000, help="Cases in the backlog (each with its decisions and updates)."
    ),
    database_url: list[str] = typer.Option(
        [],
        help="Also measure on this (empty) database, e.g. PostgreSQL; SQLite is always measured.",
    ),
) -> None:
    """How fast the records service catches up with a backlog, in records per second."""
    import tempfile  # noqa: PLC0415

    from frontdoor.bench.catch_up import run as catch_up  # noqa: PLC0415
    from frontdoor.broker.local import throwaway_broker  # noqa: PLC0415

    configure_logging("bench", level="WARNING")
    results = []
    with tempfile.TemporaryDirectory() as folder, throwaway_broker(heap="512m") as broker:
        for url in [None, *database_url]:
            with console.status(f"catching up on {url.split(':')[0] if url else 'sqlite'}..."):
                result = catch_up(broker.bootstrap_servers, url, cases, Path(folder))
            console.print(
                f"{result['database']}: {result['records']:,} records in {result['seconds']} s, "
                f"{result['records_per_s']:,}/s"
            )
            results.append(result)
    sys.stdout.write(json.dumps({"records_catch_up": results}) + "\n")
