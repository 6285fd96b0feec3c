"""Data the database refuses never stops the records (third review, item 2).

On PostgreSQL a NUL in text is refused, and so is a string longer than its column; the records
service used to take either for "database unavailable" and retry the batch forever, so nothing
new reached the dashboard for any council. Now a refused record goes to the dead letters with
the kind of error and the rest of its batch is written; an over-long value is cut to its column.
Run on SQLite and on a real PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiokafka import TopicPartition
from gateway_app import SentRecords
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.policies import PolicyBook
from domain.policy import load_policy
from factories import NOW, accepted, referral
from fakes import FakeRecord
from runtime.health import Health
from runtime.kafka.settings import KafkaSettings
from runtime.records_db import tables
from runtime.records_db.database import make_engine, upgrade
from schemas.topics import Topics
from services.records.projection import Projection
from services.records.sink import RecordsSink
from services.records.store import RecordsStore
from services.triage.engine import TriageEngine

TOPICS = Topics()


def two_cases() -> tuple[bytes, bytes]:
    """Two cases as triage writes them, about two children."""
    engine = TriageEngine(PolicyBook.single(load_policy()))
    first = engine.on_referral(accepted(referral(referral_id="R-1")), 0).case_json
    other_child = referral(
        referral_id="R-2",
        child=referral()["child"]
        | {"given_name": "Ava", "family_name": "Stone", "date_of_birth": "2015-01-02"}
        | {"nhs_number": None, "upn": None},
    )
    second = engine.on_referral(accepted(other_child, offset=1), 0).case_json
    return next(iter(first.values())), next(iter(second.values()))


def with_nul(case_json: bytes) -> bytes:
    """The case with a NUL in its first contact's summary (which no contract now lets in)."""
    document = json.loads(case_json)
    document["contacts"][0]["summary"] = "before\u0000after"
    return json.dumps(document).encode()


async def record(store: RecordsStore, records: list[FakeRecord]) -> SentRecords:
    sink = RecordsSink(
        kafka=KafkaSettings(),
        pattern="^x$",
        store=store,
        projection=Projection(TOPICS),
        health=Health("records"),
    )
    dead = SentRecords()  # the sink's producer: what it sets aside
    by_partition: dict[Any, list[FakeRecord]] = {}
    for r in records:
        by_partition.setdefault((r.topic, r.partition), []).append(r)
    batch = {TopicPartition(*tp): recs for tp, recs in by_partition.items()}
    await asyncio.wait_for(sink._record(batch, dead, asyncio.Event()), 30)  # type: ignore[arg-type]
    return dead


def test_a_nul_in_text_sets_that_record_aside_and_the_rest_of_the_batch_is_written(
    store: RecordsStore, database_url: str
) -> None:
    first, second = two_cases()
    poisoned = FakeRecord(TOPICS.cases, with_nul(first), partition=0)
    after = FakeRecord(TOPICS.cases, second, partition=0)
    dead = asyncio.run(record(store, [poisoned, after]))

    with Session(store.engine) as session:
        cases = set(session.scalars(select(tables.Case.case_id)))
    assert json.loads(second)["case_id"] in cases  # the record after it was not held up
    assert store.next_offsets()[TOPICS.cases, 0] == after.offset + 1  # read past both
    if database_url.startswith("postgresql"):
        ((topic, value, _key),) = dead.sent
        headers = dict(*dead.headers)
        assert (topic, value) == (TOPICS.dead_letter, poisoned.value)
        assert headers["frontdoor-reason"] == b"records: the database refused it (DataError)"
        assert json.loads(first)["case_id"] not in cases
    else:  # SQLite keeps a NUL: nothing to set aside
        assert dead.sent == []
        assert json.loads(first)["case_id"] in cases


def test_a_value_longer_than_its_column_is_cut_to_it_and_written(store: RecordsStore) -> None:
    """A partner's name and role (up to 300 characters) fit decided_by whole; anything longer
    is cut to the column, never a reason to stop."""
    _, second = two_cases()
    decision = {
        "decision_id": "d-1",
        "case_id": json.loads(second)["case_id"],
        "local_authority": "808",
        "kind": "check-answered",
        "decided_by": "cleveland-police: " + "r" * 200,
        "decided_at": NOW.isoformat(),
        "reason": "answered",
    }
    longer = decision | {"decision_id": "d-2", "decided_by": "x" * 1000}
    records = [
        FakeRecord(TOPICS.decisions, json.dumps(d).encode(), partition=1)
        for d in (decision, longer)
    ]
    dead = asyncio.run(record(store, records))
    assert dead.sent == []
    with Session(store.engine) as session:
        found = session.execute(select(tables.Decision.decision_id, tables.Decision.decided_by))
        stored = {row.decision_id: row.decided_by for row in found.all()}
    assert stored == {"d-1": decision["decided_by"], "d-2": "x" * tables.DECIDED_BY_CHARS}


def test_the_read_only_role_reads_every_table_and_writes_none(database_url: str) -> None:
    """Third review, item 8: the gateway and the dashboard connect as the role the manifests'
    reader.sql makes (run, as on a first start, before the migrations make the tables)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("roles are PostgreSQL's")
    import yaml  # noqa: PLC0415
    from sqlalchemy import text  # noqa: PLC0415
    from sqlalchemy.engine import make_url  # noqa: PLC0415
    from sqlalchemy.exc import ProgrammingError  # noqa: PLC0415

    from conftest import ROOT  # noqa: PLC0415

    manifest = yaml.safe_load_all((ROOT / "deploy/kubernetes/records-db.yaml").read_text())
    (init,) = [d for d in manifest if d and d["metadata"]["name"] == "records-db-init"]
    name = make_url(database_url).database
    sql = (
        init["data"]["reader.sql"]
        .replace(":'reader_password'", "'a test password'")
        .replace("DATABASE records", f'DATABASE "{name}"')
    )
    owner = make_engine(database_url)
    with owner.begin() as connection:
        connection.exec_driver_sql("DROP ROLE IF EXISTS frontdoor_reader")
        for statement in filter(str.strip, sql.split(";")):
            connection.exec_driver_sql(statement)
    upgrade(owner)  # the migrations, as the owner, after the role exists
    owner.dispose()

    reader = make_engine(
        make_url(database_url)
        .set(username="frontdoor_reader")
        .render_as_string(hide_password=False)
    )
    try:
        with reader.connect() as connection:
            for table in ("cases", "contacts", "referrals", "decisions", "consumed_offsets"):
                connection.execute(text(f"SELECT count(*) FROM {table}"))  # noqa: S608
        with pytest.raises(ProgrammingError, match="permission denied"), reader.begin() as writing:
            writing.execute(text("DELETE FROM cases"))
    finally:
        reader.dispose()
