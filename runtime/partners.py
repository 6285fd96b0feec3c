"""The partner registry file as a running process reads it.

Loaded at start and re-read when it changes, so partners registered while a service runs are
served without a restart.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from runtime.demo import DEMO_PARTNERS_FILE
from runtime.watched_file import WatchedFile
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

    Partners registered while a service runs are known to it within ``recheck`` seconds. A bad
    edit never stops the service: the last good registry stays in use and :attr:`problem`
    says why (shown on ``/health``) until the file is mended.
    """

    def __init__(self, path: Path | None = None, recheck: float = 2.0) -> None:
        """Watch ``path`` (``FRONTDOOR_PARTNERS_FILE`` or the default registry)."""
        self.file = WatchedFile(
            path or registry_path(), PartnerRegistry, "partner registry", recheck
        )

    @property
    def path(self) -> Path:
        """The registry file."""
        return self.file.path

    @property
    def registry(self) -> PartnerRegistry:
        """The registry, re-read if the file changed since the last look."""
        return self.file.current

    @property
    def problem(self) -> str | None:
        """Why the file's latest edit is not in use, if it is not."""
        return self.file.problem
