"""`frontdoor bench --repeat N` reports each figure's median and spread over the runs."""

from __future__ import annotations

from frontdoor.cli.bench import summarise


def test_the_bench_summary_gives_each_figure_its_median_and_spread() -> None:
    runs = [
        {"bench": "pipeline", "rate": 10, "p": {"p99": 300.0, "p50": 9}},
        {"bench": "pipeline", "rate": 30, "p": {"p99": 100.0, "p50": 7}},
        {"bench": "pipeline", "rate": 20, "p": {"p99": 200.0, "p50": 8}},
    ]
    assert summarise(runs) == {
        "bench": "pipeline",
        "rate": {"median": 20, "min": 10, "max": 30},
        "p": {
            "p99": {"median": 200.0, "min": 100.0, "max": 300.0},
            "p50": {"median": 8, "min": 7, "max": 9},
        },
    }
