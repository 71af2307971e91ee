"""Skip or fail a test whose Docker image is not built.

On a developer's machine a missing image skips (run `make build` first). Under `make test`,
TRAINYARD_REQUIRE_IMAGES=1 turns that skip into a failure: a suite that skipped its image tests
has not shown the images work, and must not look green.
"""

from __future__ import annotations

import os

import pytest

from tests.containers import image_exists


def require_image(image: str) -> str:
    if not image_exists(image):
        message = f"image {image} is not built (make build)"
        if os.environ.get("TRAINYARD_REQUIRE_IMAGES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return image
