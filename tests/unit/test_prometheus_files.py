"""The Prometheus scrape config and alert rules pass promtool, each alert has a rule unit test,
and every metric the alerts and the Grafana dashboard use is one the services export."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from runtime import metrics  # noqa: F401 - registers the families

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
GRAFANA = ROOT / "deploy" / "grafana" / "frontdoor.json"
METRIC = re.compile(r"\b(frontdoor_[a-z_]+)")
SUFFIXES = ("_bucket", "_count", "_sum", "_created")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    found = shutil.which("promtool")
    if found is None:
        missing = "promtool is not installed (make setup installs Debian's prometheus package)"
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    return subprocess.run(
        [found, *args], capture_output=True, text=True, check=False, cwd=PROMETHEUS
    )


def exported() -> set[str]:
    names = set()
    for family in REGISTRY.collect():
        if family.name.startswith("frontdoor_"):
            names |= {family.name, family.name + "_total"} | {family.name + s for s in SUFFIXES}
    return names


def test_the_rules_and_the_scrape_config_pass_promtool() -> None:
    rules = promtool("check", "rules", "alerts.yml")
    assert rules.returncode == 0, rules.stdout + rules.stderr
    config = promtool("check", "config", "prometheus.yml")
    assert config.returncode == 0, config.stdout + config.stderr


def test_every_alert_fires_when_it_should_and_not_before() -> None:
    tested = promtool("test", "rules", "alerts_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    alerts = {
        rule["alert"]
        for group in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
        for rule in group["rules"]
    }
    cases = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())["tests"]
    covered = {check["alertname"] for case in cases for check in case["alert_rule_test"]}
    assert covered == alerts  # a rule unit test for each alert


def test_every_metric_the_alerts_and_the_dashboard_use_is_exported() -> None:
    used = set(METRIC.findall((PROMETHEUS / "alerts.yml").read_text()))
    panels = json.loads(GRAFANA.read_text())["panels"]
    used |= {m for panel in panels for t in panel["targets"] for m in METRIC.findall(t["expr"])}
    assert used
    assert used <= exported(), used - exported()
