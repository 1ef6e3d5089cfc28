"""Driving a page with wrk (Debian's ``wrk`` package) and reading its numbers back.

wrk prints its own summary for people; the Lua ``done`` hook below prints one
line of JSON for us: latency percentiles in microseconds, requests, bytes and
every kind of error (a non-2xx/3xx answer counts as a ``status`` error).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

WRK_MISSING = (
    "wrk, the load generator, is not installed. On Debian or Ubuntu: "
    "`sudo apt-get install -y wrk` (or `apt-get install -y wrk` as root)."
)
MARKER = "BENCH_JSON "
LUA_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, '
    .. '"p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
"""
# Generous: a browser waits this long too. The default (2 s) would count a slow
# answer under 32 clients as an error instead of as the latency it is.
TIMEOUT = "30s"


class WrkMissing(Exception):
    pass


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise WrkMissing(WRK_MISSING)
    return path


def wrk_version() -> str:
    try:
        out = subprocess.run([wrk_path(), "-v"], capture_output=True, text=True, timeout=10)
    except WrkMissing:
        return ""
    return (out.stdout or out.stderr).split("Copyright")[0].strip()


def write_script(folder: Path) -> Path:
    path = folder / "bench-done.lua"
    path.write_text(LUA_DONE)
    return path


def run_wrk(
    url: str,
    *,
    script: Path,
    headers: dict[str, str],
    connections: int,
    seconds: int,
) -> dict:
    """One wrk run; the numbers in milliseconds and per second, plus errors in total."""
    command = [
        wrk_path(),
        f"--connections={connections}",
        f"--threads={min(2, connections)}",
        f"--duration={seconds}s",
        f"--timeout={TIMEOUT}",
        f"--script={script}",
    ]
    for name, value in headers.items():
        command.append(f"--header={name}: {value}")
    command.append(url)
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    lines = [line for line in out.stdout.splitlines() if line.startswith(MARKER)]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr.strip() or out.stdout}")
    raw = json.loads(lines[-1][len(MARKER) :])
    duration = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
    return {
        "connections": connections,
        "seconds": round(duration, 2),
        "requests": raw["requests"],
        "rps": round(raw["requests"] / duration, 1) if duration else 0.0,
        "median_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "mean_ms": round(raw["mean_us"] / 1000, 3),
        "errors": errors,
        "error_kinds": {
            k: raw[k] for k in ("connect", "read", "write", "status", "timeout") if raw[k]
        },
        "bytes_per_request": round(raw["bytes"] / raw["requests"]) if raw["requests"] else 0,
    }
