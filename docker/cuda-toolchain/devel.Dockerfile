# The CUDA compiler toolchain (/opt/cuda) for the images' builder stages, taken from NVIDIA's CUDA
# *devel* image when the registry has it (the Makefile's CUDA_DEVEL_IMAGE; else debian.Dockerfile).
# Same layout as the Debian one, so the builder stages cannot tell them apart: only the compiler,
# headers and static runtime, not the devel image's multi-GB shared libraries.
# Written for registries that have the image; not yet built (none is reachable where it was written).
ARG CUDA_DEVEL_IMAGE
FROM ${CUDA_DEVEL_IMAGE}
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG CUDA_DEVEL_IMAGE
COPY docker/cuda-toolchain/nvcc.profile /tmp/nvcc.profile
# -L: /usr/local/cuda's include and lib64 are links into targets/<arch>/.
RUN mkdir -p /opt/cuda/lib64 \
 && cp -rL /usr/local/cuda/bin /usr/local/cuda/nvvm /usr/local/cuda/include /opt/cuda/ \
 && cp -rL /usr/local/cuda/lib64/libcudart_static.a /usr/local/cuda/lib64/libcudadevrt.a \
           /usr/local/cuda/lib64/libculibos.a /usr/local/cuda/lib64/stubs /opt/cuda/lib64/ \
 && cp /tmp/nvcc.profile /opt/cuda/bin/nvcc.profile \
 && version=$(/opt/cuda/bin/nvcc --version | sed -n 's/.*release [0-9.]*, V\([0-9.]*\).*/\1/p') \
 && test -n "$version" \
 && echo "nvcc $version from $CUDA_DEVEL_IMAGE" > /opt/cuda/TOOLCHAIN
