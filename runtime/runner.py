"""Runs one service process: settings, logging, health endpoint, topics, graceful shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import structlog
from aiokafka.errors import KafkaConnectionError
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from runtime.health import Health, serve_health
from runtime.kafka.settings import KafkaSettings
from runtime.policies import PolicySettings

log = structlog.get_logger(__name__)
RETRY_FIRST_S, RETRY_MAX_S = 0.5, 10.0


class ServiceSettings(BaseSettings):
    """Settings every service has; each service subclasses it with its own env prefix."""

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_SERVICE_", extra="ignore")

    instance_id: str = Field(
        default="0",
        description="Stable id of this process among its service's replicas (fences zombies).",
    )
    health_port: int | None = Field(
        default=None,
        description="Port of the /health endpoint on 127.0.0.1; none if unset.",
    )
    log_level: str = Field(default="INFO", description="Lowest log level written.")
    commit_interval_ms: int = Field(
        default=0,
        ge=0,
        le=5000,
        description="Pace transactions: take a batch no sooner than this after the last commit "
        "(what arrives meanwhile joins it). 0: as soon as anything arrives.",
    )
    environment: Literal["development", "production"] = Field(
        default="production",
        description="production (the default: fails closed) or development (demo files and "
        "secrets, plain HTTP, webhooks to this machine allowed).",
    )
    create_topics: bool = Field(
        default=True,
        description="Create missing topics at start. Off where the operator (or Strimzi) owns "
        "the topics and the service's user has no right to create them.",
    )
    kafka: KafkaSettings = Field(
        default_factory=KafkaSettings,
        description="How to reach Kafka (KAFKA_* variables).",
    )

    @property
    def development(self) -> bool:
        """Whether this process runs as a demo or a test, where demo files are allowed."""
        return self.environment == "development"

    policy: PolicySettings = Field(
        default_factory=PolicySettings,
        description="The councils' threshold policies and calendars (FRONTDOOR_POLICY_*).",
    )


class Loop(Protocol):
    """A service's main loop: the exactly-once processor, or the records service's sink."""

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then finish what is in hand."""
        ...


@dataclass
class ServiceApp:
    """A wired service: its processor, its health, and what it must do before processing."""

    name: str
    processor: Loop
    health: Health
    health_port: int | None
    prepare: Callable[[], Awaitable[None]]
    background: list[Callable[[asyncio.Event], Coroutine[Any, Any, None]]] = field(
        default_factory=list,
    )


async def run_service(app: ServiceApp) -> None:
    """Run ``app`` until SIGTERM or SIGINT, finishing the batch in hand before exiting."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with serve_health(app.health, app.health_port):
        await until_reachable(app.prepare, app.health, stop)
        log.info("service started", health_port=app.health_port)
        processing = until_reachable(lambda: app.processor.run(stop), app.health, stop)
        tasks = [asyncio.create_task(processing)]
        tasks += [asyncio.create_task(job(stop)) for job in app.background]
        try:
            # The first task to fail takes the service down (and the supervisor restarts it).
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
    log.info("service stopped", counters=app.health.counters)


async def until_reachable(
    step: Callable[[], Awaitable[None]], health: Health, stop: asyncio.Event
) -> None:
    """Run ``step``; while Kafka cannot be reached at its start, wait and try again, not ready.

    A broker that is restarting is no reason to exit: under a supervisor or Kubernetes every
    exit adds a growing restart delay. Only the failure to bootstrap (which aiokafka raises
    from a client's start, never once connected) is retried; anything else still fails.
    """
    wait = RETRY_FIRST_S
    while True:
        try:
            await step()
        except KafkaConnectionError as error:
            if "bootstrap" not in str(error):
                raise
        else:
            return
        health.ready = False
        health.count("kafka_unreachable_at_start")
        log.warning("kafka unreachable; trying again", in_s=wait)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
        if stop.is_set():
            return
        wait = min(RETRY_MAX_S, wait * 2)
