"""The PyTorch DDP entrypoint: `python -m train.pytorch --help`.

Runs unchanged under every launcher train.launch_env knows (Azure ML pytorch and mpi jobs, torchrun,
mpirun, a single process); see main.py for the order of work.
"""
