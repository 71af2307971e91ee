"""Fixtures for tests that drive the built image from the host (marker `image`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.containers import PYTORCH_IMAGE, Mount, make_writable, run_container
from tests.required_image import require_image

SCRIPTS_DIR = Path(__file__).parent / "scripts"
IMAGES_PER_CIFAR_BATCH = 200


@pytest.fixture(scope="session")
def pytorch_image() -> str:
    return require_image(PYTORCH_IMAGE)


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    return make_writable(tmp_path / "outputs")


@pytest.fixture
def scripts_mount() -> Mount:
    return Mount(SCRIPTS_DIR, "/scripts", read_only=True)


@pytest.fixture(scope="session")
def tiny_cifar10(pytorch_image: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding cifar-10-batches-py/ with 200 images per batch, written by the image's numpy."""
    root = make_writable(tmp_path_factory.mktemp("cifar10") / "data")
    result = run_container(
        ["python", "/scripts/write_tiny_cifar10.py", "/data", str(IMAGES_PER_CIFAR_BATCH)],
        image=pytorch_image, timeout=60,
        mounts=[Mount(SCRIPTS_DIR, "/scripts", read_only=True), Mount(root, "/data")])
    assert result.returncode == 0, result.tail()
    return root
