"""Each image's bill of materials (/etc/trainyard/sbom.cdx.json, docker/scripts/make-sbom): valid
CycloneDX, naming the frameworks and libraries with the versions versions.txt gives, stamped with
the image's revision, and `make sbom` copies out the same document. No SBOM tool stays in the image.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from tests.containers import PYTORCH_IMAGE, TENSORFLOW_IMAGE, docker, run_container
from tests.required_image import require_image

pytestmark = pytest.mark.image

ROOT = Path(__file__).resolve().parents[2]
# What versions.txt's lines say, and the SBOM component that must carry that version.
#   versions.txt line prefix -> (component name, pattern of the version in that line)
EXPECTED = {
    "pytorch": {"torch": ("torch", r"^torch: (\S+)"), "nccl": ("nvidia-nccl-cu12", r"^torch: .* nccl (\S+)"),
                "horovod": ("horovod", r"^horovod: (\S+)"), "deepspeed": ("deepspeed", r"^deepspeed: (\S+)"),
                "mlflow": ("mlflow", r"^mlflow: (\S+)"), "openmpi": ("openmpi-bin", r"^openmpi: (\S+)")},
    "tensorflow": {"tensorflow": ("tensorflow", r"^tensorflow: (\S+)"), "horovod": ("horovod", r"^horovod: (\S+)"),
                   "mlflow": ("mlflow", r"^mlflow: (\S+)"), "openmpi": ("openmpi-bin", r"^openmpi: (\S+)")},
}


@pytest.fixture(scope="module", params=[PYTORCH_IMAGE, TENSORFLOW_IMAGE], ids=["pytorch", "tensorflow"])
def image(request: pytest.FixtureRequest) -> str:
    return require_image(request.param)


@pytest.fixture(scope="module")
def sbom_text(image: str) -> str:
    result = run_container(["cat", "/etc/trainyard/sbom.cdx.json"], image=image, timeout=60)
    assert result.returncode == 0, result.tail()
    return result.output


def test_the_sbom_is_valid_cyclonedx(sbom_text: str) -> None:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(sbom_text)
    assert error is None, str(error)[:2000]


def test_the_sbom_names_frameworks_and_libraries_with_the_versions_of_versions_txt(image: str, sbom_text: str) -> None:
    versions_txt = run_container(["cat", "/etc/trainyard/versions.txt"], image=image, timeout=60).output
    components = {}
    for component in json.loads(sbom_text)["components"]:
        components.setdefault(component["name"], component["version"])
    family = "pytorch" if image == PYTORCH_IMAGE else "tensorflow"
    for what, (name, pattern) in EXPECTED[family].items():
        said = re.search(pattern, versions_txt, flags=re.MULTILINE)
        assert said, f"versions.txt has no {what} line:\n{versions_txt}"
        assert name in components, f"{what} ({name}) is not in the SBOM"
        # torch's version carries its local part (2.x.y+cu124), as pip reports it; nccl's is x.y.z.
        assert components[name].split("+")[0] == said.group(1).split("+")[0], (what, components[name], said.group(1))


def test_the_sbom_names_the_image_with_its_version_and_revision(image: str, sbom_text: str) -> None:
    subject = json.loads(sbom_text)["metadata"]["component"]
    labels = json.loads(docker("image", "inspect", "--format", "{{json .Config.Labels}}", image).stdout)
    assert subject["type"] == "container" and subject["name"] == labels["org.opencontainers.image.title"]
    assert subject["version"] == labels["org.opencontainers.image.version"]
    revision = {prop["name"]: prop["value"] for prop in subject["properties"]}["org.opencontainers.image.revision"]
    assert revision == labels["org.opencontainers.image.revision"]


def test_no_sbom_tool_stays_in_the_image(image: str) -> None:
    probe = ("command -v cyclonedx-py; python -c 'import cyclonedx' 2>/dev/null && echo importable; "
             "ls -d /tmp/sbom-tool /build-inputs 2>/dev/null; echo done")
    result = run_container(["sh", "-c", probe], image=image, timeout=60)
    assert result.output.strip() == "done", result.output


def test_make_sbom_copies_out_what_the_image_carries(image: str, sbom_text: str, tmp_path: Path) -> None:
    name, tag = image.split("/", 1)[1].split(":")
    result = subprocess.run(["make", "--no-print-directory", "sbom", f"IMAGES={name}", f"TAG={tag}",
                             f"SBOM_DIR={tmp_path}"], cwd=ROOT, capture_output=True, text=True, timeout=180,
                            env={**os.environ, "MAKEFLAGS": ""})
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / f"{name}.cdx.json").read_text() == sbom_text
