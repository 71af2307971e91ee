"""What the final images hold: a non-root user, labels and a version list, and none of the build
inputs (CA bundle, index URLs, mirror) nor the CUDA toolchain and compilers that made them.

Every layer of an image is read once (`docker save`, streamed) and both kinds of leftovers are
looked for in the same pass; the same scan run on the CUDA toolchain image, which holds both on
purpose, must find both, or a clean result proves nothing."""

from __future__ import annotations

import re
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.containers import PYTORCH_IMAGE, TENSORFLOW_IMAGE, docker, run_container
from tests.pins import TENSORFLOW, TORCH
from tests.required_image import require_image

BUILD_INPUTS = Path(__file__).resolve().parents[2] / "docker" / "build-inputs"
# The PEM markers are built from parts so this file never reads as holding a certificate.
_PEM_LABEL = "CERTIFICATE"
PEM_BLOCK = re.compile(rf"-----BEGIN {_PEM_LABEL}-----\s*(.*?)\s*-----END {_PEM_LABEL}-----", re.S)
# A CA bundle is well under this; bigger files (libraries, wheels' data) cannot be one.
LARGEST_FILE_SCANNED = 4 * 1024 * 1024
SAVE_TIMEOUT = 900
# What only the CUDA toolchain (docker/cuda-toolchain, /opt/cuda in builder stages) or a C/C++
# compiler puts in a layer. PyPI's nvidia-* wheels, which torch and TensorFlow depend on, carry
# CUDA headers and (TensorFlow's) ptxas of their own: those are the frameworks' files, not ours.
TOOLCHAIN_PATH = re.compile(r"^opt/cuda/"
                            r"|(^|/)(nvcc|cicc|cudafe\+\+|fatbinary|nvlink|cc1|cc1plus)$"
                            r"|^usr/bin/(gcc|g\+\+|cc|c\+\+)(-\d+)?$")
TOOLCHAIN_IMAGE = PYTORCH_IMAGE.replace("trainyard/pytorch", "trainyard/cuda-toolchain")


@dataclass
class LayerScan:
    build_inputs: list[str] = field(default_factory=list)
    toolchain: list[str] = field(default_factory=list)


@pytest.fixture(scope="module", params=[PYTORCH_IMAGE, TENSORFLOW_IMAGE], ids=["pytorch", "tensorflow"])
def image(request: pytest.FixtureRequest) -> str:
    return require_image(request.param)


@pytest.fixture(scope="module")
def scan(image: str) -> LayerScan:
    return _scan_layers(image)


def test_runtime_user_is_not_root_and_has_no_sudo(image: str) -> None:
    # Numeric, so that Kubernetes' runAsNonRoot can verify it; it is the user trainer.
    assert docker("image", "inspect", "--format", "{{.Config.User}}", image).stdout.strip() == "1000:1000"
    result = run_container(["sh", "-c", "id -un; id -u; command -v sudo || echo no-sudo"], image=image, timeout=60)
    name, uid, sudo = result.output.split()
    assert (name, uid) == ("trainer", "1000")
    assert sudo == "no-sudo"


def test_labels_and_version_list_say_what_is_inside(image: str) -> None:
    labels = docker("image", "inspect", "--format",
                    '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}}\n{{end}}', image).stdout
    for key in ("org.opencontainers.image.title", "org.opencontainers.image.version",
                "org.opencontainers.image.revision", "org.opencontainers.image.base.name"):
        assert f"{key}=" in labels, f"label {key} missing:\n{labels}"
    versions = run_container(["cat", "/etc/trainyard/versions.txt"], image=image, timeout=60).output
    framework = f"torch: {TORCH}" if image == PYTORCH_IMAGE else f"tensorflow: {TENSORFLOW}"
    for component in ("os:", "python:", "openmpi:", framework, "mlflow:", "azureml-mlflow:", "horovod:", "cuda ops:"):
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


def _scan_layers(image: str) -> LayerScan:
    """Where the image's layers hold a build input (a path that names one, or a file holding one)
    or a piece of the toolchain.

    A certificate of the extra bundle that Debian's ca-certificates package also ships (any file
    under usr/share/ca-certificates/, in any layer) is a public root, not something the build
    input brought: only the others count.
    """
    needles = _needles_from_build_inputs(image)
    result = LayerScan()
    found = result.build_inputs
    holders: dict[bytes, list[str]] = {}
    public: set[bytes] = set()
    for layer_name, path, layer, member in _layer_files(image):
        if "build-inputs" in path or path.endswith(("extra-ca.pem", "/pip.conf")) or path == "etc/pip.conf":
            found.append(f"{layer_name}: {path}")
        if not member.isdir() and TOOLCHAIN_PATH.search(path.removeprefix("./")):
            result.toolchain.append(f"{layer_name}: {path}")
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
    return result


def test_no_layer_holds_a_build_input(scan: LayerScan) -> None:
    assert not scan.build_inputs, "build inputs in the image's layers:\n" + "\n".join(scan.build_inputs)


def test_no_layer_holds_the_cuda_toolchain_or_a_compiler(scan: LayerScan) -> None:
    assert not scan.toolchain, "toolchain files in the image's layers:\n" + "\n".join(scan.toolchain[:40])


def test_the_layer_scan_finds_build_inputs_and_toolchain_where_they_are() -> None:
    # The toolchain image is built on the builder, which keeps /build-inputs on purpose, and holds
    # /opt/cuda and the builder's compilers (it is never pushed): the scan that passes the final
    # images must flag all of it, or it proves nothing.
    toolchain_image = require_image(TOOLCHAIN_IMAGE)
    found = _scan_layers(toolchain_image)
    assert any("build-inputs/" in where for where in found.build_inputs), found.build_inputs
    if _needles_from_build_inputs(toolchain_image):
        assert any(where.endswith("holds a build input") for where in found.build_inputs), found.build_inputs
    for piece in ("opt/cuda/bin/nvcc", "opt/cuda/nvvm/bin/cicc", "/cc1plus"):
        assert any(where.endswith(piece) for where in found.toolchain), (piece, found.toolchain[:40])


def test_history_holds_no_build_input(image: str) -> None:
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image).stdout
    assert "build-inputs" not in history
    for needle in _needles_from_build_inputs(image):
        assert needle.decode() not in history
