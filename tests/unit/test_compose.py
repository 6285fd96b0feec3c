"""The Docker compose file runs Kafka in KRaft mode with SASL/SCRAM and ACLs, and every
pipeline service against it as its own user (parsed here: no Docker engine on this machine)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from frontdoor.access.model import service_principal
from frontdoor.cli.supervisor import PIPELINE
from schemas.topics import Topics

COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "compose.yaml"


def services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_compose_runs_kraft_kafka_with_sasl_scram_and_acls_only() -> None:
    kafka = services()["kafka"]
    script = kafka["command"][0]
    properties = dict(
        line.strip().split("=", 1)
        for line in script.split("<<PROPERTIES")[1].split("PROPERTIES")[0].splitlines()
        if "=" in line
    )
    assert properties["process.roles"] == "broker,controller"
    assert properties["auto.create.topics.enable"] == "false"
    assert set(properties["listener.security.protocol.map"].replace(",", ":").split(":")[1::2]) == {
        "SASL_PLAINTEXT"
    }
    assert properties["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert properties["allow.everyone.if.no.acl.found"] == "false"
    assert "StandardAuthorizer" in properties["authorizer.class.name"]
    assert "--add-scram" in script  # the administrator exists from the first start
    assert kafka["ports"] == ["127.0.0.1:9092:9092"]


def test_setup_makes_users_and_acls_before_any_service_starts() -> None:
    every = services()
    assert every["setup"]["command"][:2] == ["partners", "provision"]
    assert every["setup"]["environment"]["KAFKA_SASL_USERNAME"] == "frontdoor-admin"
    for name in PIPELINE:
        service = every[name]
        env = service["environment"]
        assert service["command"] == ["run", name]
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:19092"
        assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
        assert env["KAFKA_SASL_USERNAME"] == service_principal(name, Topics(""))
        assert env[f"FRONTDOOR_{name.upper()}_CREATE_TOPICS"] == "false"
        assert service["depends_on"]["setup"]["condition"] == "service_completed_successfully"
        assert service["volumes"] == ["credentials:/run/frontdoor:ro"]


def test_the_broker_start_script_writes_its_configuration(tmp_path: Path) -> None:
    """Run the script's shell up to starting Kafka: the properties it writes are complete."""
    script = services()["kafka"]["command"][0].replace("$$", "$")  # compose's escaping
    script = script.replace("/var/lib/kafka/data/meta.properties", str(COMPOSE))  # "formatted"
    script = script.replace("exec /opt/kafka/bin/kafka-server-start.sh", "cat")
    done = subprocess.run(
        ["bash", "-c", script],
        env={
            "ADMIN_PASSWORD": "admin-pw",
            "CONTROLLER_PASSWORD": "node-pw",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    written = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert (
        'username="frontdoor-admin" password="admin-pw";'
        in written["listener.name.internal.scram-sha-512.sasl.jaas.config"]
    )
    assert (
        'user_frontdoor-controller="node-pw"'
        in written["listener.name.controller.plain.sasl.jaas.config"]
    )
    assert written["super.users"] == "User:frontdoor-admin;User:frontdoor-controller"
