"""trainyard training code: launch-environment detection and the training entrypoints.

The pure part (``train.launch_env``, ``train.env``, ``train.launch``) imports neither torch nor
tensorflow, so it runs on any host and in every image.
"""
