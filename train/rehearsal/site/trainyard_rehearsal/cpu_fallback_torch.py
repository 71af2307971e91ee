"""What CPU_FALLBACK changes in torch: `nccl` runs as `gloo`, CUDA devices are the CPU. Nothing else.

Covered (what stock DDP and DeepSpeed scripts call): init_process_group / new_group with a backend
naming nccl (and their device_id); torch.device("cuda", i), "cuda:i" and device indices; Tensor.to /
Module.to / .cuda(); the `device=` of the common tensor factories; torch.load's map_location;
torch.cuda.set_device / synchronize; DistributedDataParallel's device_ids and output_device for a CPU
module. torch.cuda.is_available() stays False: a script that asks takes its own CPU path.
"""

from __future__ import annotations

import functools
import os
import sys

BANNER = ("trainyard CPU_FALLBACK: this host has no GPU; torch's nccl backend runs as gloo and CUDA devices "
          "as the CPU (a rehearsal only: on the cluster the job runs on its GPUs)")
FACTORIES = ("tensor", "as_tensor", "zeros", "ones", "empty", "full", "rand", "randn", "randint", "randperm",
             "arange", "linspace", "eye", "zeros_like", "ones_like", "empty_like", "full_like", "rand_like",
             "randn_like")
_applied = False


def _is_cuda(device) -> bool:
    if isinstance(device, str):
        return device.split(":")[0].strip() == "cuda"
    if isinstance(device, int) and not isinstance(device, bool):
        return True      # torch reads a bare index as a CUDA device
    return getattr(device, "type", None) == "cuda"


def _cpu_if_cuda(device):
    return "cpu" if _is_cuda(device) else device


def _gloo_for_nccl(backend):
    if isinstance(backend, str) and "nccl" in backend.lower():
        return backend.lower().replace("nccl", "gloo")
    return backend


def apply(torch) -> None:
    global _applied
    if _applied:
        return
    _applied = True
    print(f"{BANNER} [pid {os.getpid()}]", file=sys.stderr, flush=True)
    _patch_backends(torch.distributed)
    _patch_devices(torch)


def _patch_backends(dist) -> None:
    for name in ("init_process_group", "new_group"):
        original = getattr(dist, name, None)
        if original is None:
            continue

        def patched(*args, __original=original, **kwargs):
            if "backend" in kwargs:
                kwargs["backend"] = _gloo_for_nccl(kwargs["backend"])
            elif args and __original.__name__ == "init_process_group":
                args = (_gloo_for_nccl(args[0]), *args[1:])
            if _is_cuda(kwargs.get("device_id")):
                kwargs.pop("device_id")
            return __original(*args, **kwargs)

        setattr(dist, name, functools.wraps(original)(patched))


def _patch_devices(torch) -> None:
    real_device = torch.device

    class _DeviceType(type):
        def __instancecheck__(cls, instance):
            return isinstance(instance, real_device)

        def __subclasscheck__(cls, subclass):
            return issubclass(subclass, real_device)

    class device(metaclass=_DeviceType):   # noqa: N801 - stands for torch.device
        def __new__(cls, *args, **kwargs):
            kind = args[0] if args else kwargs.get("type")
            return real_device("cpu") if _is_cuda(kind) else real_device(*args, **kwargs)

    torch.device = device

    def to_args(args, kwargs):
        if "device" in kwargs:
            kwargs["device"] = _cpu_if_cuda(kwargs["device"])
        return tuple(_cpu_if_cuda(a) if isinstance(a, (str, int, real_device)) and not isinstance(a, bool) else a
                     for a in args), kwargs

    for owner in (torch.Tensor, torch.nn.Module):
        original_to = owner.to

        def to(self, *args, __original=original_to, **kwargs):
            args, kwargs = to_args(args, kwargs)
            return __original(self, *args, **kwargs)

        owner.to = functools.wraps(original_to)(to)
        owner.cuda = lambda self, *args, **kwargs: self.to("cpu")

    for name in FACTORIES:
        original = getattr(torch, name, None)
        if original is None:
            continue

        def factory(*args, __original=original, **kwargs):
            if "device" in kwargs:
                kwargs["device"] = _cpu_if_cuda(kwargs["device"])
            return __original(*args, **kwargs)

        setattr(torch, name, functools.wraps(original)(factory))

    original_load = torch.load

    def load(*args, **kwargs):
        location = kwargs.get("map_location")
        if location is None or _is_cuda(location):
            kwargs["map_location"] = "cpu"
        return original_load(*args, **kwargs)

    torch.load = functools.wraps(original_load)(load)
    torch.cuda.set_device = lambda device: None
    torch.cuda.synchronize = lambda device=None: None

    ddp = torch.nn.parallel.DistributedDataParallel
    original_init = ddp.__init__

    def ddp_init(self, module, *args, **kwargs):
        on_cpu = all(parameter.device.type == "cpu" for parameter in module.parameters())
        if on_cpu:
            kwargs.pop("device_ids", None)
            kwargs.pop("output_device", None)
            args = (None, None, *args[2:])   # device_ids and output_device come first
        original_init(self, module, *args, **kwargs)

    ddp.__init__ = functools.wraps(original_init)(ddp_init)
