"""Commands for partner agencies: validate, submit and watch referrals."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import typer
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError
from rich.console import Console

from domain.validation import Accepted, NoticeRejected, validate_notice, validate_referral
from domain.working_time import UK_TIME
from runtime.kafka.clients import make_consumer, make_producer
from runtime.kafka.settings import KafkaSettings
from runtime.partners import load_registry
from schemas.contact import contact_id_for
from schemas.status import FieldError, StatusUpdate

console = Console(stderr=True)


@dataclass(frozen=True, slots=True)
class Checked:
    """The verdict on one referral in one file."""

    path: str
    line: int
    errors: list[FieldError]
    kind: str = "referral"

    def as_json(self) -> str:
        """The JSON line ``frontdoor validate`` prints for it."""
        return json.dumps(
            {
                "path": self.path,
                "line": self.line,
                "kind": self.kind,
                "valid": not self.errors,
                "errors": [error.model_dump() for error in self.errors],
            },
        )


def check_file(path: Path, organisation_id: str | None) -> Iterator[Checked]:
    """Validate every referral in a ``.json`` file (one) or ``.jsonl`` file (one per line)."""
    registry = load_registry() if organisation_id else None
    try:
        content = path.read_bytes()
    except OSError as error:
        reason = error.strerror or "cannot be read"
        yield Checked(str(path), 0, [FieldError(loc="path", msg=f"cannot read the file: {reason}")])
        return
    if path.suffix == ".jsonl":
        lines = [(number, raw) for number, raw in enumerate(content.split(b"\n"), 1) if raw.strip()]
    else:
        lines = [(1, content)]
    for number, raw in lines:
        if is_notice(raw):
            notice = validate_notice(
                raw, organisation_id=organisation_id, registry=registry, now=datetime.now(UTC)
            )
            errors = notice.errors if isinstance(notice, NoticeRejected) else []
            yield Checked(str(path), number, errors, NOTICE)
            continue
        verdict = validate_referral(raw, organisation_id=organisation_id, registry=registry)
        errors = [] if isinstance(verdict, Accepted) else verdict.errors
        yield Checked(str(path), number, errors)


NOTICE = "encompass-notice"


def is_notice(raw: bytes) -> bool:
    """Whether a message is an Encompass notice rather than a referral.

    A notice has a ``notice_id`` and no ``referral_id``.
    """
    try:
        document = json.loads(raw)
    except ValueError:
        return False
    return isinstance(document, dict) and "notice_id" in document and "referral_id" not in document


def validate(
    paths: list[Path] = typer.Argument(
        ..., help=".json (one message) or .jsonl (one a line): referrals or Encompass notices."
    ),
    org: str | None = typer.Option(
        None,
        help="Also check as if sent to this organisation's topic (registry included).",
    ),
) -> None:
    """Check referrals or Encompass notices before sending them: one JSON line per message.

    Referral v1 or Encompass notice v1 (a message with a ``notice_id`` and no ``referral_id``);
    each line says which kind it was taken for. Exit status 0 if every message is valid, 1 if
    any is not or a file holds none.
    """
    all_valid = True
    for path in paths:
        count = 0
        for checked in check_file(path, org):
            sys.stdout.write(checked.as_json() + "\n")
            all_valid = all_valid and not checked.errors
            count += 1
        if count == 0:  # nothing was validated: not a success
            console.print(f"{path}: no referrals in it", markup=False, soft_wrap=True)
            all_valid = False
    raise typer.Exit(0 if all_valid else 1)


def submit(
    path: Path = typer.Argument(..., help="One referral as a .json file."),
    org: str = typer.Option(..., help="Your organisation id (the topic you publish to)."),
) -> None:
    """Validate a referral locally, then publish it to your inbound topic; print its contact id."""
    (checked,) = check_file(path, org)
    if checked.errors:
        sys.stdout.write(checked.as_json() + "\n")
        console.print("[red]not sent: fix the errors above first[/red]")
        raise typer.Exit(1)
    raw = path.read_bytes()
    referral_id = json.loads(raw)["referral_id"]
    kafka = KafkaSettings()
    topic = kafka.topics.inbound(org)
    try:
        asyncio.run(_publish(kafka, topic, raw))
    except TopicAuthorizationFailedError:
        who = kafka.sasl_username or "anonymous"
        console.print(
            f"[red]not sent: the broker does not let {who} write to {topic}; each "
            "organisation may send only to its own topic, as its own user[/red]"
        )
        raise typer.Exit(1) from None
    except KafkaError as error:
        console.print(f"[red]not sent: {type(error).__name__}: {error}[/red]")
        raise typer.Exit(1) from None
    contact_id = contact_id_for(org, referral_id)
    sys.stdout.write(json.dumps({"contact_id": contact_id, "referral_id": referral_id}) + "\n")
    console.print(f"sent; follow it with: frontdoor watch --org {org} --referral {referral_id}")


async def _publish(kafka: KafkaSettings, topic: str, raw: bytes) -> None:
    producer = make_producer(kafka, client_id="frontdoor-submit")
    await producer.start()
    try:
        await producer.send_and_wait(topic, raw)
    finally:
        await producer.stop()


def watch(
    org: str = typer.Option(..., help="Your organisation id."),
    referral: str | None = typer.Option(None, help="Only this referral id."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per update."),
    from_start: bool = typer.Option(True, help="Show earlier updates first, then follow."),
    limit: int | None = typer.Option(None, help="Stop after this many updates."),
) -> None:
    """Follow your organisation's status updates live (Ctrl-C to stop)."""
    kafka = KafkaSettings()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            _watch(kafka, org, referral, as_json=as_json, from_start=from_start, limit=limit)
        )


async def _watch(
    kafka: KafkaSettings,
    org: str,
    referral: str | None,
    *,
    as_json: bool,
    from_start: bool,
    limit: int | None,
) -> None:
    topic = kafka.topics.status(org)
    consumer = make_consumer(kafka, group_id=None, client_id="frontdoor-watch", topics=[topic])
    await consumer.start()
    shown = 0
    try:
        if not from_start:
            while not consumer.assignment():  # noqa: ASYNC110 - aiokafka offers no event for it
                await asyncio.sleep(0.05)
            await consumer.seek_to_end()
        async for record in consumer:
            update = StatusUpdate.model_validate_json(record.value)
            if referral is not None and update.referral_id != referral:
                continue
            sys.stdout.write((update.model_dump_json() if as_json else _line(update)) + "\n")
            sys.stdout.flush()
            shown += 1
            if limit is not None and shown >= limit:
                return
    finally:
        await consumer.stop()


def _line(update: StatusUpdate) -> str:
    local = update.occurred_at.astimezone(UK_TIME)
    line = f"{local:%d %b %H:%M:%S}  {update.referral_id}  #{update.sequence}  "
    line += f"{update.status.value:<15} {update.message}"
    for error in update.errors:
        line += f"\n      {error.loc}: {error.msg}"
    return line
