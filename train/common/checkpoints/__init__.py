"""Checkpoints that survive a lost node: atomic numbered files with checksums, and the random
generators' state they carry."""
