"""The versions the images pin, read from the requirement files: tests compare the images with
these, so a version bump is one edit (the requirement file) and the tests follow it."""

from __future__ import annotations

import re
from pathlib import Path

DOCKER = Path(__file__).resolve().parents[1] / "docker"


def pinned(requirements: str, package: str) -> str:
    """The `package==X` (extras allowed) version in docker/<requirements>; AssertionError if absent."""
    text = (DOCKER / requirements).read_text()
    match = re.search(rf"^{re.escape(package)}(?:\[[^\]]*\])?==(\S+)", text, re.MULTILINE)
    assert match, f"{package} is not pinned with == in docker/{requirements}"
    return match.group(1)


TORCH = pinned("pytorch/requirements-torch.txt", "torch")
DEEPSPEED = pinned("pytorch/requirements-distributed.txt", "deepspeed")
HOROVOD = pinned("horovod/requirements.txt", "horovod")
TENSORFLOW = pinned("tensorflow/requirements-tensorflow.txt", "tensorflow")
