"""Azure's current GPU VM sizes, the refused ones, and the default."""

import os

import pytest

from submit.vm_sizes import (
    CURRENT_SIZES,
    DEFAULT_VM_SIZE,
    IMAGE_CUDA_ARCHS,
    find_size,
    gpus_per_node,
    refusal,
)

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("size, gpus, infiniband", [
    ("Standard_NC24ads_A100_v4", 1, False), ("Standard_NC96ads_A100_v4", 4, False),
    ("Standard_NC40ads_H100_v5", 1, False), ("Standard_NC80adis_H100_v5", 2, False),
    ("Standard_ND96asr_v4", 8, True), ("Standard_ND96amsr_A100_v4", 8, True),
    ("Standard_ND96isr_H100_v5", 8, True), ("Standard_ND96isr_H200_v5", 8, True),
    ("Standard_NV36ads_A10_v5", 1, False), ("Standard_NV72ads_A10_v5", 2, False),
    ("Standard_NC64as_T4_v3", 4, False),
])
def test_current_sizes(size, gpus, infiniband):
    found = find_size(size)
    assert (found.gpus, found.infiniband) == (gpus, infiniband)
    assert refusal(size) is None


def test_lookup_ignores_case():
    assert gpus_per_node("STANDARD_nc48ADS_a100_V4") == 2


def test_unknown_size_has_no_gpu_count():
    assert gpus_per_node("Standard_D4s_v5") is None


def test_default_is_a_current_single_gpu_size_the_images_have_code_for():
    default = find_size(DEFAULT_VM_SIZE)
    assert default.gpus == 1 and default.runs_image_kernels


@pytest.mark.parametrize("size", ["Standard_NC6s_v3", "Standard_NC12s_v3", "Standard_NC24s_v3", "Standard_NC24rs_v3",
                                  "Standard_NC6", "Standard_NC6s_v2", "Standard_ND6s", "Standard_NV6"])
def test_retired_sizes_are_refused_with_a_current_replacement(size):
    message = refusal(size)
    assert "retired" in message
    replacement = message.split(": use ", 1)[1].split()[0]
    assert find_size(replacement) is not None and find_size(replacement).runs_image_kernels


def test_no_size_is_both_current_and_refused():
    for size in CURRENT_SIZES:
        assert refusal(size.name) is None


def test_t4_is_current_but_below_the_images_kernels():
    assert find_size("Standard_NC4as_T4_v3").runs_image_kernels is False
    assert find_size("Standard_NV36ads_A10_v5").runs_image_kernels is True


def test_architectures_match_the_images_build_list():
    # docker/cuda-toolchain/archs.txt is what the images' kernels are compiled for.
    with open(os.path.join(REPOSITORY_ROOT, "docker", "cuda-toolchain", "archs.txt"), encoding="utf-8") as archs:
        listed = tuple(line.strip() for line in archs if line.strip() and not line.startswith("#"))
    assert listed == IMAGE_CUDA_ARCHS
