#!/usr/bin/env bash
# Print which CUDA compiler toolchain the images' builder stages get: `devel` (NVIDIA's CUDA devel
# image, when it is here or can be pulled) or `debian` (Debian's packages, unpacked; see
# docker/cuda-toolchain/). Both give the same /opt/cuda; the image's versions.txt says which was used.
#   select-toolchain.sh CUDA_DEVEL_IMAGE
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if bash "$here/pullable.sh" "${1:?usage: select-toolchain.sh CUDA_DEVEL_IMAGE}" 2>/dev/null; then
    echo devel
else
    echo "cuda toolchain: $1 cannot be pulled; assembling one from Debian's packages instead" >&2
    echo debian
fi
