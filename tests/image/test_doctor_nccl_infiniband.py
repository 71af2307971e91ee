"""`train.doctor`'s "nccl-ib" line: would NCCL use InfiniBand here?

The rules are tried on the host against a fake /sys/class/infiniband tree (no InfiniBand hardware
exists on a CI runner; the tree has the layout the kernel's ib_core gives it: <hca>/ports/<n>/state
holding e.g. "4: ACTIVE") and a stand-in library loader. The last test runs the real check in the
image with its real loader: the image installs rdma-core's libibverbs.so.1 (which NCCL's IB transport
loads) and the mlx5 provider, so there the answer must be yes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.containers import Mount, run_container
from train.doctor import check_nccl_infiniband

pytestmark = pytest.mark.image


def _fake_sysfs(root: Path, ports: dict[str, str]) -> Path:
    for hca, state in ports.items():
        port = root / hca / "ports" / "1"
        port.mkdir(parents=True)
        (port / "state").write_text(state + "\n")
    return root


def _loads(library: str) -> None:
    pass


def _without(*absent: str):
    def load(library: str) -> None:
        if library in absent:
            raise OSError(f"{library}: cannot open shared object file")
    return load


def verdict(tmp_path, ports, env=None, load=_loads):
    (check,) = check_nccl_infiniband(env or {}, _fake_sysfs(tmp_path / "ib", ports), load)
    return check.status, check.detail


def test_active_hca_with_verbs_is_used(tmp_path):
    assert verdict(tmp_path, {"mlx5_0": "4: ACTIVE", "mlx5_1": "4: ACTIVE"}) == ("OK", "yes: mlx5_0, mlx5_1")


def test_no_devices_means_sockets_and_is_fine(tmp_path):
    assert verdict(tmp_path, {}) == ("OK", "no: no InfiniBand devices here (NCCL uses TCP sockets)")


def test_down_port_is_a_warning(tmp_path):
    assert verdict(tmp_path, {"mlx5_0": "1: DOWN"}) == ("WARN", "no: no ACTIVE port on mlx5_0")


@pytest.mark.parametrize("absent", [("libibverbs.so.1",), ("libmlx5.so.1",), ("libibverbs.so.1", "libmlx5.so.1")])
def test_missing_rdma_core_is_a_warning_naming_the_library(tmp_path, absent):
    status, detail = verdict(tmp_path, {"mlx5_0": "4: ACTIVE"}, load=_without(*absent))
    assert status == "WARN" and f"{', '.join(absent)} not in this image" in detail


@pytest.mark.parametrize("env, expected", [
    ({"NCCL_IB_DISABLE": "1"}, "no: NCCL_IB_DISABLE is set"),
    ({"NCCL_NET": "Socket"}, "no: NCCL_NET=Socket"),
])
def test_nccl_variables_that_turn_ib_off(tmp_path, env, expected):
    assert verdict(tmp_path, {"mlx5_0": "4: ACTIVE"}, env) == ("WARN", expected)


@pytest.mark.parametrize("hca, expected", [
    ("mlx5_1", "yes: mlx5_1"), ("^mlx5_0", "yes: mlx5_1"), ("=mlx5_0:1", "yes: mlx5_0"),
    ("mlx4", "no: no InfiniBand devices here (NCCL uses TCP sockets)")])
def test_nccl_ib_hca_filters_the_devices(tmp_path, hca, expected):
    status, detail = verdict(tmp_path, {"mlx5_0": "4: ACTIVE", "mlx5_1": "4: ACTIVE"}, {"NCCL_IB_HCA": hca})
    assert detail == expected


def test_doctor_in_the_image_reports_nccl_ib(pytorch_image, tmp_path):
    """With an ACTIVE mlx5 HCA in a fake sysfs, the image lets NCCL use it: rdma-core's libraries
    (docker/base/runtime-packages.txt) are in the image's own linker cache (`ldconfig -p`, a second
    opinion independent of the check's dlopen), and the doctor's line says yes."""
    root = _fake_sysfs(tmp_path / "ib", {"mlx5_0": "4: ACTIVE"})
    script = ("from pathlib import Path; from train.doctor import check_nccl_infiniband as c; "
              "(r,) = c(root=Path('/fake-ib')); print('nccl-ib', r.status, r.detail)")
    result = run_container(["bash", "-c", f"python -c \"{script}\" && ldconfig -p"], image=pytorch_image,
                           timeout=60, mounts=[Mount(root, "/fake-ib", read_only=True)])
    assert result.returncode == 0, result.tail()
    line = re.search(r"^nccl-ib (OK|WARN) (.*)$", result.output, re.MULTILINE)
    assert line, result.tail()
    missing = [lib for lib in ("libibverbs.so.1", "libmlx5.so.1") if f"\t{lib} (" not in result.output]
    assert not missing, f"rdma-core libraries not in the image: {missing}"
    assert line.group(0) == "nccl-ib OK yes: mlx5_0"
