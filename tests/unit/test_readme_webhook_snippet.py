"""The verification snippet partners copy from their guide (docs/partners.md) verifies real
signatures."""

from __future__ import annotations

import re
import time
from pathlib import Path

from services.notifier.webhooks import sign

README = Path(__file__).resolve().parents[2] / "docs" / "partners.md"  # the partners' guide


def readme_verify():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    (snippet,) = [block for block in blocks if "def verify(" in block]
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - the README's own example, run as partners would
    return namespace["verify"]


def test_readme_snippet_accepts_genuine_and_refuses_forged_deliveries() -> None:
    verify = readme_verify()
    body = b'{"contact_id": "c-1", "sequence": 2}'
    header = sign("partner-secret", int(time.time()), body)
    assert verify("partner-secret", header, body)
    assert not verify("partner-secret", header, body.replace(b"2", b"3"))
    assert not verify("wrong-secret", header, body)
    assert not verify("partner-secret", sign("partner-secret", int(time.time()) - 3600, body), body)
