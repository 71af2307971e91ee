"""MLflow's local artifact store takes the relative artifact paths Azure's store takes.

Azure's examples log a model as `mlflow.pytorch.log_model(model, "./model")`; Azure ML's artifact
store (azureml-mlflow) accepts that. MLflow's LocalArtifactRepository, the store of a `file:` tracking
URI as a rehearsal uses, refuses it: `verify_artifact_path` raises "Invalid artifact path: './model'
... This name would resolve to 'model'". So the rehearsal's store is given the path as Azure's store
keeps it, `model`: a path that stays inside the run once normalised is normalised, anything else (an
absolute path, one that climbs out with `..`) is passed on unchanged and refused as before.
"""

from __future__ import annotations

import functools
import posixpath

_applied = False


def normalised(artifact_path):
    if not isinstance(artifact_path, str) or not artifact_path or artifact_path.startswith("/"):
        return artifact_path
    clean = posixpath.normpath(artifact_path)
    if clean == ".":
        return None          # the run's own artifact root
    if clean == ".." or clean.startswith("../"):
        return artifact_path  # outside the run: refused as before
    return clean


def apply(mlflow) -> None:
    global _applied
    if _applied:
        return
    _applied = True
    from mlflow.store.artifact.local_artifact_repo import LocalArtifactRepository

    for name in ("log_artifact", "log_artifacts"):
        original = getattr(LocalArtifactRepository, name)

        def patched(self, local_path, artifact_path=None, *args, __original=original, **kwargs):
            return __original(self, local_path, normalised(artifact_path), *args, **kwargs)

        setattr(LocalArtifactRepository, name, functools.wraps(original)(patched))
