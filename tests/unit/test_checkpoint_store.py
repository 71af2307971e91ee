"""CheckpointStore: atomic numbered files, checksum on read, fallback past corrupt ones, last K kept."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from train.common.checkpoints.checkpoint_store import CheckpointStore, CorruptCheckpoint, read_verified


def _identity(payload: bytes) -> bytes:
    return payload


def test_load_latest_returns_the_newest_checkpoint(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, keep=3)
    store.save(10, b"ten")
    store.save(20, b"twenty")
    loaded = store.load_latest(_identity)
    assert (loaded.step, loaded.value) == (20, b"twenty")


def test_empty_or_missing_folder_has_no_checkpoint(tmp_path: Path) -> None:
    assert CheckpointStore(tmp_path / "absent", keep=1).load_latest(_identity) is None


def test_only_the_last_k_are_kept(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, keep=2)
    for step in (1, 2, 3, 4):
        store.save(step, b"x%d" % step)
    assert store.steps() == [3, 4]


def test_a_flipped_byte_fails_the_checksum(tmp_path: Path) -> None:
    path = CheckpointStore(tmp_path, keep=1).save(5, b"payload")
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(CorruptCheckpoint, match="sha256 mismatch"):
        read_verified(path)


def test_corrupt_newest_falls_back_to_the_previous_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = CheckpointStore(tmp_path, keep=3)
    store.save(10, b"good")
    newest = store.save(20, b"soon truncated")
    newest.write_bytes(newest.read_bytes()[:-3])
    with caplog.at_level(logging.WARNING):
        loaded = store.load_latest(_identity)
    assert (loaded.step, loaded.value) == (10, b"good")
    assert any(newest.name in record.getMessage() for record in caplog.records
               if record.levelno == logging.WARNING)
    # Kept for inspection, but out of the way of the checkpoints the resumed run writes.
    assert (tmp_path / (newest.name + ".corrupt")).exists()
    assert store.steps() == [10]


def test_a_file_without_header_is_corrupt(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, keep=3)
    store.save(1, b"one")
    store.path_for(2).write_bytes(b"not a checkpoint at all")
    assert store.load_latest(_identity).step == 1


def test_a_payload_that_does_not_decode_also_falls_back(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, keep=3)
    store.save(1, b"decodable")
    store.save(2, b"garbage")

    def decode(payload: bytes) -> str:
        if payload == b"garbage":
            raise ValueError("not a snapshot")
        return payload.decode()

    assert store.load_latest(decode).value == "decodable"


def test_leftover_temporary_files_of_a_dead_writer_are_ignored_and_removed(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, keep=3)
    leftover = tmp_path / ".tmp-step-00000007-abc"
    leftover.write_bytes(b"half written")
    assert store.load_latest(_identity) is None
    store.save(8, b"eight")
    assert not leftover.exists()
    assert store.steps() == [8]
