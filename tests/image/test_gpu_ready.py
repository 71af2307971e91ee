"""The images are GPU-ready, checked on a machine without a GPU or a driver: Horovod's NCCL operations
and DeepSpeed's prebuilt ops are in them, load and run their CPU paths without a compiler or JIT,
hold code for the GPUs the build promises, and find every library they link.

What needs a GPU to check (a kernel launch, an NCCL all-reduce) is not here: these images run on a
CPU-only machine in CI. The build itself fails when a compiled extension lacks code for one of the
architectures in docker/cuda-toolchain/archs.txt (docker/scripts/check-cuda-archs, cuobjdump).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.containers import PYTORCH_IMAGE, TENSORFLOW_IMAGE, run_container
from tests.required_image import require_image

pytestmark = pytest.mark.image

ARCHS_FILE = Path(__file__).resolve().parents[2] / "docker" / "cuda-toolchain" / "archs.txt"
IMAGES = {"pytorch": PYTORCH_IMAGE, "tensorflow": TENSORFLOW_IMAGE}
HOROVOD_MODULE = {"pytorch": "horovod.torch", "tensorflow": "horovod.tensorflow"}
# The packages whose extensions each image compiles itself (mpi4py comes as PyPI's binary wheel:
# test_mpi4py_runs_on_the_images_open_mpi).
COMPILED = {"pytorch": ("horovod", "deepspeed"), "tensorflow": ("horovod",)}
COMPILERS = ("cc", "gcc", "c++", "g++", "nvcc")

LDD_SCRIPT = """
import json, pathlib, subprocess, sys, sysconfig
site = pathlib.Path(sysconfig.get_paths()["purelib"])
report = {}
for package in sys.argv[1:]:
    for so in sorted((site / package).rglob("*.so")):
        out = subprocess.run(["ldd", str(so)], capture_output=True, text=True, timeout=60).stdout
        report[str(so.relative_to(site))] = [line.strip() for line in out.splitlines() if "not found" in line]
print(json.dumps(report))
"""

CPU_ADAM_SCRIPT = """
import os, pathlib, shutil
os.environ["DS_ACCELERATOR"] = "cuda"   # the accelerator the ops were built for; no GPU needed for CPU Adam
import torch
from deepspeed.accelerator import get_accelerator
from deepspeed.ops.adam import DeepSpeedCPUAdam
print("compilers:", [c for c in %r if shutil.which(c)])
module = get_accelerator().create_op_builder("CPUAdamBuilder").load()
print("op module:", module.__file__)
torch.manual_seed(0)
start, grad = torch.randn(4096), torch.randn(4096)
ours, reference = torch.nn.Parameter(start.clone()), torch.nn.Parameter(start.clone())
optimizer = DeepSpeedCPUAdam([ours], lr=0.01)
torch_adam = torch.optim.Adam([reference], lr=0.01)
for _ in range(3):
    ours.grad, reference.grad = grad.clone(), grad.clone()
    optimizer.step()
    torch_adam.step()
print("moved:", float((ours - start).abs().max()))
print("max difference from torch.optim.Adam:", float((ours - reference).abs().max()))
extensions = pathlib.Path(os.environ.get("TORCH_EXTENSIONS_DIR", pathlib.Path.home() / ".cache" / "torch_extensions"))
print("jit folder exists:", extensions.exists())
""" % (COMPILERS,)


@pytest.fixture(params=sorted(IMAGES))
def kind(request: pytest.FixtureRequest) -> str:
    """Which image: pytorch or tensorflow (the tests below run on both)."""
    require_image(IMAGES[request.param])
    return request.param


def expected_cubins() -> list[str]:
    archs = [line.strip() for line in ARCHS_FILE.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return ["sm_" + arch.replace(".", "") for arch in archs]


def test_horovod_has_nccl_gpu_operations(kind: str) -> None:
    # hvd.nccl_built() is what `horovodrun --check-build` prints as "[X] NCCL", without starting the
    # framework once per line (3 min on the TensorFlow image); test_horovod runs --check-build itself.
    probe = (f"import {HOROVOD_MODULE[kind]} as hvd; print('nccl_built', hvd.nccl_built()); "
             "print('mpi_built', hvd.mpi_built())")
    result = run_container(["python", "-c", probe], image=IMAGES[kind], timeout=300)
    assert result.returncode == 0, result.tail()
    built = re.search(r"^nccl_built (\d+)$", result.output, re.MULTILINE)
    assert built and int(built.group(1)) > 0, result.tail()
    assert re.search(r"^mpi_built True$", result.output, re.MULTILINE), result.tail()


def test_every_compiled_extension_finds_its_libraries(kind: str) -> None:
    result = run_container(["python", "-c", LDD_SCRIPT, *COMPILED[kind]], image=IMAGES[kind], timeout=300)
    assert result.returncode == 0, result.tail()
    report = json.loads(result.output.strip().splitlines()[-1])
    assert any(name.startswith("horovod/") for name in report), report   # the scan found them at all
    missing = {name: lines for name, lines in report.items() if lines}
    assert not missing, json.dumps(missing, indent=1)


def test_mpi4py_runs_on_the_images_open_mpi() -> None:
    """mpi4py's wheel carries one extension per MPI ABI (MPICH's and Open MPI's) and loads the one
    whose library it finds: here Open MPI's must resolve and be the one in use."""
    script = (LDD_SCRIPT + "\nfrom mpi4py import MPI\nprint('library:', MPI.Get_library_version().splitlines()[0])")
    result = run_container(["python", "-c", script, "mpi4py"], image=PYTORCH_IMAGE, timeout=300)
    assert result.returncode == 0, result.tail()
    report = json.loads(next(line for line in result.output.splitlines() if line.startswith("{")))
    open_mpi = [name for name in report if ".openmpi." in name]
    assert open_mpi and all(report[name] == [] for name in open_mpi), report
    assert re.search(r"^library: Open MPI v", result.output, re.MULTILINE), result.tail()


