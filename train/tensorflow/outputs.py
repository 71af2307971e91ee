"""What a run leaves in --model-dir, shared by the three modes.

    model.keras       the final model (chief / rank 0 only)
    backup/           Keras BackupAndRestore state: a restarted job resumes from it
    mlflow-run-id     the MLflow run this job logs to, so a restarted job continues the same run
"""

from __future__ import annotations

from pathlib import Path

from train.common.checkpoints.atomic_file import atomic_write_bytes

MODEL_FILE = "model.keras"
BACKUP_DIR = "backup"
RUN_ID_FILE = "mlflow-run-id"


def save_model(model, model_dir: Path) -> None:
    """The final Keras model, as MODEL_FILE in model_dir (made if missing)."""
    Path(model_dir).mkdir(parents=True, exist_ok=True)
    model.save(str(Path(model_dir) / MODEL_FILE))


def read_run_id(model_dir: Path) -> str | None:
    path = Path(model_dir) / RUN_ID_FILE
    return path.read_text().strip() or None if path.is_file() else None


def write_run_id(model_dir: Path, run_id: str | None) -> None:
    if run_id:
        atomic_write_bytes(Path(model_dir) / RUN_ID_FILE, run_id.encode() + b"\n")
