"""What a rehearsal (`make rehearse`) adds inside the image, so a user's job runs here as on Azure, unmodified.

Every process of a rehearsal has `train/rehearsal/site` first on PYTHONPATH; Python imports its
`sitecustomize.py` at start, which installs import hooks (`site/trainyard_rehearsal/import_hooks.py`,
a package of its own so that nothing named `train` is imported into the job) that patch a library
right after the job imports it, and nothing before:
- always: MLflow's local artifact store accepts the relative artifact paths Azure's store accepts
  (`mlflow.pytorch.log_model(model, "./model")`, as Azure's examples write it): `mlflow_paths`;
- with CPU_FALLBACK=1 (TRAINYARD_CPU_FALLBACK=1): torch's nccl runs as gloo and CUDA devices as the CPU
  (`cpu_fallback_torch`), and DeepSpeed's CPU accelerator skips the op it cannot build here
  (`cpu_fallback_deepspeed`).
None of the user's files is touched; a process that never imports these libraries is not affected.
"""
