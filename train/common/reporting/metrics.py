"""Run metrics to MLflow, from rank 0 only; other ranks get a logger that does nothing.

Where metrics go: MLFLOW_TRACKING_URI when set (Azure ML sets it, and MLFLOW_RUN_ID, inside jobs so
that metrics land on the job's record), else a SQLite store in the outputs folder (MLflow 3 drops its
./mlruns file store; SQLite works with the images' MLflow 2 and with 3): `sqlite:///<model-dir>/mlflow.db`,
browsable with `mlflow ui --backend-store-uri ...`.

A resumed run continues the MLflow run it interrupted (its id travels in the checkpoint), so one
training job is one MLflow run however often it is restarted.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

EXPERIMENT = "trainyard"


class Metrics(Protocol):
    run_id: str | None

    def log_params(self, params: dict[str, Any]) -> None: ...
    def log_metrics(self, metrics: dict[str, float], step: int) -> None: ...
    def close(self) -> None: ...


class NullMetrics:
    run_id: str | None = None

    def log_params(self, params: dict[str, Any]) -> None:
        pass

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        pass

    def close(self) -> None:
        pass


def tracking_uri(model_dir: Path, env: dict[str, str] | os._Environ = os.environ) -> str:
    return env.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path(model_dir).resolve() / 'mlflow.db'}"


@contextlib.contextmanager
def _logging_kept() -> Iterator[None]:
    """Undo what creating an MLflow SQL store does to this process's logging.

    MLflow 2 creates a new store's tables with alembic, whose logging file configuration replaces the
    root logger's handlers and level (WARNING): every INFO line after it, progress included, would
    vanish on a job's first run. Keep the root logger's handlers and level and every logger's
    `disabled` flag as they were.

    Inside, INFO and below are off for every logger: the same configuration gives alembic a console
    handler at INFO, and a new store's migrations would print about 30 "Running upgrade ..." lines
    before the first step. Warnings and errors still show.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    loggers = {name: logger.disabled for name, logger in logging.Logger.manager.loggerDict.items()
               if isinstance(logger, logging.Logger)}
    disabled_below = logging.root.manager.disable
    logging.disable(max(logging.INFO, disabled_below))
    try:
        yield
    finally:
        logging.disable(disabled_below)
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, disabled in loggers.items():
            logging.getLogger(name).disabled = disabled


class MlflowMetrics:
    def __init__(self, model_dir: Path, resume_run_id: str | None = None) -> None:
        import mlflow  # slow to import (seconds); only rank 0 pays

        # Its INFO lines (creating tables, creating experiment) are noise in a training log, and
        # images carry no git executable: the run needs no git tags, so three multi-line warnings
        # about GitPython per run say nothing.
        for name in ("mlflow", "alembic"):
            logging.getLogger(name).setLevel(logging.WARNING)
        logging.getLogger("mlflow.utils.git_utils").setLevel(logging.ERROR)
        self._mlflow = mlflow
        uri = tracking_uri(model_dir)
        if uri.startswith("sqlite:"):
            Path(model_dir).mkdir(parents=True, exist_ok=True)
        mlflow.set_tracking_uri(uri)
        with _logging_kept():   # the first call that touches the store creates it
            if os.environ.get("MLFLOW_RUN_ID"):
                run = mlflow.start_run()   # the job's own run (Azure ML); it owns experiment and id
            else:
                if not os.environ.get("MLFLOW_EXPERIMENT_NAME") and not os.environ.get("MLFLOW_EXPERIMENT_ID"):
                    mlflow.set_experiment(EXPERIMENT)
                run = mlflow.start_run(run_id=self._existing(resume_run_id))
        self.run_id: str | None = run.info.run_id
        log.info("MLflow run %s at %s", self.run_id, uri)

    def _existing(self, run_id: str | None) -> str | None:
        if not run_id:
            return None
        try:
            self._mlflow.get_run(run_id)
        except Exception:  # noqa: BLE001 - a run from another store: start a new one instead
            log.info("MLflow run %s from the checkpoint is not in this store; starting a new run", run_id)
            return None
        return run_id

    def log_params(self, params: dict[str, Any]) -> None:
        try:
            self._mlflow.log_params(params)
        except Exception as exc:  # noqa: BLE001 - params of a resumed run are already logged
            log.info("MLflow params not logged again: %s", str(exc).splitlines()[0][:200])

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        self._mlflow.log_metrics(metrics, step=step)

    def close(self) -> None:
        self._mlflow.end_run()


def open_metrics(is_writer: bool, model_dir: Path, resume_run_id: str | None = None) -> Metrics:
    return MlflowMetrics(model_dir, resume_run_id) if is_writer else NullMetrics()
