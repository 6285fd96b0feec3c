"""``python -m frontdoor``: the same as the ``frontdoor`` command."""

from frontdoor.cli.main import app

app()
