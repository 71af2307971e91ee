"""The pre-flight report: what would fail on the cluster, seen before anything starts."""

from types import SimpleNamespace

from submit.rehearsal.layout import job_layout
from submit.rehearsal.preflight import command_files, gpu_fit, gpu_host, gpu_requests, host_capacity


def layout(kind="pytorch", nodes=2, per_node=1):
    return job_layout(SimpleNamespace(distribution=SimpleNamespace(type=kind, process_count_per_instance=per_node),
                                      resources=SimpleNamespace(instance_count=nodes)))


def test_a_script_the_code_folder_lacks_is_an_error():
    [finding] = command_files("python train.py --epochs 3", {"main.py"}, code_given=True)
    assert finding.severity == "error" and "runs train.py, but it is not in the job's code: folder" in finding.message


def test_scripts_and_configs_in_the_snapshot_pass_and_absolute_paths_are_not_checked():
    assert command_files("python src/train.py --deepspeed_config=ds.json --data /mnt/x/INPUT_d",
                         {"src/train.py", "ds.json"}, code_given=True) == []


def test_a_missing_config_file_is_a_warning_only():
    [finding] = command_files("python train.py --config cfg.yaml", {"train.py"}, code_given=True)
    assert finding.severity == "warning" and "cfg.yaml" in finding.message


def test_more_processes_than_the_sizes_gpus_is_an_error_when_the_size_is_given():
    [finding] = gpu_fit(layout(per_node=2), "Standard_NC24ads_A100_v4")
    assert finding.severity == "error" and "process_count_per_instance 2 is more than the 1 GPU(s)" in finding.message
    assert gpu_fit(layout(per_node=2), "Standard_NC48ads_A100_v4") == []


def test_without_a_size_the_default_is_checked_as_a_warning():
    [finding] = gpu_fit(layout(per_node=4), None)
    assert finding.severity == "warning" and "set VM_SIZE" in finding.message


def test_a_host_too_small_says_how_many_nodes_it_can_hold():
    [finding] = host_capacity(layout(nodes=8, per_node=2), memory_bytes=10 * 2**30)
    assert finding.severity == "error" and "about 8 process(es), 4 node(s) of 2" in finding.message
    assert host_capacity(layout(nodes=2, per_node=2), memory_bytes=24 * 2**30) == []


def test_nccl_and_cuda_in_the_code_are_found_with_their_lines(tmp_path):
    (tmp_path / "train.py").write_text("import torch\n\ndist.init_process_group(backend='nccl')\n"
                                       "device = torch.device('cuda', 0)\n")
    assert gpu_requests(str(tmp_path), ["train.py"], "python train.py") == ["NCCL (train.py line 3)",
                                                                           "CUDA (train.py line 4)"]


def test_a_gpu_job_on_a_cpu_host_is_one_line_with_the_ways_that_work():
    [finding] = gpu_host(["NCCL (train.py line 3)"], host_gpus=0, cpu_fallback=False, gpus_wanted=False)
    assert finding.severity == "error"
    assert "asks for NCCL (train.py line 3), and this host has no GPU" in finding.message and "CPU_FALLBACK=1" in \
        finding.message
    [loud] = gpu_host(["NCCL (train.py line 3)"], host_gpus=0, cpu_fallback=True, gpus_wanted=False)
    assert loud.severity == "warning" and "nccl backend runs as gloo" in loud.message
    assert gpu_host(["NCCL (train.py line 3)"], host_gpus=1, cpu_fallback=False, gpus_wanted=True) == []
    assert gpu_host([], host_gpus=0, cpu_fallback=False, gpus_wanted=True)[0].severity == "error"


def test_cuda_the_code_guards_with_is_available_is_a_warning_and_nccl_on_its_own_line_is_not_guarded(tmp_path):
    (tmp_path / "train.py").write_text("use_cuda = torch.cuda.is_available()\nif use_cuda:\n"
                                       "    torch.cuda.set_device(0)\n")
    asked = gpu_requests(str(tmp_path), ["train.py"], "python train.py")
    assert asked == ["CUDA (train.py line 3) if available"]
    [finding] = gpu_host(asked, host_gpus=0, cpu_fallback=False, gpus_wanted=False)
    assert finding.severity == "warning" and "takes its CPU path here" in finding.message
    (tmp_path / "train.py").write_text("device = torch.device('cuda:0' if torch.cuda.is_available() else 'cpu')\n"
                                       "dist.init_process_group(backend='nccl')\n")
    assert gpu_requests(str(tmp_path), ["train.py"], "") == ["NCCL (train.py line 2)", "CUDA (train.py line 1) if available"]
