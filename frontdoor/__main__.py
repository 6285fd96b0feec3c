"""``python -m frontdoor``: the same as the ``frontdoor`` command."""

from frontdoor.launch import main

main()
