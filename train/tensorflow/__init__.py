"""TensorFlow training: MultiWorkerMirroredStrategy or ParameterServerStrategy from TF_CONFIG, Horovod under MPI.

`python -m train.tensorflow` picks the mode from the launch environment (see `roles.choose_mode`);
`roles` and `cluster` are pure Python (no tensorflow import) so they are unit-testable anywhere.
"""
