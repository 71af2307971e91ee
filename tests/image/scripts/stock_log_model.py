"""A user's stock training script's last lines, as written for MLflow 2 and Azure ML's examples:
log a metric and the model with `mlflow.<flavour>.log_model(model, "model")`. Unmodified user code:
it reads MLFLOW_TRACKING_URI like any MLflow script (Azure sets it; unset, MLflow's local default).
(Not "./model": MLflow 2.22 refuses that too on local and HTTP artifact stores, "Invalid artifact
path: './model' ... would resolve to 'model'", as MLflow 3 refuses it as a model name.)

Usage: python stock_log_model.py pytorch|tensorflow
Prints "logged <run id> <artifact paths under ./model>" at the end.
"""

import importlib
import sys

import mlflow


def pytorch_model():
    import torch

    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))


def keras_model():
    import tensorflow as tf

    model = tf.keras.Sequential([tf.keras.Input(shape=(4,)), tf.keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def main() -> None:
    flavour = sys.argv[1]
    with mlflow.start_run() as run:
        mlflow.log_metric("loss", 0.25)
        model = pytorch_model() if flavour == "pytorch" else keras_model()
        # mlflow.pytorch.log_model / mlflow.tensorflow.log_model, positional artifact path as in MLflow 2 code.
        importlib.import_module(f"mlflow.{flavour}").log_model(model, "model")
    artifacts = [a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, "model")]
    print("logged", run.info.run_id, " ".join(sorted(artifacts)), flush=True)


if __name__ == "__main__":
    main()
