"""Environment versions follow content: build-context hashing, .dockerignore, digest pinning."""

import pytest

from submit.build_context import context_version, included_files
from submit.environment import build_environment, environment_reference
from submit.image_digest import pinned_reference, repository_of
from submit.request import SubmitRequest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
IMAGE = "myacr.azurecr.io/trainyard/pytorch:0.1"
DIGEST = "sha256:" + "a" * 64


def write(root, relative, text="x"):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def context(tmp_path):
    """A repository shaped like trainyard's: a whitelist .dockerignore, code, and build junk."""
    write(tmp_path, ".dockerignore", "*\n!docker/\n!train/\ndocker/**/*.md\n**/__pycache__\n")
    write(tmp_path, "docker/pytorch/Dockerfile", "FROM python:3.11-slim\n")
    write(tmp_path, "docker/pytorch/README.md")
    write(tmp_path, "train/pytorch.py", "print('train')\n")
    write(tmp_path, "train/__pycache__/pytorch.cpython-311.pyc")
    write(tmp_path, "build/azure/pytorch/job.yaml")
    write(tmp_path, ".git/HEAD")
    write(tmp_path, "README.md")
    return tmp_path


def test_included_files_follow_dockerignore(context):
    assert sorted(included_files(str(context))) == ["docker/pytorch/Dockerfile", "train/pytorch.py"]


def test_without_dockerignore_everything_is_included(tmp_path):
    write(tmp_path, "a/b.txt")
    write(tmp_path, "c.txt")
    assert sorted(included_files(str(tmp_path))) == ["a/b.txt", "c.txt"]


def test_version_ignores_files_docker_never_sees(context):
    before = context_version(str(context), "docker/pytorch/Dockerfile")
    write(context, "build/azure/pytorch/job.yaml", "changed")
    write(context, "README.md", "changed")
    write(context, "docker/pytorch/README.md", "changed")
    assert context_version(str(context), "docker/pytorch/Dockerfile") == before


@pytest.mark.parametrize("relative", ["train/pytorch.py", "docker/pytorch/Dockerfile", "train/new_module.py"])
def test_version_changes_with_the_image_content(context, relative):
    before = context_version(str(context), "docker/pytorch/Dockerfile")
    write(context, relative, "changed")
    assert context_version(str(context), "docker/pytorch/Dockerfile") != before


def test_version_counts_the_dockerfile_even_when_dockerignored(tmp_path):
    write(tmp_path, ".dockerignore", "Dockerfile\n")
    write(tmp_path, "Dockerfile", "FROM a\n")
    before = context_version(str(tmp_path), "Dockerfile")
    write(tmp_path, "Dockerfile", "FROM b\n")
    assert context_version(str(tmp_path), "Dockerfile") != before


def test_build_context_environment_is_versioned_by_content(context):
    request = SubmitRequest(framework="pytorch", build_context=str(context))
    first, second = build_environment(request), build_environment(request)
    assert (first.name, first.version) == (second.name, second.version) == (
        "trainyard-pytorch", context_version(str(context), "docker/pytorch/Dockerfile"))
    assert first.build.dockerfile_path == "docker/pytorch/Dockerfile"


def test_image_environment_is_versioned_by_reference(monkeypatch):
    monkeypatch.setattr("submit.image_digest.local_repo_digests", lambda image: [])
    one = build_environment(SubmitRequest(framework="pytorch", image=IMAGE))
    same = build_environment(SubmitRequest(framework="deepspeed", image=IMAGE))
    other = build_environment(SubmitRequest(framework="pytorch", image=IMAGE.replace("0.1", "0.2")))
    assert one.version == same.version != other.version
    assert environment_reference(one) == f"azureml:trainyard-pytorch:{one.version}"


def test_image_is_pinned_to_the_pushed_digest(monkeypatch):
    monkeypatch.setattr("submit.image_digest.local_repo_digests",
                        lambda image: ["other.io/trainyard/pytorch@sha256:" + "b" * 64,
                                       f"myacr.azurecr.io/trainyard/pytorch@{DIGEST}"])
    environment = build_environment(SubmitRequest(framework="pytorch", image=IMAGE))
    assert environment.image == f"myacr.azurecr.io/trainyard/pytorch@{DIGEST}"


def test_digest_reference_is_kept_as_given():
    image = f"myacr.azurecr.io/trainyard/pytorch@{DIGEST}"
    assert pinned_reference(image, repo_digests=lambda image: pytest.fail("no lookup needed")) == image


def test_unpushed_tag_is_kept_as_given():
    assert pinned_reference(IMAGE, repo_digests=lambda image: []) == IMAGE


@pytest.mark.parametrize("image, repository", [
    ("myacr.azurecr.io/trainyard/pytorch:0.1", "myacr.azurecr.io/trainyard/pytorch"),
    ("localhost:5000/trainyard/pytorch:0.1", "localhost:5000/trainyard/pytorch"),
    ("localhost:5000/trainyard/pytorch", "localhost:5000/trainyard/pytorch"),
])
def test_repository_of(image, repository):
    assert repository_of(image) == repository
