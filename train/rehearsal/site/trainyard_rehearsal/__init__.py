"""The import hooks and patches of a rehearsal (see train/rehearsal/__init__.py), under a name of their own.

They live beside sitecustomize.py, on PYTHONPATH, and import nothing of trainyard's: a job that sets its
own PYTHONPATH still gets them, and a user's module named `train` is never shadowed by trainyard's.
"""
