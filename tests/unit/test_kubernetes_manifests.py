"""deploy/kubernetes: valid resources, generated from the registries, consistent with each other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from frontdoor.access.model import SERVICES, service_principal
from frontdoor.cli.deploy import MIN_INSYNC, REPLICAS, generated
from runtime.partners import load_registry
from schemas.topics import CORE_TOPICS, Topics

FOLDER = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"


def documents(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((FOLDER / name).read_text()) if doc]


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [
        doc
        for path in FOLDER.glob("*.yaml")
        for doc in documents(path.name)
        if doc.get("kind") == kind
    ]


def test_every_file_parses_and_every_resource_is_named() -> None:
    for path in FOLDER.glob("*.yaml"):
        for doc in documents(path.name):
            assert doc["apiVersion"]
            assert doc["kind"]
            if doc["kind"] != "Kustomization":
                assert doc["metadata"]["name"], path.name


def test_kustomization_lists_every_manifest() -> None:
    (kustomization,) = documents("kustomization.yaml")
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in FOLDER.glob("*.yaml")} - {"kustomization.yaml"}


def test_generated_files_are_up_to_date_with_the_registries() -> None:
    for name, text in generated().items():
        assert (FOLDER / name).read_text() == text, f"run `frontdoor deploy kubernetes` ({name})"


def test_topics_are_replicated_and_co_partitioned() -> None:
    topics = {doc["spec"]["topicName"]: doc["spec"] for doc in of_kind("KafkaTopic")}
    registry = Topics("")
    for spec in CORE_TOPICS:
        assert registry.name(spec) in topics
    for org in load_registry().ids:
        assert registry.inbound(org) in topics
        assert registry.status(org) in topics
    for spec in topics.values():
        assert spec["replicas"] == REPLICAS
        assert spec["config"]["min.insync.replicas"] == str(MIN_INSYNC)
    keyed_by_la = {registry.accepted, registry.actions, registry.cases}
    assert len({topics[name]["partitions"] for name in keyed_by_la}) == 1


def test_each_workload_connects_as_its_own_kafka_user() -> None:
    users = {doc["metadata"]["name"]: doc for doc in of_kind("KafkaUser")}
    workloads = of_kind("StatefulSet") + of_kind("Deployment")
    seen = set()
    for workload in workloads:
        if workload["spec"]["template"]["spec"]["containers"][0]["image"] != "frontdoor:latest":
            continue  # the records database's own PostgreSQL
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container["env"]}
        user = env["KAFKA_SASL_USERNAME"]["value"]
        assert user in users
        assert env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == user
        seen.add(user)
        if workload["kind"] == "StatefulSet":
            service = container["args"][1]
            assert user == service_principal(service, Topics(""))
            instance = env[f"FRONTDOOR_{service.upper()}_INSTANCE_ID"]["value"]
            assert instance == "$(POD_NAME)"  # stable across restarts: fences zombies
    assert seen == {service_principal(s, Topics("")) for s in SERVICES}


def test_a_partner_user_names_only_its_own_topics() -> None:
    partners = [
        u for u in of_kind("KafkaUser") if u["metadata"]["labels"]["frontdoor/role"] == "partner"
    ]
    assert {u["metadata"]["name"] for u in partners} == set(load_registry().ids)
    for user in partners:
        org = user["metadata"]["name"]
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        for acl in user["spec"]["authorization"]["acls"]:
            if acl["resource"]["type"] == "topic":
                assert acl["resource"]["name"].endswith("." + org)
                assert acl["resource"]["patternType"] == "literal"
            else:  # its consumer groups: under its id and a dot, never a bare prefix
                assert acl["resource"] == {
                    "type": "group",
                    "name": org + ".",
                    "patternType": "prefix",
                }


def test_every_workload_reads_the_councils_own_partner_registry_not_the_demo_one() -> None:
    (config,) = [c for c in of_kind("ConfigMap") if c["metadata"]["name"] == "frontdoor-config"]
    path = Path(config["data"]["FRONTDOOR_PARTNERS_FILE"])
    workloads = [
        w
        for w in of_kind("Deployment") + of_kind("StatefulSet")
        if w["spec"]["template"]["spec"]["containers"][0]["image"].startswith("frontdoor:")
    ]
    assert len(workloads) == 6  # intake, triage, notifier, records, dashboard, gateway
    for workload in workloads:
        spec = workload["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        assert {"configMapRef": {"name": "frontdoor-config"}} in container["envFrom"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volume = mounts[str(path.parent)]
        (source,) = [v for v in spec["volumes"] if v["name"] == volume]
        assert source["configMap"]["name"] == "frontdoor-partners", workload["metadata"]["name"]


def _workloads() -> dict[str, dict[str, Any]]:
    return {
        w["metadata"]["name"]: w["spec"]["template"]["spec"]
        for w in of_kind("Deployment") + of_kind("StatefulSet")
        if w["spec"]["template"]["spec"]["containers"][0]["image"].startswith("frontdoor:")
    }


def test_only_the_notifier_mounts_the_webhook_keys_and_the_registry_holds_none() -> None:
    """Third review, item 8: the keys were in the partner registry's ConfigMap, mounted into all
    six workloads, the internet-facing gateway included."""
    holders = {
        name
        for name, spec in _workloads().items()
        for volume in spec["volumes"]
        if volume.get("secret", {}).get("secretName") == "frontdoor-webhook-secrets"
    }
    assert holders == {"notifier"}
    (notifier,) = _workloads()["notifier"]["containers"]
    env = {e["name"]: e.get("value") for e in notifier["env"]}
    mounts = {m["name"]: m["mountPath"] for m in notifier["volumeMounts"]}
    assert env["FRONTDOOR_NOTIFIER_WEBHOOK_SECRETS_FILE"].startswith(mounts["webhook-secrets"])
    registries = [c for c in of_kind("ConfigMap") if c["metadata"]["name"] == "frontdoor-partners"]
    assert all("webhook_secret" not in str(c) for c in registries)


def test_the_page_servers_read_the_records_as_the_read_only_role() -> None:
    urls = {}
    for name, spec in _workloads().items():
        (container,) = spec["containers"]
        for variable in container["env"]:
            if variable["name"] == "FRONTDOOR_DATABASE_URL":
                urls[name] = variable["valueFrom"]["secretKeyRef"]["name"]
    assert urls == {
        "dashboard": "frontdoor-records-db-reader",
        "gateway": "frontdoor-records-db-reader",
        "records": "frontdoor-records-db",
    }
