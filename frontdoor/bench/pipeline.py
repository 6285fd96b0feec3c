"""``frontdoor bench``: the whole pipeline on the real broker, against two bare chains.

Intake, triage and notifier run as separate processes. A realistic mix from simulated
partners (several organisations and LAs, repeat contacts, resubmissions, amendments, invalid
messages) is sent at full speed (throughput: first publish to each message's final update to
its referrer; CPU seconds of each process and of the broker per referral; how many records
each service read and wrote, and how long they were) and at fixed offered rates — a third of
the pipeline's own full speed, so that runs compare across machines, and 500/s (latency:
publish to queue item, publish to the referrer's first update), and at full speed again with
every service exporting its spans (what tracing costs). Then the same messages go through two
chains of as many hops, one process each, on the same broker:

- the **plain** chain: each hop copies each record once, without transactions;
- the **fair** chain (DESIGN.md section 7): each hop writes what its service wrote per record
  it read — as many records, as long — in one transaction per batch with its offsets, and does
  nothing else: no validation, no state, no logic.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import httpx

from frontdoor.bench.bare import FanOut
from frontdoor.bench.processes import cpu_seconds, peak_rss_mb
from frontdoor.broker.local import free_port
from frontdoor.simulator.stream import Publication, ReferralStream
from runtime.kafka.admin import drop_topics, ensure_topics
from runtime.kafka.clients import make_consumer, make_producer
from runtime.kafka.settings import KafkaSettings
from runtime.partners import load_registry
from runtime.tracing import ENDPOINT_VARIABLES
from schemas.topics import CORE_TOPICS, TopicSpec

# A referral's pipeline ends with triage's decision on it (one, naming its input), or with its
# rejection. Not with a status to the referrer: a proposal of early help or no further action
# is told to nobody until a person decides it (DOMAIN B "Who decides"), and people are no part
# of a throughput figure.
REJECTED = "rejected"
PIPELINE = ("intake", "triage", "notifier")
# Seconds at the offered rate before latency counts: just-started services are slow for a
# couple of seconds (measured: up to 1.2 s at first, 40-75 ms at the median after ~3 s).
WARM_UP_S = 4.0
# Messages through each bare chain at the least (the run's own repeated): ~8 s of the fair chain
CHAIN_MIN = 30_000
Progress = Callable[[str, int, int], None]


@dataclass
class Running:
    """Service processes of one benchmark run."""

    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    health_ports: dict[str, int] = field(default_factory=dict)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds each process has used so far."""
        return {name: cpu_seconds(process.pid) for name, process in self.processes.items()}

    async def counters(self) -> dict[str, dict[str, int]]:
        """Each service's counters from its /health (records in and out, batches)."""
        async with httpx.AsyncClient(timeout=10) as client:
            return {
                name: (await client.get(f"http://127.0.0.1:{port}/health")).json()["counters"]
                for name, port in self.health_ports.items()
            }

    def peak_rss_mb(self) -> dict[str, float]:
        """Peak resident memory of each process."""
        return {name: peak_rss_mb(process.pid) for name, process in self.processes.items()}

    def stop(self) -> None:
        """Stop every process and wait for it."""
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            process.wait(30)


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0}
    ordered = sorted(values)

    def pick(quantile: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(quantile * len(ordered)))], 1)

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99)}


