"""Write a file so that readers see either the old content or the new, never a part.

Temporary file in the same folder (rename is atomic only within one file system), fsync, rename,
then fsync the folder so the rename itself is durable: a preempted node leaves no torn files.
A full disk leaves the old file as it was and no temporary file, and says what was needed.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

from train.common.errors import NoSpaceError

_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, *chunks: bytes, tmp_prefix: str | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=tmp_prefix or f".tmp-{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException as exc:
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
            needed, free = sum(len(chunk) for chunk in chunks), shutil.disk_usage(path.parent).free
            raise NoSpaceError(f"no space left in {path.parent} to write {path.name}: it needs {needed:,} bytes "
                               f"and {free:,} are free") from exc
        raise
    fsync_dir(path.parent)
    return path
