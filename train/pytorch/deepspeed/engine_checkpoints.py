"""DeepSpeed's own checkpoints, in the store's spirit: numbered, the last K kept, resumable.

Why not train.common's CheckpointStore: under ZeRO every rank holds only its partition of the
optimizer state (and, at stage 3, of the weights), so a checkpoint is one file per rank written by
`engine.save_checkpoint` (collective), not one blob from rank 0. Layout under <model-dir>/checkpoints/
deepspeed/: one folder per checkpoint, `step-00000120/`, and DeepSpeed's `latest` file naming the
newest, which DeepSpeed writes only after every rank has saved; a folder it does not name is an
interrupted save and is ignored. client_state carries what the trainer needs to continue exactly:
finished steps, the run's shape (a resume with another world size is refused), RNG states, MLflow run.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import torch

from train.common.errors import UsageError
from train.pytorch.snapshot import RunShape
from train.pytorch.strategy import Resumed

log = logging.getLogger(__name__)

_TAG = re.compile(r"^step-(\d{8,})$")


def tag_for(step: int) -> str:
    return f"step-{step:08d}"


class EngineCheckpoints:
    def __init__(self, engine: Any, directory: Path, keep: int, is_writer: bool) -> None:
        self.engine = engine
        self.directory = Path(directory)
        self.keep = keep
        self.is_writer = is_writer

    def steps(self) -> list[int]:
        """Steps of complete checkpoints: those up to the one `latest` names (a later folder is a save
        that was interrupted, which a resumed run writes again when it reaches that step)."""
        newest = self._latest_step()
        if newest is None:
            return []
        found = (_TAG.match(p.name) for p in self.directory.iterdir() if p.is_dir())
        return sorted(step for step in (int(m.group(1)) for m in found if m) if step <= newest)

    def _latest_step(self) -> int | None:
        try:
            found = _TAG.match((self.directory / "latest").read_text().strip())
        except OSError:
            return None
        return int(found.group(1)) if found else None

    def save(self, step: int, shape: RunShape, rng_state: dict[str, Any], mlflow_run_id: str | None) -> None:
        # Every rank calls it: each writes its own partition.
        self.engine.save_checkpoint(str(self.directory), tag=tag_for(step), client_state={
            "finished_steps": step, "shape": dataclasses.asdict(shape), "rng_state": rng_state,
            "mlflow_run_id": mlflow_run_id})
        torch.distributed.barrier()
        if self.is_writer:
            log.info("checkpoint %s written (finished step %d)", self.directory / tag_for(step), step)
            for old in self.steps()[:-self.keep]:
                shutil.rmtree(self.directory / tag_for(old), ignore_errors=True)

    def load_latest(self, shape: RunShape) -> Resumed | None:
        """The checkpoint DeepSpeed's `latest` names, on every rank (collective); None when none."""
        if not (self.directory / "latest").is_file():
            return None
        path, client_state = self.engine.load_checkpoint(str(self.directory))
        if path is None:
            raise UsageError(f"DeepSpeed could not load the checkpoint named in {self.directory / 'latest'}")
        saved = RunShape(**client_state["shape"])
        if saved != shape:
            raise UsageError(f"checkpoint {path} was written by a run with {saved}, this run has {shape}: "
                             "resume with the same flags and world size, or use a new --model-dir")
        step = client_state["finished_steps"]
        log.info("resuming from %s: finished step %d, continuing at step %d", path, step, step + 1)
        return Resumed(step, client_state["rng_state"], client_state.get("mlflow_run_id"))
