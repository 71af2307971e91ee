"""What the PyTorch image holds: a non-root user, its labels and version list, and none of the
build inputs (CA bundle, index URLs, mirror) that made it."""

from __future__ import annotations

import re
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.containers import PYTORCH_IMAGE, docker, run_container
from tests.required_image import require_image

BUILD_INPUTS = Path(__file__).resolve().parents[2] / "docker" / "build-inputs"
# The PEM markers are built from parts so this file never reads as holding a certificate.
_PEM_LABEL = "CERTIFICATE"
PEM_BLOCK = re.compile(rf"-----BEGIN {_PEM_LABEL}-----\s*(.*?)\s*-----END {_PEM_LABEL}-----", re.S)
# A CA bundle is well under this; bigger files (libraries, wheels' data) cannot be one.
LARGEST_FILE_SCANNED = 4 * 1024 * 1024
SAVE_TIMEOUT = 900


@pytest.fixture(scope="module")
def image() -> str:
    return require_image(PYTORCH_IMAGE)


def test_runtime_user_is_not_root_and_has_no_sudo(image: str) -> None:
    assert docker("image", "inspect", "--format", "{{.Config.User}}", image).stdout.strip() == "trainer"
    result = run_container(["sh", "-c", "id -u; command -v sudo || echo no-sudo"], image=image, timeout=60)
    uid, sudo = result.output.split()
    assert uid != "0"
    assert sudo == "no-sudo"


def test_labels_and_version_list_say_what_is_inside(image: str) -> None:
    labels = docker("image", "inspect", "--format",
                    '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}}\n{{end}}', image).stdout
    for key in ("org.opencontainers.image.title", "org.opencontainers.image.version",
                "org.opencontainers.image.revision", "org.opencontainers.image.base.name"):
        assert f"{key}=" in labels, f"label {key} missing:\n{labels}"
    versions = run_container(["cat", "/etc/trainyard/versions.txt"], image=image, timeout=60).output
    for component in ("os:", "python:", "openmpi:", "torch: 2.10.0", "mlflow:", "azureml-mlflow:"):
        assert component in versions, f"{component} missing from /etc/trainyard/versions.txt:\n{versions}"


def _needles_from_build_inputs(image: str) -> list[bytes]:
    """Strings that only a build input could have put in the image.

    From the CA bundle: one base64 line of each certificate that the image's own trust store
    does not already hold (a proxy's root, not Debian's public roots). From build.env: the values.
    """
    needles: list[bytes] = []
    extra_ca = BUILD_INPUTS / "extra-ca.pem"
    if extra_ca.is_file():
        system_bundle = run_container(["cat", "/etc/ssl/certs/ca-certificates.crt"], image=image,
                                      timeout=60).output
        system_bodies = {"".join(body.split()) for body in PEM_BLOCK.findall(system_bundle)}
        for body in PEM_BLOCK.findall(extra_ca.read_text()):
            if "".join(body.split()) not in system_bodies:
                lines = body.split()
                needles.append(lines[len(lines) // 2].encode())
    build_env = BUILD_INPUTS / "build.env"
    if build_env.is_file():
        for line in build_env.read_text().splitlines():
            if "=" in line and line.split("=", 1)[1].strip():
                needles.append(line.split("=", 1)[1].strip().encode())
    return needles


def _layer_files(image: str) -> Iterator[tuple[str, str, tarfile.TarFile, tarfile.TarInfo]]:
    """(layer, path, layer tar, member) for every file of every layer, streamed from `docker save`."""
    save = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
    try:
        with tarfile.open(fileobj=save.stdout, mode="r|") as archive:
            for entry in archive:
                if not entry.name.endswith("layer.tar"):
                    continue
                with tarfile.open(fileobj=archive.extractfile(entry), mode="r|") as layer:
                    for member in layer:
                        yield entry.name, member.name, layer, member
        save.wait(timeout=SAVE_TIMEOUT)
    finally:
        if save.poll() is None:
            save.kill()


def _build_inputs_in_layers(image: str) -> list[str]:
    """Where the image's layers hold a build input: a path that names one, or a file holding one.

    A certificate of the extra bundle that Debian's ca-certificates package also ships (any file
    under usr/share/ca-certificates/, in any layer) is a public root, not something the build
    input brought: only the others count.
    """
    needles = _needles_from_build_inputs(image)
    found: list[str] = []
    holders: dict[bytes, list[str]] = {}
    public: set[bytes] = set()
    for layer_name, path, layer, member in _layer_files(image):
        if "build-inputs" in path or path.endswith(("extra-ca.pem", "/pip.conf")) or path == "etc/pip.conf":
            found.append(f"{layer_name}: {path}")
        if needles and member.isfile() and member.size <= LARGEST_FILE_SCANNED:
            content = layer.extractfile(member).read()
            for needle in needles:
                if needle in content:
                    if "usr/share/ca-certificates/" in path:
                        public.add(needle)
                    holders.setdefault(needle, []).append(f"{layer_name}: {path}")
    for needle, paths in holders.items():
        if needle not in public:
            found += [f"{where} holds a build input" for where in paths]
    return found


def test_no_layer_holds_a_build_input(image: str) -> None:
    found = _build_inputs_in_layers(image)
    assert not found, "build inputs in the image's layers:\n" + "\n".join(found)


def test_the_layer_scan_finds_build_inputs_where_they_are() -> None:
    # The builder image keeps /build-inputs on purpose (it is never pushed): the scan that passes
    # the final image must flag it, or it proves nothing.
    builder = require_image(PYTORCH_IMAGE.replace("trainyard/pytorch", "trainyard/base-builder"))
    found = _build_inputs_in_layers(builder)
    assert any(where.endswith("build-inputs/") or "build-inputs/" in where for where in found), found
    if _needles_from_build_inputs(builder):
        assert any(where.endswith("holds a build input") for where in found), found


def test_history_holds_no_build_input(image: str) -> None:
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image).stdout
    assert "build-inputs" not in history
    for needle in _needles_from_build_inputs(image):
        assert needle.decode() not in history
