"""Drop the empty task lists from TF_CONFIG when a Python process starts (the image's default).

Imported by trainyard_tf_config.pth from the image's site-packages, so it runs before any user
code. Azure ML's `tensorflow` distribution writes `"ps": []` for MultiWorkerMirroredStrategy jobs;
TensorFlow 2.13 and newer reject it, and TensorFlow 2.18 even crashes (segmentation fault, after
"Task 0 was not defined in sparse job ps"). trainyard's own entrypoints clean TF_CONFIG themselves
(train.launch_env), but a stock script written for Azure does not, and must run unmodified.

Only TF_CONFIG is read, and only rewritten when it parses and has an empty list; anything else
(no TF_CONFIG, malformed JSON, no `train` package on the path) leaves the environment as it was,
so that the training code reports a malformed TF_CONFIG itself. Set TRAINYARD_KEEP_TF_CONFIG=1 to
switch this off.
"""

import os


def _apply() -> None:
    if "TF_CONFIG" not in os.environ or os.environ.get("TRAINYARD_KEEP_TF_CONFIG") == "1":
        return
    try:
        from train.launch_env import from_tf_config, to_tf_config_json

        launch = from_tf_config(os.environ)
        if launch is not None and launch.tf_config["cluster"] != _cluster(os.environ["TF_CONFIG"]):
            os.environ["TF_CONFIG"] = to_tf_config_json(launch)
    except Exception:  # noqa: BLE001 - never break interpreter start-up
        return


def _cluster(text: str) -> object:
    import json

    return json.loads(text).get("cluster")


_apply()
