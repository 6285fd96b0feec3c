"""The ``frontdoor`` command line."""
