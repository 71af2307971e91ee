"""Training pieces shared by the framework entrypoints (PyTorch DDP, Horovod and DeepSpeed; TensorFlow).

Everything here is importable without torch: data arrive as numpy arrays, checkpoints as bytes,
metrics as plain numbers. Framework code adapts them (see train/pytorch/).
"""
