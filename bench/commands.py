"""Every subprocess the bench starts goes through here, so each has a timeout and a readable error."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Mapping, Sequence

TAIL_CHARS = 3000   # how much of a failed command's output an error quotes


class BenchError(RuntimeError):
    """A measurement that could not be made; its section records the message and the run goes on."""


def run(command: Sequence[str], timeout: float, env: Mapping[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(list(command), capture_output=True, text=True, timeout=timeout,
                                env=dict(env) if env is not None else None)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"`{shlex.join(command)}` took more than {timeout:.0f}s; output: "
                         f"{_tail(exc.stdout)}{_tail(exc.stderr)}") from exc
    if check and result.returncode != 0:
        raise BenchError(f"`{shlex.join(command)}` exited {result.returncode}: "
                         f"{_tail(result.stdout)}\n{_tail(result.stderr)}")
    return result


def _tail(text: str | bytes | None) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return (text or "")[-TAIL_CHARS:].strip()


def json_line(output: str, marker: str = "BENCH_JSON ") -> str:
    """The payload of the last line carrying `marker` (in-container scripts print their result that way,
    so it survives compose's `node-0_1 | ` prefixes and the frameworks' own log lines)."""
    found = [line.split(marker, 1)[1] for line in output.splitlines() if marker in line]
    if not found:
        raise BenchError(f"no {marker.strip()} line in the output: {_tail(output)}")
    return found[-1]
