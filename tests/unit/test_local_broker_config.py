"""The local broker is configured as DESIGN.md section 5 requires."""

from __future__ import annotations

from pathlib import Path

from frontdoor.broker.local import DEPLOY_KAFKA, LocalBroker, LocalBrokerSettings


def _properties(tmp_path: Path, *, sasl: bool = False) -> dict[str, str]:
    settings = LocalBrokerSettings(port=19092, data_dir=tmp_path, cache_dir=tmp_path, sasl=sasl)
    tmp_path.mkdir(exist_ok=True)
    text = LocalBroker(settings)._write_properties().read_text()
    return dict(line.split("=", 1) for line in text.splitlines())


def test_by_default_every_client_authenticates_and_is_held_to_acls(tmp_path: Path) -> None:
    props = _properties(tmp_path, sasl=True)
    assert props["listeners"] == "CLIENT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["listener.security.protocol.map"] == (
        "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
    )
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert "StandardAuthorizer" in props["authorizer.class.name"]
    assert "ANONYMOUS" not in props["super.users"]
    assert LocalBrokerSettings.model_fields["sasl"].default is True
    # passwords live in one file only its owner may read
    assert (tmp_path / "credentials.json").stat().st_mode & 0o777 == 0o600
    # and so is the broker's configuration, which holds the admin and controller passwords
    assert (tmp_path / "server.properties").stat().st_mode & 0o777 == 0o600


def test_an_older_more_open_configuration_is_closed_when_rewritten(tmp_path: Path) -> None:
    (tmp_path / "server.properties").write_text("old")
    (tmp_path / "server.properties").chmod(0o644)
    _properties(tmp_path, sasl=True)
    assert (tmp_path / "server.properties").stat().st_mode & 0o777 == 0o600


def test_single_node_overrides_and_loopback_only(tmp_path: Path) -> None:
    props = _properties(tmp_path)
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["auto.create.topics.enable"] == "false"
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "share.coordinator.state.topic.replication.factor",
        "share.coordinator.state.topic.min.isr",
    ):
        assert props[key] == "1", key
    assert props["group.initial.rebalance.delay.ms"] == "0"


def test_pom_has_kafka_and_the_logging_binding() -> None:
    pom = (DEPLOY_KAFKA / "pom.xml").read_text()
    assert "<artifactId>kafka_2.13</artifactId>" in pom
    assert "<artifactId>log4j-slf4j-impl</artifactId>" in pom


def test_jar_cache_is_keyed_by_the_pom(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    (deploy / "pom.xml").write_text("<project>one</project>")
    settings = LocalBrokerSettings(data_dir=tmp_path, cache_dir=tmp_path / "cache")
    first = LocalBroker(settings, deploy).libs_dir
    (deploy / "pom.xml").write_text("<project>two</project>")
    assert LocalBroker(settings, deploy).libs_dir != first


def test_the_broker_jvm_runs_c1_only_on_a_small_machine_unless_told() -> None:
    from frontdoor.broker.local import LocalBrokerSettings  # noqa: PLC0415

    auto = LocalBrokerSettings(jit="auto")
    assert auto.jit_options(cores=2) == ["-XX:TieredStopAtLevel=1"]
    assert auto.jit_options(cores=16) == []
    assert LocalBrokerSettings(jit="tiered").jit_options(cores=2) == []
    assert LocalBrokerSettings(jit="c1").jit_options(cores=16) == ["-XX:TieredStopAtLevel=1"]
