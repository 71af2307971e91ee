"""Numbered checkpoint files in one folder: atomic writes, a checksum checked on read, the last K kept.

A checkpoint is opaque bytes (the framework serialises); the store guarantees that what it returns is
exactly what was saved. File layout, one file per checkpoint so one rename publishes it whole:

    step-00000120.ckpt = b"TRAINYARD-CKPT1 sha256=<64 hex>\n" + payload

An embedded checksum rather than a sidecar file: with two files a crash between their renames leaves
a checkpoint whose checksum is missing or stale. Writes are atomic and durable (see atomic_file).
Spot nodes vanish without warning: a half-written temporary file is ignored and removed by the next
writer, and a file that fails its checksum anyway (a disk, a copy) is skipped on load.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from train.common.checkpoints.atomic_file import atomic_write_bytes
from train.common.errors import NoSpaceError

log = logging.getLogger(__name__)

_MAGIC = b"TRAINYARD-CKPT1 sha256="
_HEADER_LEN = len(_MAGIC) + 64 + 1
_NAME = re.compile(r"^step-(\d{8,})\.ckpt$")
_TMP_PREFIX = ".tmp-step-"

T = TypeVar("T")


class CorruptCheckpoint(Exception):
    """The file is not a complete checkpoint as written by CheckpointStore.save."""


@dataclass(frozen=True)
class LoadedCheckpoint(Generic[T]):
    path: Path
    step: int
    value: T


def read_verified(path: Path) -> bytes:
    """The payload of `path`; CorruptCheckpoint when the header or checksum does not match."""
    blob = path.read_bytes()
    header, payload = blob[:_HEADER_LEN], blob[_HEADER_LEN:]
    if not header.startswith(_MAGIC) or not header.endswith(b"\n"):
        raise CorruptCheckpoint("no checkpoint header")
    expected = header[len(_MAGIC):-1].decode("ascii", errors="replace")
    actual = hashlib.sha256(payload).hexdigest()
    if actual != expected:
        raise CorruptCheckpoint(f"sha256 mismatch (header {expected[:12]}..., content {actual[:12]}...)")
    return payload


class CheckpointStore:
    def __init__(self, directory: Path, keep: int) -> None:
        if keep < 1:
            raise ValueError("keep must be >= 1")
        self.directory = Path(directory)
        self.keep = keep

    def path_for(self, step: int) -> Path:
        return self.directory / f"step-{step:08d}.ckpt"

    def steps(self) -> list[int]:
        """Steps with a checkpoint file, oldest first (valid or not: reading tells)."""
        if not self.directory.is_dir():
            return []
        found = (_NAME.match(p.name) for p in self.directory.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def save(self, step: int, payload: bytes) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temporaries()
        header = _MAGIC + hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n"
        try:
            final = atomic_write_bytes(self.path_for(step), header, payload,
                                       tmp_prefix=f"{_TMP_PREFIX}{step:08d}-")
        except NoSpaceError as exc:
            # Nothing is pruned before a new checkpoint is whole: the older ones are still there.
            kept = self.steps()
            previous = f"the checkpoint of step {kept[-1]} is intact" if kept else "there is no earlier checkpoint"
            raise NoSpaceError(f"{exc}; {previous}. Free space there, or give a --model-dir on a larger "
                               "disk, and start the job again") from exc
        self._prune()
        return final

    def load_latest(self, decode: Callable[[bytes], T]) -> LoadedCheckpoint[T] | None:
        """The newest checkpoint that verifies and decodes; None when there is none.

        A newest file that fails either check is skipped with a WARNING naming it, and the one
        before it is tried: losing a few steps beats failing a restarted job forever. The skipped
        file is renamed to *.corrupt (kept for inspection), so that it neither shadows the
        checkpoints this run will write nor counts towards the K kept. Call from the writer only.
        """
        for step in reversed(self.steps()):
            path = self.path_for(step)
            try:
                value = decode(read_verified(path))
            except Exception as exc:  # noqa: BLE001 - any failure to read means "try the older one"
                log.warning("checkpoint %s is unusable (%s: %s); falling back to the previous one",
                            path, type(exc).__name__, exc)
                os.replace(path, path.with_name(path.name + ".corrupt"))
                continue
            return LoadedCheckpoint(path, step, value)
        return None

    def _prune(self) -> None:
        for step in self.steps()[:-self.keep]:
            self.path_for(step).unlink(missing_ok=True)

    def _remove_stale_temporaries(self) -> None:
        # Only the single writer (rank 0) calls save, so any temporary file is a dead writer's leftover.
        for leftover in self.directory.glob(_TMP_PREFIX + "*"):
            leftover.unlink(missing_ok=True)
