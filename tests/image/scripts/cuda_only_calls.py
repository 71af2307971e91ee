"""CUDA-only torch calls a stock GPU script makes, each checked to run on the CPU under CPU_FALLBACK=1.

Run in the image with train/rehearsal/site first on PYTHONPATH and TRAINYARD_CPU_FALLBACK=1; prints one
`ok NAME` line per call and `ALL OK` at the end. Not a user's script: a probe of the patches.
"""

import io
import os

import torch
import torch.distributed as dist

os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT="29533", WORLD_SIZE="1", RANK="0")
dist.init_process_group(backend="nccl")
print("ok init_process_group nccl ->", dist.get_backend())
assert dist.get_backend() == "gloo"
for made in (torch.device("cuda", 0), torch.device("cuda:1"), torch.device(type="cuda"), torch.device(0)):
    assert made.type == "cpu" and isinstance(made, torch.device), made
print("ok torch.device")
assert torch.device("cpu").type == "cpu" and torch.device("meta").type == "meta"
torch.cuda.set_device(0)
model = torch.nn.Linear(4, 2).cuda()
tensor = torch.zeros(3, 4, device="cuda").to("cuda:0").cuda()
assert tensor.device.type == "cpu" and next(model.parameters()).device.type == "cpu"
print("ok .cuda() .to('cuda') device='cuda'")
ddp = torch.nn.parallel.DistributedDataParallel(model, device_ids=[0], output_device=0)
ddp(tensor).sum().backward()
dist.all_reduce(torch.ones(1))
torch.cuda.synchronize()
print("ok DistributedDataParallel(device_ids=[0]) and a backward")
buffer = io.BytesIO()
torch.save(model.state_dict(), buffer)
buffer.seek(0)
torch.load(buffer, map_location="cuda:0")
print("ok torch.load(map_location='cuda:0')")
dist.destroy_process_group()
print("ALL OK")
