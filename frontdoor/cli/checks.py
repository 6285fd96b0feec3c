"""``frontdoor checks``: a partner's engineer lists and answers partner checks over Kafka.

Like ``submit`` and ``watch``: connects with ``KAFKA_*`` as the organisation's own user, reads
only ``checks.requests.<org>`` and writes only ``checks.answers.<org>``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError
from rich.console import Console

from domain.validation import AnswerRejected, validate_answer
from domain.working_time import UK_TIME
from runtime.kafka.clients import make_consumer, make_producer
from runtime.kafka.settings import KafkaSettings
from schemas.checks import CheckFlag, CheckMessageKind, CheckResult

app = typer.Typer(help="Partner checks: list the requests sent to you, and answer them.")
console = Console(stderr=True)
RECEIPT_WAIT_S = 30.0


async def _read_to_end(kafka: KafkaSettings, topic: str) -> list[dict[str, Any]]:
    """Every message on ``topic`` now, oldest first."""
    consumer = make_consumer(kafka, group_id=None, client_id="frontdoor-checks", topics=[topic])
    await consumer.start()
    try:
        return await _drain(consumer, topic)
    finally:
        await consumer.stop()


async def _drain(consumer: AIOKafkaConsumer, topic: str) -> list[dict[str, Any]]:
    while not consumer.assignment():  # noqa: ASYNC110 - aiokafka offers no event for it
        await asyncio.sleep(0.05)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    ends = await consumer.end_offsets(partitions)
    messages: list[dict[str, Any]] = []
    while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
        batch = await consumer.getmany(timeout_ms=500)
        messages += [json.loads(r.value or b"{}") for records in batch.values() for r in records]
    return messages


def open_requests(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The requests still waiting for an answer: asked, not withdrawn, no answer recorded."""
    requests: dict[str, dict[str, Any]] = {}
    for message in messages:
        kind, request_id = message.get("kind"), str(message.get("request_id"))
        if kind == CheckMessageKind.REQUEST:
            requests[request_id] = message
        elif kind == CheckMessageKind.REMINDER and request_id in requests:
            requests[request_id] = message | {"reminded": True}
        elif kind in {CheckMessageKind.WITHDRAWN, CheckMessageKind.ANSWER_RECORDED}:
            requests.pop(request_id, None)
    return sorted(requests.values(), key=lambda m: m["due"])


@app.command("list")
def list_checks(
    org: str = typer.Option(..., help="Your organisation id."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per open request."),
) -> None:
    """The open check requests sent to your organisation, soonest due first."""
    kafka = KafkaSettings()
    topic = kafka.topics.check_requests(org)
    try:
        waiting = open_requests(asyncio.run(_read_to_end(kafka, topic)))
    except TopicAuthorizationFailedError:
        console.print(f"[red]the broker does not let you read {topic}: only {org} may[/red]")
        raise typer.Exit(1) from None
    for request in waiting:
        if as_json:
            sys.stdout.write(json.dumps(request) + "\n")
            continue
        child = request["child"]
        born = child.get("date_of_birth") or f"expected {child.get('expected_date_of_birth')}"
        due = datetime.fromisoformat(request["due"]).astimezone(UK_TIME)
        overdue = " OVERDUE" if due < datetime.now(UTC) else ""
        reminded = " (reminded)" if request.get("reminded") else ""
        sys.stdout.write(
            f"{request['request_id']}  {request['rag']:<5}  due {due:%d %b %H:%M}{overdue}"
            f"{reminded}  {child.get('given_name') or ''} {child.get('family_name') or ''}, "
            f"{born}  ({request['purpose']})\n"
        )
    console.print(f"{len(waiting)} open")


@app.command("answer")
def answer(  # noqa: PLR0917 - a command's options
    request_id: str = typer.Argument(..., help="The request answered (chk-<LA>-<hex>)."),
    org: str = typer.Option(..., help="Your organisation id."),
    result: CheckResult = typer.Option(..., help="information, no-trace or declined."),
    name: str = typer.Option(..., help="Who answers."),
    role: str = typer.Option(..., help="Their role."),
    information: str | None = typer.Option(None, help="What your records hold."),
    information_file: Path | None = typer.Option(None, help="Read the information from a file."),
    flag: list[CheckFlag] = typer.Option([], help="known-to-agency, open-involvement, ..."),
    reason: str | None = typer.Option(None, help="Why you decline (required to decline)."),
) -> None:
    """Answer one request, once; wait for the front door to say it was recorded or refused.

    Exit status 0 when recorded, 1 when refused or not sent.
    """
    if information_file is not None:
        information = information_file.read_text()
    document: dict[str, Any] = {
        "request_id": request_id,
        "result": result.value,
        "answered_by": {"name": name, "role": role},
        "answered_at": datetime.now(UTC).isoformat(),
        "information": information,
        "flags": [f.value for f in flag] or None,
        "reason": reason,
    }
    raw = json.dumps({k: v for k, v in document.items() if v is not None}).encode()
    verdict = validate_answer(raw, now=datetime.now(UTC))
    if isinstance(verdict, AnswerRejected):
        for error in verdict.errors:
            console.print(f"[red]{error.loc}: {error.msg}[/red]")
        raise typer.Exit(1)
    kafka = KafkaSettings()
    try:
        receipt = asyncio.run(_answer(kafka, org, request_id, raw))
    except TopicAuthorizationFailedError:
        console.print(
            f"[red]not sent: the broker does not let you write {kafka.topics.check_answers(org)}"
            "[/red]"
        )
        raise typer.Exit(1) from None
    except KafkaError as error:
        console.print(f"[red]not sent: {type(error).__name__}: {error}[/red]")
        raise typer.Exit(1) from None
    if receipt is None:
        console.print(
            f"sent; no receipt within {RECEIPT_WAIT_S:.0f} s (see: frontdoor checks list)"
        )
        return
    sys.stdout.write(json.dumps(receipt) + "\n")
    if receipt["kind"] != CheckMessageKind.ANSWER_RECORDED:
        for problem in receipt.get("errors", []):
            console.print(f"[red]{problem['loc']}: {problem['msg']}[/red]")
        raise typer.Exit(1)
    console.print("recorded" + (" (late)" if receipt.get("late") else ""))


async def _answer(
    kafka: KafkaSettings, org: str, request_id: str, raw: bytes
) -> dict[str, Any] | None:
    """Send the answer; the front door's receipt for it, if it comes within the wait."""
    topic = kafka.topics.check_requests(org)
    consumer = make_consumer(kafka, group_id=None, client_id="frontdoor-checks", topics=[topic])
    await consumer.start()
    try:
        await _drain(consumer, topic)  # from here on, only what comes after the answer
        producer = make_producer(kafka, client_id="frontdoor-checks")
        await producer.start()
        try:
            await producer.send_and_wait(
                kafka.topics.check_answers(org), raw, key=request_id.encode()
            )
        finally:
            await producer.stop()
        async with asyncio.timeout(RECEIPT_WAIT_S):
            async for record in consumer:
                message = json.loads(record.value or b"{}")
                receipt_kinds = {CheckMessageKind.ANSWER_RECORDED, CheckMessageKind.ANSWER_REFUSED}
                if message.get("kind") in receipt_kinds and message.get("request_id") == request_id:
                    return dict(message)
    except TimeoutError:
        return None
    finally:
        await consumer.stop()
    return None
