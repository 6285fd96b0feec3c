"""Starting one service process with only the code it runs.

The ``frontdoor`` command line knows every tool (benchmarks, exports, the broker, the records
database's migrations...) and importing all of them costs a process some 130 MB before it has
done anything; ``frontdoor run NAME`` and ``frontdoor dashboard`` start through here instead,
without loading the rest (:mod:`frontdoor.launch`).
"""

from __future__ import annotations

import asyncio
import importlib
import sys

from pydantic import ValidationError

from domain.policies import PolicyFileError

SERVICES = ("intake", "triage", "notifier", "records")
EXIT_CRASHED = 1
EXIT_CANNOT_START = 2
STARTUP_ERRORS = (ValidationError, PolicyFileError, ValueError)


def reason(error: Exception) -> str:
    """The first thing wrong, in one line, without the value that was wrong."""
    if isinstance(error, ValidationError):
        first = error.errors(include_url=False, include_input=False)[0]
        loc = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        return f"{loc}: {message}" if loc else message
    return str(error).splitlines()[0]


def cannot_start(what: str, error: Exception) -> int:
    """Say in one line why ``what`` cannot start; the exit status that says so."""
    sys.stderr.write(f"{what} cannot start: {reason(error)}\n")
    return EXIT_CANNOT_START


def service(name: str) -> int:
    """Run one pipeline service in the foreground until SIGTERM or Ctrl-C; its exit status."""
    import structlog  # noqa: PLC0415 - after the settings are known to be good

    from runtime import tracing  # noqa: PLC0415
    from runtime.logs import configure_logging  # noqa: PLC0415
    from runtime.runner import run_service  # noqa: PLC0415

    module = importlib.import_module(f"services.{name}.app")
    try:
        settings = module.Settings()
        configure_logging(name, level=settings.log_level)
        tracing.configure(name)
        wired = module.create_app(settings)
    except STARTUP_ERRORS as error:
        return cannot_start(name, error)
    try:
        asyncio.run(run_service(wired))
    except Exception:  # noqa: BLE001 - every crash is logged, then the process exits 1
        # One structured line with the traceback (frames only, no local values), then exit 1
        # so the supervisor restarts the service from its last committed offsets.
        structlog.get_logger(__name__).exception("service crashed")
        return EXIT_CRASHED
    return 0


WEB_SERVERS = {"dashboard": "the duty managers' dashboard", "gateway": "the API and referral forms"}


def web(name: str, port: int | None = None) -> int:
    """Serve ``dashboard`` or ``gateway`` until stopped; its exit status."""
    import uvicorn  # noqa: PLC0415

    from runtime import tracing  # noqa: PLC0415
    from runtime.logs import configure_logging  # noqa: PLC0415

    module = importlib.import_module(f"services.{name}.app")
    try:
        settings = module.Settings() if port is None else module.Settings(port=port)
        configure_logging(name, level=settings.log_level)
        tracing.configure(name)
        app = module.create_app(settings)
    except STARTUP_ERRORS as error:
        return cannot_start(name, error)
    sys.stderr.write(f"{WEB_SERVERS[name]} on http://{settings.host}:{settings.port}/\n")
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        log_config=None,  # uvicorn's loggers go through ours (the redactor), not handlers of theirs
        **settings.uvicorn_options(),
    )
    return 0
