"""bench/gpu.py: what the GPU section runs and how its figures read. No GPU here: what needs one
(the in-container runs) is not exercised by these tests, and the section says so in its docstring."""

from __future__ import annotations

import pytest

from bench import gpu
from bench.gpu import ResNetRun, nccl_sweep_command, resnet_command, resnet_efficiencies, resnet_runs
from bench.plan import Plan
from bench.progress import Progress
from bench.results import format_table

MACHINE = {"hostname": "h", "cores": 16, "cpu_model": "cpu", "memory_bytes": 2**37, "docker_server": "27.0"}


def test_one_gpu_runs_each_precision_once_and_more_gpus_add_the_all_gpu_run():
    assert resnet_runs(1) == [ResNetRun("fp32", 1), ResNetRun("bf16", 1)]
    assert resnet_runs(8) == [ResNetRun("fp32", 1), ResNetRun("fp32", 8), ResNetRun("bf16", 1), ResNetRun("bf16", 8)]


def test_nccl_sweep_is_one_rank_per_gpu_with_nccl_tests_counts():
    command = nccl_sweep_command(Plan(sizes=(4096, 2**20)), gpus=4)
    assert command[:3] == ["torchrun", "--standalone", "--nproc-per-node=4"]
    assert command[command.index("--backend") + 1] == "nccl"
    assert command[command.index("--plan") + 1] == "4096:5:20,1048576:5:20"


def test_resnet_run_is_horovods_synthetic_benchmark_on_cuda():
    command = resnet_command(ResNetRun("bf16", 2))
    flags = dict(zip(command[4::2], command[5::2], strict=True))
    assert command[2] == "--nproc-per-node=2"
    assert flags == {"--device": "cuda", "--way": "ddp", "--model": "resnet50", "--image-size": "224",
                     "--batch-size": "32", "--warmup-batches": "10", "--iterations": "10",
                     "--batches-per-iteration": "10", "--precision": "bf16"}


def test_efficiency_of_n_gpus_pairs_it_with_one_gpu_of_the_same_precision():
    runs = [{"precision": "fp32", "gpus": 1, "img_per_sec": {"mean": 100.0, "plus_minus": 0.0}},
            {"precision": "fp32", "gpus": 8, "img_per_sec": {"mean": 720.0, "plus_minus": 0.0}},
            {"precision": "bf16", "gpus": 1, "error": "boom"},
            {"precision": "bf16", "gpus": 8, "img_per_sec": {"mean": 1500.0, "plus_minus": 0.0}}]
    assert resnet_efficiencies(runs) == [{"precision": "fp32", "gpus": 8, "efficiency": {"mean": 0.9, "plus_minus": 0.0}}]


def test_without_nvidia_smi_the_section_is_not_measured_and_starts_nothing(monkeypatch):
    monkeypatch.setattr(gpu.shutil, "which", lambda name: None)
    monkeypatch.setattr(gpu, "started", lambda *a, **k: pytest.fail("a container was started without a GPU"))
    section = gpu.measure_gpu(Plan(), spec=None, prefix="p-", progress=Progress(0, 60))
    assert section["status"] == "not measured: no GPU"
    assert gpu.estimate_seconds(0) == 0


def test_table_shows_nccl_algbw_busbw_and_resnet_with_its_efficiency():
    size = 2**28
    section = {"status": "partly failed", "gpus": ["GPU 0: NVIDIA H100", "GPU 1: NVIDIA H100"],
               "nccl": {"world_size": 2, "hosts": [], "sizes": [
                   {"bytes": size, "seconds": size / 100e9, "ok": True,
                    "algbw_bytes_per_s": 100e9, "busbw_bytes_per_s": 100e9}]},
               "resnet50": [{"precision": "fp32", "gpus": 1, "img_per_sec": {"mean": 900.0, "plus_minus": 5.0}},
                            {"precision": "fp32", "gpus": 2, "img_per_sec": {"mean": 1710.0, "plus_minus": 8.0}},
                            {"precision": "bf16", "gpus": 1, "error": "a rank exited 1: CUDA out of memory"}],
               "efficiency": [{"precision": "fp32", "gpus": 2, "efficiency": {"mean": 0.95, "plus_minus": 0.01}}]}
    table = format_table({"started_utc": "2026-11-23T01:00:00+00:00", "cpus_limit": None, "machine": MACHINE,
                          "images": {}, "sections": {"gpu": section}})
    assert "GPU: partly failed" in table
    assert "GPU 1: NVIDIA H100" in table
    assert any("256 MiB" in line and "100.00" in line for line in table.splitlines())
    assert "ResNet-50 DDP fp32, 2 GPU(s): 1710.0 ± 8.0 img/s, E(2) 0.95 ± 0.01" in table
    assert "ResNet-50 DDP bf16, 1 GPU(s): failed: a rank exited 1: CUDA out of memory" in table


def test_a_wrong_nccl_sum_is_flagged_in_the_table():
    section = {"status": "ok", "gpus": ["GPU 0: X"], "nccl": {"world_size": 1, "hosts": [], "sizes": [
        {"bytes": 4096, "seconds": 1e-5, "ok": False, "algbw_bytes_per_s": 4.1e8, "busbw_bytes_per_s": 0.0}]},
        "resnet50": [], "efficiency": []}
    table = format_table({"started_utc": "t", "cpus_limit": None, "machine": MACHINE, "images": {},
                          "sections": {"gpu": section}})
    assert "WRONG SUM" in table
