"""The Docker compose file runs Kafka in KRaft mode and every pipeline service against it."""

from __future__ import annotations

from pathlib import Path

import yaml

from services.cli.supervisor import PIPELINE

COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "compose.yaml"


def test_compose_runs_kraft_kafka_without_auto_creation() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    env = services["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == 1
    assert services["kafka"]["ports"] == ["127.0.0.1:9092:9092"]


def test_every_pipeline_service_runs_after_topics_exist() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert services["topics"]["command"] == ["topics", "create"]
    for name in PIPELINE:
        service = services[name]
        assert service["command"] == ["run", name]
        assert service["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:19092"
        assert service["depends_on"]["topics"]["condition"] == "service_completed_successfully"
