"""The ``frontdoor`` command's entry point: services start lean, everything else gets the CLI.

``frontdoor run NAME``, ``frontdoor dashboard [--port N]`` and ``frontdoor gateway [--port N]``
go straight to :mod:`frontdoor.serve`; any other arguments (``--help`` included) load the full
command line.
"""

from __future__ import annotations

import os
import sys


def _port(args: list[str]) -> int | bool | None:
    """The port of ``dashboard|gateway [--port N]``; False when the arguments are anything else."""
    if not args:
        return None
    if len(args) == 2 and args[0] == "--port" and args[1].isdigit():  # noqa: PLR2004
        return int(args[1])
    if len(args) == 1 and args[0].startswith("--port=") and args[0][7:].isdigit():
        return int(args[0][7:])
    return False


def main(argv: list[str] | None = None) -> None:
    """Run the command given by ``argv`` (default: the process's arguments)."""
    args = sys.argv[1:] if argv is None else argv
    # Everything Front Door writes (the records database, the broker's data, exports, keys and
    # account files) holds children's data or secrets: readable by this user alone.
    os.umask(0o077)
    if len(args) == 2 and args[0] == "run":  # noqa: PLR2004 - run NAME
        from frontdoor import serve  # noqa: PLC0415

        if args[1] in serve.SERVICES:
            sys.exit(serve.service(args[1]))
    if args and args[0] in {"dashboard", "gateway"}:
        port = _port(args[1:])
        if port is not False:
            from frontdoor import serve  # noqa: PLC0415

            sys.exit(serve.web(args[0], port if isinstance(port, int) else None))
    from frontdoor.cli.main import app  # noqa: PLC0415 - the whole command line

    app(args=args, prog_name="frontdoor")
