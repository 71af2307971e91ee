#!/usr/bin/env bash
# Print the OS base image that trainyard/base should be built on, making the offline one if needed.
#
# The normal base is an NVIDIA CUDA + cuDNN image from a registry. When it is not present and
# cannot be pulled (no registry reachable), fall back to the offline Debian base made with
# debootstrap, and say so loudly: that image has no CUDA toolkit or cuDNN of its own.
#
# Usage: select-base.sh CUDA_BASE OFFLINE_BASE OFFLINE(auto|1|0)
# Prints the chosen image reference on stdout; everything else goes to stderr.
set -euo pipefail
cuda_base="$1" offline_base="$2" offline="${3:-auto}"
here="$(cd "$(dirname "$0")" && pwd)"

use_offline() {
    if ! timeout 30 docker image inspect "$offline_base" >/dev/null 2>&1; then
        bash "$here/../docker/base-offline/build.sh" "$offline_base" >&2
    fi
    echo "$offline_base"
}

banner() {
    {
        echo "################################################################################"
        echo "#  OFFLINE BASE: $1"
        echo "#  Building on $offline_base (Debian from debootstrap) instead of $cuda_base."
        echo "#  What it lacks: the CUDA toolkit and cuDNN of the NVIDIA image, and NVIDIA's"
        echo "#  container settings. torch's CUDA wheel brings its own CUDA libraries, so the"
        echo "#  image still trains on CPU (and on a GPU if the NVIDIA runtime exposes one),"
        echo "#  but for GPU clusters build where the registry is reachable, or OFFLINE=0."
        echo "################################################################################"
    } >&2
}

case "$offline" in
    1|yes|true)
        banner "asked for with OFFLINE=$offline"
        use_offline ;;
    0|no|false)
        bash "$here/pullable.sh" "$cuda_base" || {
            echo "error: cannot pull $cuda_base and OFFLINE=0 forbids the offline base." >&2
            echo "       Check the registry login/proxy, or run with OFFLINE=auto." >&2
            exit 1
        }
        echo "$cuda_base" ;;
    auto)
        if bash "$here/pullable.sh" "$cuda_base"; then
            echo "$cuda_base"
        else
            banner "the registry base $cuda_base could not be pulled"
            use_offline
        fi ;;
    *)
        echo "error: OFFLINE=$offline: expected auto, 1 or 0." >&2
        exit 2 ;;
esac
