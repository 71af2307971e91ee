# The CUDA compiler toolchain (/opt/cuda) for the images' builder stages, assembled from Debian's
# packages when no CUDA *devel* image can be pulled (assemble-from-debian.sh says how and why).
# It is built on the builder, which holds the build inputs: never push it; builder stages COPY
# /opt/cuda from it and no final image ever holds it.
ARG BUILDER_IMAGE=trainyard/base-builder:latest
FROM ${BUILDER_IMAGE}
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# Root: it unpacks into /opt; like the builder, it never runs as a container.
# hadolint ignore=DL3002
USER 0
COPY docker/cuda-toolchain/packages.txt docker/cuda-toolchain/assemble-from-debian.sh \
     docker/cuda-toolchain/nvcc.profile /tmp/cuda-toolchain/
RUN with-build-inputs bash /tmp/cuda-toolchain/assemble-from-debian.sh /tmp/cuda-toolchain/packages.txt \
 && rm -rf /tmp/cuda-toolchain
