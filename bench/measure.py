"""Light measuring helpers: importing this adds nothing to a benchmark's memory."""

from __future__ import annotations

from pathlib import Path


def memory_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB, from /proc (no psutil)."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]