def test_versions_say_what_the_gpu_code_targets(kind: str) -> None:
    versions = run_container(["cat", "/etc/trainyard/versions.txt"], image=IMAGES[kind], timeout=60).output
    line = re.search(r"^cuda ops: (.*)$", versions, re.MULTILINE)
    assert line, versions
    for cubin in expected_cubins():
        assert cubin in line.group(1), versions
    assert f"{expected_cubins()[-1]} PTX" in line.group(1), versions
    assert "built with nvcc " in line.group(1), versions
    assert re.search(r"^horovod: .*gpu operations nccl \d+", versions, re.MULTILINE), versions


def test_no_compiler_is_left_in_the_image(kind: str) -> None:
    result = run_container(
        ["sh", "-c", f"for c in {' '.join(COMPILERS)}; do command -v $c; done; ls -d /opt/cuda 2>/dev/null; true"],
        image=IMAGES[kind], timeout=60)
    assert result.returncode == 0, result.tail()
    assert result.output.strip() == "", f"compiler or toolchain in the runtime image:\n{result.output}"


def test_doctor_says_gpu_ready_and_warns_only_about_the_missing_gpus() -> None:
    image = require_image(PYTORCH_IMAGE)
    result = run_container(["python", "-m", "train.doctor"], image=image, timeout=360)
    assert result.returncode == 0, result.tail()
    output = result.output
    assert "GPU-ready image, cuda ops: " in output, output
    assert re.search(r"^WARN +gpus +0 visible", output, re.MULTILINE), output
    assert re.search(r"^OK +horovod .*nccl \(NCCL GPU operations\)", output, re.MULTILINE), output
    prebuilt = re.search(r"^OK +deepspeed .*prebuilt ops: (.*)$", output, re.MULTILINE)
    assert prebuilt and {"fused_adam", "cpu_adam"} <= set(prebuilt.group(1).split(", ")), output
    assert not re.search(r"^FAIL", output, re.MULTILINE), output


def test_ds_report_shows_the_training_ops_installed() -> None:
    image = require_image(PYTORCH_IMAGE)
    result = run_container(["sh", "-c", "DS_ACCELERATOR=cuda ds_report"], image=image, timeout=360)
    assert result.returncode == 0, result.tail()
    report = re.sub(r"\x1b\[[0-9;]*m", "", result.output)   # ds_report colours its columns
    installed = set(re.findall(r"^(\w+) \.+ \[YES\]", report, re.MULTILINE))
    assert {"fused_adam", "cpu_adam", "fused_lamb", "fused_lion", "cpu_adagrad", "cpu_lion"} <= installed, report


def test_cpu_adam_steps_a_cpu_tensor_with_the_prebuilt_op_without_a_compiler() -> None:
    image = require_image(PYTORCH_IMAGE)
    result = run_container(["python", "-c", CPU_ADAM_SCRIPT], image=image, timeout=360)
    assert result.returncode == 0, result.tail()
    output = result.output
    assert "compilers: []" in output, output
    assert re.search(r"^op module: .*/site-packages/deepspeed/ops/adam/cpu_adam_op[^/]*\.so$", output, re.MULTILINE), output
    assert float(re.search(r"^moved: (\S+)", output, re.MULTILINE).group(1)) > 0.01, output
    assert float(re.search(r"^max difference from torch.optim.Adam: (\S+)", output, re.MULTILINE).group(1)) < 1e-5, output
    assert "jit folder exists: False" in output, output
