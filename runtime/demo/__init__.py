"""The demo deployment's files, shipped as package data.

The partner registry of the simulated partners and the demo duty manager, used when no file of
the deployment's own is configured.
"""

from importlib import resources
from pathlib import Path

DEMO_FOLDER = Path(str(resources.files(__name__)))
DEMO_PARTNERS_FILE = DEMO_FOLDER / "partners.yaml"
DEMO_MANAGERS_FILE = DEMO_FOLDER / "managers.yaml"
