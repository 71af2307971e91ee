"""`python -m train.doctor` in the PyTorch image: exit 0 on the complete image, non-zero when a piece
it promises is removed, and under a 2-rank mpirun an all-reduce with bus bandwidth."""

import re

import pytest

from tests.containers import run_container
from tests.image.ddp_commands import AZUREML_MPI_SINGLE_NODE, MPIRUN_2

pytestmark = pytest.mark.image

DOCTOR = ["python", "-m", "train.doctor"]


def test_complete_image_is_healthy(pytorch_image):
    result = run_container(DOCTOR, image=pytorch_image, timeout=360)
    assert result.returncode == 0, result.tail()
    for name in ("torch", "mpi", "mpi4py", "sshd", "horovod", "deepspeed", "shm", "infiniband"):
        assert re.search(rf"^(OK|WARN) +{name} ", result.output, re.MULTILINE), f"no {name} line:\n{result.output}"
    assert re.search(r"^OK +horovod +0\.28\.1, built with pytorch, mpi, gloo", result.output, re.MULTILINE), result.output
    assert "doctor: OK" in result.output


# One missing piece in make test; the same check for the others in make test-matrix.
@pytest.mark.parametrize("package", ["horovod", pytest.param("deepspeed", marks=pytest.mark.matrix),
                                     pytest.param("mpi4py", marks=pytest.mark.matrix)])
def test_missing_piece_fails(package, pytorch_image):
    # The runtime user cannot uninstall from the root-owned venv; a package that fails to import
    # first on PYTHONPATH is the same to the doctor as one that is not there.
    shadow = f"mkdir -p /tmp/shadow/{package} && echo 'raise ImportError(\"removed\")' > /tmp/shadow/{package}/__init__.py"
    result = run_container(["sh", "-c", f"{shadow} && PYTHONPATH=/tmp/shadow:$PYTHONPATH exec {' '.join(DOCTOR)}"],
                           image=pytorch_image, timeout=360)
    assert result.returncode == 1, result.tail()
    assert re.search(rf"^FAIL +{package} ", result.output, re.MULTILINE), result.tail()
    assert "doctor: FAIL" in result.output


def test_distributed_launch_reports_bus_bandwidth(pytorch_image):
    result = run_container([*MPIRUN_2, *AZUREML_MPI_SINGLE_NODE, *DOCTOR, "--size-mib", "8"],
                           image=pytorch_image, timeout=360)
    assert result.returncode == 0, result.tail()
    line = re.search(r"^all-reduce: 2 ranks, backend gloo, .* busbw ([0-9.]+) GB/s$", result.output, re.MULTILINE)
    assert line and float(line.group(1)) > 0, result.tail()
    assert re.search(r"^  rank 1 on \S+: [0-9.]+ ms$", result.output, re.MULTILINE), result.tail()
