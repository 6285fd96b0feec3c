"""The demo deployment's files, shipped as package data.

The partner registry of the simulated partners, the demo duty manager and the demo referrer,
used when no file of the deployment's own is configured.
"""

from importlib import resources
from pathlib import Path

import yaml

from runtime.web.passwords import password_matches

DEMO_FOLDER = Path(str(resources.files(__name__)))
DEMO_PARTNERS_FILE = DEMO_FOLDER / "partners.yaml"
DEMO_MANAGERS_FILE = DEMO_FOLDER / "managers.yaml"
DEMO_REFERRERS_FILE = DEMO_FOLDER / "referrers.yaml"
DEMO_PASSWORD = "frontdoor-demo"  # noqa: S105 - published in the README; refused in production


def holds_demo_sign_in(accounts: dict[str, str], demo_file: Path) -> bool:
    """Whether ``accounts`` (username -> Argon2 hash) let a published demo sign-in in.

    A hash copied from ``demo_file`` does, and so does one of its usernames whose password is
    the published one (an operator who copied the file, or re-added the demo account).
    """
    document = yaml.safe_load(demo_file.read_text()) or {}
    demo = {a["username"]: a["password_hash"] for listed in document.values() for a in listed}
    if set(accounts.values()) & set(demo.values()):
        return True
    return any(password_matches(accounts[name], DEMO_PASSWORD) for name in demo if name in accounts)
