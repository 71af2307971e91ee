"""Pin a pushed image tag to its digest, so the environment follows the image, not the tag.

A tag can be moved: `make push` after a rebuild pushes new content under the same name. Azure
ML would then keep using the environment registered for the old content (and nodes may keep a
cached copy of the old image). `docker push` records the digest it pushed in the local image's
RepoDigests, so the reference `<registry>/<repo>@sha256:...` names exactly what was pushed, and
the environment version derived from it changes whenever the image does.

This reads the local Docker daemon only (no registry call), so dry runs can use it too. When
Docker is absent or the image was not pushed from here, the reference is kept as given.
"""

import json
import shutil
import subprocess
from typing import Callable, Optional

INSPECT_TIMEOUT_SECONDS = 30


def pinned_reference(image: str, repo_digests: Optional[Callable[[str], list[str]]] = None) -> str:
    """`image` as `<repository>@sha256:...` when the local daemon knows that pushed digest."""
    if "@" in image:
        return image  # already a digest
    repository = repository_of(image)
    for repo_digest in (repo_digests or local_repo_digests)(image):
        name, _, digest = repo_digest.partition("@")
        if name == repository and digest:
            return f"{repository}@{digest}"
    return image


def repository_of(image: str) -> str:
    """`image` without its tag (a `:` after the last `/`; a registry port comes before it)."""
    last_component_start = image.rfind("/") + 1
    colon = image.find(":", last_component_start)
    return image if colon == -1 else image[:colon]


def local_repo_digests(image: str) -> list[str]:
    """RepoDigests of `image` in the local Docker daemon; [] when unknown or Docker is absent."""
    if shutil.which("docker") is None:
        return []
    try:
        inspected = subprocess.run(
            ["docker", "image", "inspect", "--format", "{{json .RepoDigests}}", image],
            capture_output=True, text=True, timeout=INSPECT_TIMEOUT_SECONDS, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if inspected.returncode != 0:
        return []
    try:
        digests = json.loads(inspected.stdout)
    except json.JSONDecodeError:
        return []
    return [d for d in digests if isinstance(d, str)] if isinstance(digests, list) else []
