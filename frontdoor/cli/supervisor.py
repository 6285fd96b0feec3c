"""Runs the pipeline services as child processes, restarting any that dies."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

PIPELINE = ("intake", "triage", "notifier", "records")
COMMANDS = {name: ("run", name) for name in PIPELINE} | {
    "dashboard": ("dashboard",),
    "gateway": ("gateway",),
}


@dataclass
class ServiceProcess:
    """One supervised service process and how often it was (re)started."""

    name: str
    log_file: Path
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    exits: list[int] = field(default_factory=list)


class Supervisor:
    """Starts each service with ``frontdoor run NAME``, logs to a file, restarts on exit."""

    def __init__(
        self,
        names: tuple[str, ...],
        log_dir: Path,
        env: dict[str, str],
        own_env: Callable[[str], dict[str, str]] | None = None,
    ) -> None:
        """Supervise ``names``, logging to ``log_dir``, with ``env`` and ``own_env(name)``.

        ``own_env`` gives each service what is its alone, such as its credentials.
        """
        log_dir.mkdir(parents=True, exist_ok=True)
        self.services = [ServiceProcess(name, log_dir / f"{name}.log") for name in names]
        self.env = {**os.environ, **env}
        self.own_env = own_env or (lambda _: {})
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Start every service and keep it running."""
        self._tasks = [asyncio.create_task(self._keep_running(s)) for s in self.services]

    async def _keep_running(self, service: ServiceProcess) -> None:
        while not self._stopping:
            with service.log_file.open("ab") as out:
                service.process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "frontdoor",
                    *COMMANDS[service.name],
                    stdout=out,
                    stderr=out,
                    stdin=asyncio.subprocess.DEVNULL,
                    env=self.env | self.own_env(service.name),
                )
            service.starts += 1
            code = await service.process.wait()
            service.exits.append(code)
            if not self._stopping:
                log.warning("service exited; restarting", service=service.name, code=code)
                await asyncio.sleep(1.0)

    async def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM every service, wait for them to finish their batch, SIGKILL stragglers."""
        self._stopping = True
        for service in self.services:
            if service.process and service.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    service.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.gather(*self._tasks), timeout)
        except TimeoutError:
            for service in self.services:
                if service.process and service.process.returncode is None:
                    service.process.kill()
            await asyncio.gather(*self._tasks, return_exceptions=True)
