#!/usr/bin/env bash
# Build Horovod's wheel against the framework in /opt/venv, once per framework version: a builder
# stage runs this, and the final image installs the wheel (no compiler there). Run through
# with-build-inputs (pip's index and CA).
#
#   build-wheel.sh pytorch|tensorflow OUT_DIR
#
# GPU operations: NCCL (the nvidia-nccl-cu12 wheel the framework itself uses, linked shared), with
# CUDA kernels for docker/cuda-toolchain/archs.txt compiled by the toolchain in /opt/cuda, checked
# with cuobjdump afterwards. Controllers: MPI (Azure's `mpi` distribution, the compose MPI cluster)
# and, for PyTorch, Gloo (horovodrun --gloo). The wheel's extensions still need GPUs only to use
# them: on a CPU-only machine they load and run the MPI/Gloo paths.
#
# Needs: /opt/venv (framework installed), /opt/cuda (docker/cuda-toolchain), /tmp/horovod/ (this
# folder), /tmp/cuda-archs.txt, cuda-archs and check-cuda-archs on PATH.
set -euo pipefail
framework=${1:?usage: build-wheel.sh pytorch|tensorflow OUT_DIR} out=${2:?usage: build-wheel.sh FRAMEWORK OUT_DIR}
here=/tmp/horovod
venv=/opt/venv
pin() { sed -n "s/^$1==//p" "$here/requirements.txt"; }
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
say() { echo "horovod ($framework): $*" >&2; }

python3 -m venv /opt/buildtools
/opt/buildtools/bin/pip install --no-cache-dir --progress-bar off "cmake==$(pin cmake)"

# The linkers look for the unversioned names; the wheels ship libnccl.so.2 and libcudart.so.12.
nccl="$site/nvidia/nccl"
ln -sf libnccl.so.2 "$nccl/lib/libnccl.so"
ln -sf "$site/nvidia/cuda_runtime/lib/libcudart.so.12" /opt/cuda/lib64/libcudart.so

src=$(mktemp -d)
"$venv/bin/pip" download --no-cache-dir --progress-bar off --no-deps --no-binary :all: \
    "horovod==$(pin horovod)" -d "$src"
tar -xzf "$src"/horovod-*.tar.gz -C "$src"
cd "$src"/horovod-*/
patch -p1 <"$here/torch2.patch"

cc_list=$(cuda-archs /tmp/cuda-archs.txt horovod)
export HOROVOD_CMAKE=/opt/buildtools/bin/cmake HOROVOD_WITHOUT_MXNET=1 HOROVOD_WITH_MPI=1 \
       HOROVOD_GPU_OPERATIONS=NCCL HOROVOD_NCCL_LINK=SHARED \
       HOROVOD_NCCL_INCLUDE="$nccl/include" HOROVOD_NCCL_LIB="$nccl/lib" \
       HOROVOD_CUDA_HOME=/opt/cuda HOROVOD_BUILD_CUDA_CC_LIST="$cc_list" \
       PATH="$venv/bin:/opt/cuda/bin:$PATH"
case "$framework" in
    pytorch) export HOROVOD_WITH_PYTORCH=1 HOROVOD_WITHOUT_TENSORFLOW=1 HOROVOD_WITH_GLOO=1
             extension='horovod/torch/mpi_lib_v2*.so' ;;
    tensorflow) export HOROVOD_WITH_TENSORFLOW=1 HOROVOD_WITHOUT_PYTORCH=1 HOROVOD_WITHOUT_GLOO=1
                extension='horovod/tensorflow/mpi_lib*.so' ;;
    *) say "unknown framework $framework"; exit 2 ;;
esac
# setup.py runs make -j8 unless MAKEFLAGS is set; each job compiling framework headers takes about
# 1.5 GB, so the job count follows the cores given to the build.
export MAKEFLAGS="-j${BUILD_JOBS:-2}"
say "building for CUDA archs $HOROVOD_BUILD_CUDA_CC_LIST with $(cat /opt/cuda/TOOLCHAIN)"
# No build isolation: the extension must compile against the venv's framework, not a fresh download.
"$venv/bin/pip" wheel --no-cache-dir --progress-bar off --no-deps --no-build-isolation -w "$out" .
cd /
rm -rf "$src"
check-cuda-archs /tmp/cuda-archs.txt "$out"/horovod-*.whl "$extension"
