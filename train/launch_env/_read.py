"""Reading and validating single launch variables; every error names the variable.

Shared by the detectors; reads only the variables its callers name, plus the prefix check in
`has_azure_markers` (any ``AZUREML_*`` or ``AZ_BATCH*``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from train.launch_env.model import LaunchEnvError

# torch.distributed's documented default rendezvous port; used where a launcher gives an address
# but no port (MPI jobs), so every rank falls back to the same value.
DEFAULT_MASTER_PORT = 29500
LOOPBACK = "127.0.0.1"

_INTEGER = re.compile(r"[+-]?[0-9]+")  # int() would also take "1_0" and non-ASCII digits


def get(env: Mapping[str, str], name: str) -> str | None:
    """The stripped value, or None when unset. An empty value counts as unset (``export RANK=``)."""
    value = env.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def is_set(env: Mapping[str, str], name: str) -> bool:
    return get(env, name) is not None


def has_azure_markers(env: Mapping[str, str]) -> bool:
    """True inside an Azure ML job: Azure sets ``AZUREML_*`` and ``AZ_BATCH*`` variables there."""
    return any(key.startswith(("AZUREML_", "AZ_BATCH")) for key in env)


def parse_int(name: str, text: str, *, minimum: int = 0) -> int:
    if not _INTEGER.fullmatch(text):
        raise LaunchEnvError(f"{name}={text!r} is not an integer: expected an integer >= {minimum}")
    value = int(text)
    if value < minimum:
        raise LaunchEnvError(f"{name}={value} is out of range: expected an integer >= {minimum}")
    return value


def read_int(env: Mapping[str, str], name: str, *, minimum: int = 0) -> int | None:
    text = get(env, name)
    return None if text is None else parse_int(name, text, minimum=minimum)


def require_int(env: Mapping[str, str], name: str, *, minimum: int = 0) -> int:
    value = read_int(env, name, minimum=minimum)
    if value is None:
        raise LaunchEnvError(f"{name} is not set: expected an integer >= {minimum}")
    return value


def check_below(name: str, value: int, limit_name: str, limit: int) -> None:
    if not 0 <= value < limit:
        raise LaunchEnvError(
            f"{name}={value} is out of range: expected 0 <= {name} < {limit_name}={limit}"
        )


def check_at_most(name: str, value: int, limit_name: str, limit: int) -> None:
    if value > limit:
        raise LaunchEnvError(
            f"{name}={value} is out of range: expected 1 <= {name} <= {limit_name}={limit}"
        )


def parse_port(name: str, text: str) -> int:
    if not _INTEGER.fullmatch(text) or not 1 <= int(text) <= 65535:
        raise LaunchEnvError(f"{name}={text!r} is not a port: expected an integer 1..65535")
    return int(text)


def read_port(env: Mapping[str, str], name: str) -> int | None:
    text = get(env, name)
    return None if text is None else parse_port(name, text)


def parse_host_port(name: str, text: str) -> tuple[str, int]:
    """Split ``host:port`` (``[v6addr]:port`` for IPv6; the brackets are dropped)."""
    host, sep, port = text.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or ":" in host and not text.strip().startswith("["):
        raise LaunchEnvError(f"{name}={text!r} is not host:port: expected e.g. 10.0.0.4:6105")
    if not _INTEGER.fullmatch(port) or not 1 <= int(port) <= 65535:
        raise LaunchEnvError(
            f"{name}={text!r} has no valid port: expected host:port with port 1..65535"
        )
    return host, int(port)
