"""GPU counts of Azure VM sizes."""

import pytest

from submit.vm_sizes import gpus_per_node


@pytest.mark.parametrize("size, gpus", [
    ("Standard_NC6s_v3", 1), ("Standard_NC24s_v3", 4), ("Standard_ND96asr_v4", 8),
    ("Standard_NC4as_T4_v3", 1), ("Standard_NC64as_T4_v3", 4), ("Standard_ND96isr_H100_v5", 8),
])
def test_known_sizes(size, gpus):
    assert gpus_per_node(size) == gpus


def test_lookup_ignores_case():
    assert gpus_per_node("STANDARD_nc12S_V3") == 2


def test_unknown_size_is_none_not_zero():
    assert gpus_per_node("Standard_D4s_v5") is None
