"""`make bench`: figures to compare training images by, measured on the images as built.

Runs on the host with the standard library only; what runs inside the containers is in bench/inside/
(mounted read-only at /opt/bench). See the README's "Benchmarks" section for the methods.
"""
