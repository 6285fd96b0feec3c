"""What a measured process has used so far, read from /proc: peak memory and CPU time."""

from __future__ import annotations

import os
from pathlib import Path


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident memory in MB (VmHWM)."""
    status = Path(f"/proc/{pid}/status").read_text()
    (kib,) = (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    return round(kib / 1024, 1)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a process has used so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
