"""The partner registry file as a running process reads it.

Loaded at start and re-read when it changes, so partners registered while a service runs are
served without a restart.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import yaml

from runtime.demo import DEMO_PARTNERS_FILE
from schemas.partners import PartnerRegistry


def registry_path() -> Path:
    """The registry file: ``FRONTDOOR_PARTNERS_FILE``, else the demo deployment's."""
    return Path(os.environ.get("FRONTDOOR_PARTNERS_FILE", DEMO_PARTNERS_FILE))


def load_registry(path: Path | None = None) -> PartnerRegistry:
    """Read and validate a partner registry file (``FRONTDOOR_PARTNERS_FILE`` by default)."""
    path = path or registry_path()
    return PartnerRegistry.model_validate(yaml.safe_load(path.read_text()))


class PartnerDirectory:
    """The registry as a running service sees it: re-read when its file changes.

    Partners registered while a service runs are known to it within ``recheck`` seconds.
    """

    def __init__(self, path: Path | None = None, recheck: float = 2.0) -> None:
        """Watch ``path`` (``FRONTDOOR_PARTNERS_FILE`` or the default registry)."""
        self.path = path or registry_path()
        self.recheck = recheck
        self._registry = load_registry(self.path)
        self._mtime = self.path.stat().st_mtime_ns
        self._checked = time.monotonic()

    @property
    def registry(self) -> PartnerRegistry:
        """The registry, re-read if the file changed since the last look."""
        if time.monotonic() - self._checked >= self.recheck:
            self._checked = time.monotonic()
            mtime = self.path.stat().st_mtime_ns
            if mtime != self._mtime:
                self._registry, self._mtime = load_registry(self.path), mtime
        return self._registry
