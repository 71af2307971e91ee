"""The DeepSpeed entrypoint: `python -m train.deepspeed --help`.

ZeRO stage 0-3 from a ds_config JSON (`--deepspeed_config ds_config.json`, as Azure ML's examples
pass it) or, without one, from a default config built from the flags (`--zero-stage`, `--batch-size`;
see flags.py; the Azure job and the compose clusters use it, so the image is all a job needs),
under Azure ML's `pytorch` or `mpi` distribution, torchrun, mpirun or one process. Same
datasets, model, metrics, rank-tagged logging and FINAL line as train.pytorch: it IS train.pytorch's
main() and Trainer, given a DeepSpeed group (group.py) and strategy (strategy.py); checkpoints are
DeepSpeed's own (each rank writes its ZeRO partition), see engine_checkpoints.py.

Inside this package `import deepspeed` still means the library: absolute imports only.
"""
