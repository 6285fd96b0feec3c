"""The demo deployment's files, shipped as package data.

The partner registry of the simulated partners, the demo duty manager and the demo referrer,
used when no file of the deployment's own is configured.
"""

from importlib import resources
from pathlib import Path

DEMO_FOLDER = Path(str(resources.files(__name__)))
DEMO_PARTNERS_FILE = DEMO_FOLDER / "partners.yaml"
DEMO_MANAGERS_FILE = DEMO_FOLDER / "managers.yaml"
DEMO_REFERRERS_FILE = DEMO_FOLDER / "referrers.yaml"