def _referral_id(publication: Publication) -> str | None:
    try:
        value = json.loads(publication.value).get("referral_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


class OtlpSink:
    """An OTLP/HTTP endpoint on 127.0.0.1 that takes every export and drops it, counting.

    The services pay all of tracing's cost (spans, batching, protobuf, HTTP); nothing is kept.
    """

    def __init__(self) -> None:
        """Not listening until entered."""
        self.requests = 0
        self.bytes = 0
        sink = self

        class Drop(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length", 0))
                self.rfile.read(size)
                sink.requests += 1
                sink.bytes += size
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Drop)

    @property
    def env(self) -> dict[str, str]:
        """What turns a service's tracing on, exporting here."""
        return {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{self.server.server_port}"}

    def __enter__(self) -> Self:
        """Listen, in a thread of its own."""
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        """Stop listening."""
        self.server.shutdown()
        self.server.server_close()


class PipelineBench:
    """One benchmark run against the broker at ``bootstrap``."""

    def __init__(self, bootstrap: str, progress: Progress) -> None:
        """Measure on ``bootstrap``; report progress through ``progress(phase, done, total)``."""
        self.bootstrap = bootstrap
        self.progress = progress
        self.registry = load_registry()
        self.namespaces: list[KafkaSettings] = []

    def _kafka(self) -> KafkaSettings:
        """A namespace of its own for one phase; :meth:`clean_up` deletes it afterwards."""
        kafka = KafkaSettings(
            bootstrap_servers=self.bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:8]}."
        )
        self.namespaces.append(kafka)
        return kafka

    async def clean_up(self) -> None:
        """Delete every topic the run created, so that later runs meet a broker like this one."""
        for kafka in self.namespaces:
            await drop_topics(kafka)
        self.namespaces.clear()

    def _env(self, kafka: KafkaSettings) -> dict[str, str]:
        environment = {
            name: value for name, value in os.environ.items() if name not in ENDPOINT_VARIABLES
        }
        return environment | {
            "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "FRONTDOOR_TOPIC_PREFIX": kafka.topic_prefix,
            **{f"FRONTDOOR_{name.upper()}_LOG_LEVEL": "WARNING" for name in PIPELINE},
        }

    async def _start_pipeline(
        self, kafka: KafkaSettings, extra_env: dict[str, str] | None = None
    ) -> Running:
        await ensure_topics(kafka, self.registry.topic_specs(kafka.topics))
        running = Running()
        for name in PIPELINE:
            port = running.health_ports[name] = free_port()
            running.processes[name] = subprocess.Popen(  # noqa: ASYNC220 - long-lived children
                [sys.executable, "-m", "frontdoor", "run", name],
                env=self._env(kafka)
                | {f"FRONTDOOR_{name.upper()}_HEALTH_PORT": str(port)}
                | (extra_env or {}),
            )
        await self._warm_up(kafka)
        return running

    async def _warm_up(self, kafka: KafkaSettings) -> None:
        """One referral through, so every process has joined its group before timing starts."""
        stream = ReferralStream(self.registry, seed=1)
        first = next(p for p in stream if p.kind == "new")
        await self._publish(kafka, [first], rate=None)
        await self._await_updates(kafka, {(first.organisation_id, _referral_id(first))}, "warm-up")

    async def _publish(
        self,
        kafka: KafkaSettings,
        messages: list[Publication],
        rate: float | None,
        sent_at: dict[tuple[str, str | None], float] | None = None,
    ) -> None:
        producer = make_producer(kafka, client_id="bench-partners", linger_ms=5)
        await producer.start()
        try:
            started = time.monotonic()
            for number, message in enumerate(messages):
                if rate is not None:
                    delay = started + number / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                if sent_at is not None:
                    sent_at[(message.organisation_id, _referral_id(message))] = time.monotonic()
                await producer.send(kafka.topics.inbound(message.organisation_id), message.value)
            await producer.flush()
        finally:
            await producer.stop()

    async def _await_updates(
        self,
        kafka: KafkaSettings,
        expected: set[tuple[str, str | None]] | int,
        phase: str,
        on_update: Callable[[dict[str, Any], float], None] | None = None,
    ) -> float:
        """Wait until triage has decided, or intake rejected, every message; return when that was.

        ``on_update`` sees every status update the referrers receive.
        """
        total = expected if isinstance(expected, int) else len(expected)
        topics = [kafka.topics.status(org) for org in self.registry.ids]
        decisions = kafka.topics.decisions
        consumer = make_consumer(
            kafka, group_id=None, client_id="bench-referrers", topics=[*topics, decisions]
        )
        await consumer.start()
        finals = 0
        try:
            while finals < total:
                batch = await consumer.getmany(timeout_ms=200)
                now = time.monotonic()
                for records in batch.values():
                    for record in records:
                        # plain JSON: the measuring side should not eat the CPU it measures
                        document = json.loads(record.value)
                        if record.topic == decisions:  # the one answering an input names it
                            finals += document.get("origin") is not None
                            continue
                        if on_update is not None:
                            on_update(document, now)
                        finals += document["status"] == REJECTED
                self.progress(phase, finals, total)
        finally:
            await consumer.stop()
        return time.monotonic()

    async def full_speed(
        self,
        messages: list[Publication],
        phase: str = "full speed",
        broker_pid: int | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Every message as fast as it can be sent; end-to-end referrals per second.

        Also the CPU each process (and the broker, given its pid) spent per referral, and what
        each service read and wrote: the fair chain's recipe. ``extra_env`` goes to each
        service (tracing on, for one).
        """
        kafka = self._kafka()
        running = await self._start_pipeline(kafka, extra_env)
        try:
            # +1: the warm-up referral's final update is on the same topics
            waiting = asyncio.create_task(self._await_updates(kafka, len(messages) + 1, phase))
            cpu_before = running.cpu_seconds()
            broker_before = cpu_seconds(broker_pid) if broker_pid else None
            started = time.monotonic()
            await self._publish(kafka, messages, rate=None)
            finished = await waiting
            seconds = finished - started
            await asyncio.sleep(1.0)  # the last transactions' counters
            cpu = {n: s - cpu_before[n] for n, s in running.cpu_seconds().items()}
            if broker_pid and broker_before is not None:
                cpu["broker"] = cpu_seconds(broker_pid) - broker_before
            counters = await running.counters()
            return {
                "referrals": len(messages),
                "seconds": round(seconds, 2),
                "referrals_per_s": round(len(messages) / seconds),
                "peak_rss_mb": running.peak_rss_mb(),
                "cpu_ms_per_referral": {
                    name: round(used * 1000 / len(messages), 3) for name, used in cpu.items()
                },
                "records": {
                    name: {
                        "in": counters[name].get("records_in", 0),
                        "out": counters[name].get("records_out", 0),
                        "batches": counters[name].get("batches", 0),
                    }
                    for name in PIPELINE
                },
                "mean_bytes_out": await self._mean_bytes_out(kafka),
                # level 3 and 4 cases ask the partners' checks in the same transactions
                "check_requests": await self._check_requests(kafka),
            }
        finally:
            running.stop()

    async def _check_requests(self, kafka: KafkaSettings) -> int:
        """How many partner check requests triage wrote (with their reminders and receipts)."""
        total = 0
        for org in self.registry.checking_ids:
            total += len(await _record_sizes(kafka, kafka.topics.check_requests(org)))
        return total

    async def _mean_bytes_out(self, kafka: KafkaSettings) -> dict[str, int]:
        """The mean length of the records each service wrote, read back from its topics."""
        topics = kafka.topics
        written = {
            "intake": [topics.accepted, topics.invalid, topics.rejections, topics.status_events],
            "triage": [
                topics.cases,
                topics.decisions,
                topics.queue_enquiry_assessment,
                topics.queue_early_help,
                topics.status_events,
                *(topics.check_requests(org) for org in self.registry.checking_ids),
            ],
            "notifier": [
                topics.notifier_sequences,
                *(topics.status(org) for org in self.registry.ids),
            ],
        }
        sizes: dict[str, list[int]] = {}
        for names in written.values():
            for name in names:
                if name not in sizes:
                    sizes[name] = await _record_sizes(kafka, name)
        return {
            service: round(statistics.fmean(s for name in names for s in sizes[name]) or 0)
            for service, names in written.items()
        }

    async def fixed_rate(
        self, messages: list[Publication], rate: float, warm_up_s: float = WARM_UP_S
    ) -> dict[str, Any]:
        """Messages at ``rate`` per second; latency to the queue and to the referrer.

        The first ``warm_up_s`` seconds of messages are the services' own warm-up (first
        requests to each topic and partition, first transactions, first code paths): their
        latencies are reported apart, and the percentiles are those of the steady state.
        """
        kafka = self._kafka()
        running = await self._start_pipeline(kafka)
        sent_at: dict[tuple[str, str | None], float] = {}
        first = int(rate * warm_up_s)
        warming = {(m.organisation_id, _referral_id(m)) for m in messages[:first]}
        to_queue: list[float] = []
        to_referrer: list[float] = []
        first_to_queue: list[float] = []

        told: set[tuple[str, str | None]] = set()

        def on_update(update: dict[str, Any], now: float) -> None:
            key = (update["organisation_id"], update["referral_id"])
            if update["status"] in ("received", "rejected") and key in sent_at and key not in told:
                told.add(key)
                if key not in warming:
                    to_referrer.append((now - sent_at[key]) * 1000)

        async def queue_items() -> None:
            # every new contact reaches the screening queue, a person's (E&A's too, at once)
            topics = [kafka.topics.queue_screening]
            consumer = make_consumer(kafka, group_id=None, client_id="bench-teams", topics=topics)
            queued: set[tuple[str, str | None]] = set()
            await consumer.start()
            try:
                async for record in consumer:
                    item = json.loads(record.value)
                    contact = item["case"]["contacts"][-1]
                    key = (contact["organisation_id"], contact["referral_id"])
                    if key in sent_at and key not in queued:
                        queued.add(key)
                        took = (time.monotonic() - sent_at[key]) * 1000
                        (first_to_queue if key in warming else to_queue).append(took)
            finally:
                await consumer.stop()

        try:
            teams = asyncio.create_task(queue_items())
            waiting = asyncio.create_task(
                self._await_updates(kafka, len(messages) + 1, f"{rate:.0f}/s offered", on_update),
            )
            await self._publish(kafka, messages, rate=rate, sent_at=sent_at)
            await waiting
            await asyncio.sleep(0.5)
            teams.cancel()
            return {
                "offered_per_s": rate,
                "referrals": len(messages) - first,
                "warm_up": {
                    "seconds": warm_up_s,
                    "referrals": first,
                    "publish_to_queue_item_ms": _percentiles(first_to_queue),
                },
                "publish_to_queue_item_ms": _percentiles(to_queue),
                "publish_to_referrer_update_ms": _percentiles(to_referrer),
                "peak_rss_mb": running.peak_rss_mb(),
            }
        finally:
            running.stop()

    async def bare_chain(
        self,
        messages: list[Publication],
        fan_outs: list[FanOut] | None = None,
        broker_pid: int | None = None,
    ) -> dict[str, Any]:
        """The same messages through three consume-produce hops, one process each.

        Plain without ``fan_outs``; with them, the fair chain (one :class:`FanOut` a hop). Also
        the CPU each hop and the broker (given its pid) spent per message, as for the pipeline.
        """
        kafka = self._kafka()
        spec = next(s for s in CORE_TOPICS if s.name == "referrals.accepted")
        hops = [f"{kafka.topic_prefix}bare.{n}" for n in range(len(PIPELINE) + 1)]
        side = f"{kafka.topic_prefix}bare.side"
        await ensure_topics(
            kafka,
            [
                (name, TopicSpec(name, spec.partitions, -1, spec.cleanup, "bench"))
                for name in [*hops, side]
            ],
        )
        env = self._env(kafka)
        recipes = (
            [[]] * len(PIPELINE)
            if fan_outs is None
            else [[side, str(f.forward), str(f.extra), str(f.size)] for f in fan_outs]
        )
        processes = [
            subprocess.Popen(  # noqa: ASYNC220 - long-lived children
                [sys.executable, "-m", "frontdoor.bench.bare", source, sink, *recipe],
                env=env,
            )
            for (source, sink), recipe in zip(itertools.pairwise(hops), recipes, strict=True)
        ]
        expected = len(messages) if fan_outs is None else _arriving(len(messages), fan_outs)
        try:
            consumer = make_consumer(
                kafka, group_id=None, client_id="bench-bare-end", topics=[hops[-1]]
            )
            await consumer.start()
            producer = make_producer(kafka, client_id="bench-bare", linger_ms=5)
            await producer.start()
            warm_up = 0
            while warm_up == 0:  # the fair chain may need a few records before one goes on
                await producer.send_and_wait(hops[0], b"warm-up")
                batch = await consumer.getmany(timeout_ms=500)
                warm_up = sum(len(records) for records in batch.values())
            while await consumer.getmany(timeout_ms=1000):
                pass  # the rest of the warm-up
            phase = "plain chain" if fan_outs is None else "fair chain"
            cpu_before = [cpu_seconds(process.pid) for process in processes]
            broker_before = cpu_seconds(broker_pid) if broker_pid else 0.0
            started = time.monotonic()
            for message in messages:
                await producer.send(hops[0], message.value, key=message.organisation_id.encode())
            await producer.flush()
            await producer.stop()
            arrived = 0
            while arrived < expected:
                batch = await consumer.getmany(timeout_ms=200)
                arrived += sum(len(records) for records in batch.values())
                self.progress(phase, arrived, expected)
            seconds = time.monotonic() - started
            cpu = [
                cpu_seconds(hop.pid) - before
                for hop, before in zip(processes, cpu_before, strict=True)
            ]
            if broker_pid:
                cpu.append(cpu_seconds(broker_pid) - broker_before)
            await consumer.stop()
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(30)
        return {
            "hops": len(PIPELINE),
            "seconds": round(seconds, 2),
            "messages_per_s": round(len(messages) / seconds),
            # per hop, then the broker's
            "cpu_ms_per_message": [round(used * 1000 / len(messages), 3) for used in cpu],
            **(
                {
                    "fan_out": [
                        {"forward": f.forward, "extra": f.extra, "bytes": f.size} for f in fan_outs
                    ]
                }
                if fan_outs
                else {}
            ),
        }


def fair_recipe(full: dict[str, Any]) -> list[FanOut]:
    """Each hop's fan-out, from what the services read and wrote at full speed.

    Hop by hop, per record read: as many records on to the next hop as the next service read
    per record this one read, and the rest of what this service wrote to a side topic. (The
    notifier reads the status events of intake and triage: in the chain all of them come
    through the second hop, and intake's count as its side records; every hop still writes
    what its service wrote.)
    """
    records, sizes = full["records"], full["mean_bytes_out"]
    recipe = []
    for number, name in enumerate(PIPELINE):
        read = max(records[name]["in"], 1)
        written = records[name]["out"] / read
        after = PIPELINE[number + 1] if number + 1 < len(PIPELINE) else None
        ahead = records[after]["in"] / read if after else 1.0  # the last: to the end
        ahead = min(ahead, written) if after else min(1.0, written)
        recipe.append(
            FanOut(round(ahead, 4), round(max(written - ahead, 0.0), 4), max(sizes[name], 1))
        )
    return recipe


def _arriving(count: int, fan_outs: list[FanOut]) -> int:
    """How many records reach the fair chain's end for ``count`` sent (the hops' arithmetic)."""
    for fan_out in fan_outs:
        counter = FanOut(fan_out.forward, fan_out.extra, fan_out.size)
        count = sum(counter.counts()[0] for _ in range(count))
    return count


async def _record_sizes(kafka: KafkaSettings, topic: str) -> list[int]:
    """The length of every committed record of ``topic``."""
    consumer = make_consumer(kafka, group_id=None, client_id="bench-sizes", topics=[topic])
    await consumer.start()
    sizes: list[int] = []
    try:
        while batch := await consumer.getmany(timeout_ms=1000):
            sizes += [len(r.value or b"") for records in batch.values() for r in records]
    finally:
        await consumer.stop()
    return sizes


def realistic_mix(count: int, seed: int) -> list[Publication]:
    """``count`` messages from the simulated partners."""
    stream = ReferralStream(load_registry(), seed=seed)
    return [stream.next() for _ in range(count)]


async def run(
    bootstrap: str,
    count: int,
    rate: float,
    progress: Progress,
    broker_pid: int | None = None,
    *,
    chain_min: int = CHAIN_MIN,
) -> dict[str, Any]:
    """The whole benchmark; one result document.

    The chains get the same messages repeated to at least ``chain_min``: at several thousand a
    second, the bench's own count would be over in a second or two, too short to be steady.
    """
    bench = PipelineBench(bootstrap, progress)
    messages = realistic_mix(count, seed=11)
    try:
        # Not measured: a fresh broker's JVM compiles its hot paths over the first few thousand
        # requests (measured runs on a cold broker were a quarter slower), so warm it first.
        await bench.full_speed(realistic_mix(min(count, 2000), seed=10), phase="warm-up")
        full = await bench.full_speed(messages, broker_pid=broker_pid)
        third = max(10.0, round(full["referrals_per_s"] / 3))
        offered = []
        for offered_rate in (third, rate):
            measured = max(200, count // 4) + int(offered_rate * WARM_UP_S)
            offered.append(await bench.fixed_rate(realistic_mix(measured, seed=12), offered_rate))
        with OtlpSink() as sink:  # every service exporting its spans, to a sink that drops them
            traced = await bench.full_speed(
                messages, phase="tracing on", broker_pid=broker_pid, extra_env=sink.env
            )
        chained = (messages * -(-chain_min // len(messages)))[: max(chain_min, len(messages))]
        plain = await bench.bare_chain(chained, broker_pid=broker_pid)
        fair = await bench.bare_chain(chained, fair_recipe(full), broker_pid=broker_pid)
    finally:
        await bench.clean_up()
    return {
        "bench": "pipeline",
        "referrals": count,
        "mean_message_bytes": round(statistics.fmean(len(m.value) for m in messages)),
        "end_to_end_referrals_per_s": full["referrals_per_s"],
        "full_speed": full,
        "at_a_third_of_full_speed": offered[0],
        "fixed_rate": offered[1],
        "bare_chain": plain,
        "fair_chain": fair,
        "pipeline_to_bare_ratio": round(full["referrals_per_s"] / plain["messages_per_s"], 3),
        "pipeline_to_fair_ratio": round(full["referrals_per_s"] / fair["messages_per_s"], 3),
        "tracing": tracing_cost(full, traced, sink),
    }


def tracing_cost(off: dict[str, Any], on: dict[str, Any], sink: OtlpSink) -> dict[str, Any]:
    """What exporting every span costs: CPU per referral and speed, with tracing off and on."""
    cpu_off, cpu_on = off["cpu_ms_per_referral"], on["cpu_ms_per_referral"]
    return {
        "referrals_per_s": {"off": off["referrals_per_s"], "on": on["referrals_per_s"]},
        "cpu_ms_per_referral": {
            name: {"off": cpu_off[name], "on": cpu_on[name]} for name in PIPELINE
        },
        "services_cpu_ms_per_referral": {
            "off": round(sum(cpu_off[name] for name in PIPELINE), 3),
            "on": round(sum(cpu_on[name] for name in PIPELINE), 3),
        },
        "exported": {"requests": sink.requests, "bytes": sink.bytes},
    }
