#!/bin/sh
# Build stage helper: add Horovod (from source), DeepSpeed and mpi4py to /opt/venv, then stage ONLY
# the files they added or changed under /staging, so the final image copies those on top of the
# cached torch layer instead of the whole venv again.
#
# FLAVOUR: cpu | cuda | auto (cuda when nvcc is present, i.e. the builder came from a CUDA devel base).
#   cpu:  Horovod with MPI + Gloo controllers (CPU tensors); DeepSpeed with no prebuilt ops.
#   cuda: also Horovod's NCCL GPU operations (torch's own NCCL, from the nvidia-nccl-cu12 wheel), and
#         DeepSpeed's training ops prebuilt. No GPU is visible in `docker build`, so the accelerator
#         (DS_ACCELERATOR=cuda) and the GPU architectures are named explicitly.
# Run through with-build-inputs (pip's index and CA). Needs: /tmp/requirements-distributed.txt,
# /tmp/horovod-torch2.patch.
set -eu
venv=/opt/venv
pip="$venv/bin/pip"
requirements=/tmp/requirements-distributed.txt
pin() { sed -n "s/^$1==//p" "$requirements"; }

flavour=${FLAVOUR:-auto}
if [ "$flavour" = auto ]; then
    if command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then flavour=cuda; else flavour=cpu; fi
fi
case "$flavour" in cpu|cuda) ;; *) echo "FLAVOUR must be cpu, cuda or auto, got $flavour" >&2; exit 2;; esac
echo "build-distributed: flavour $flavour"

touch /tmp/before-distributed
sleep 1   # file times have 1 s resolution on some storage drivers: keep "newer" unambiguous

# Everything already in the venv stays exactly as it is (torch above all): a dependency of
# Horovod/DeepSpeed that wanted another version fails the build here instead of shadowing it.
"$pip" freeze --all > /tmp/venv-constraints.txt
install() { "$pip" install --no-cache-dir --progress-bar off -c /tmp/venv-constraints.txt "$@"; }

# Build tools in a venv of their own, never copied to the image. CMake 3.x: CMake 4 refuses the
# cmake_minimum_required(VERSION 2.8.12) of the gloo and flatbuffers sources vendored in Horovod.
python3 -m venv /opt/buildtools
/opt/buildtools/bin/pip install --no-cache-dir --progress-bar off cmake==3.31.6

# setuptools 66 (the venv's) builds wheels only with the `wheel` package; removed again below.
install wheel
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

# --- Horovod ------------------------------------------------------------------------------------
mkdir -p /tmp/src
"$pip" download --no-cache-dir --progress-bar off --no-deps --no-binary :all: \
    "horovod==$(pin horovod)" -d /tmp/src
tar -xzf /tmp/src/horovod-*.tar.gz -C /tmp/src
cd /tmp/src/horovod-*/
patch -p1 < /tmp/horovod-torch2.patch
export HOROVOD_WITH_PYTORCH=1 HOROVOD_WITHOUT_TENSORFLOW=1 HOROVOD_WITHOUT_MXNET=1 \
       HOROVOD_WITH_MPI=1 HOROVOD_WITH_GLOO=1 HOROVOD_CMAKE=/opt/buildtools/bin/cmake
# Horovod's setup.py runs make -j8 unless MAKEFLAGS is set; each job compiling torch headers takes
# about 1.5 GB, so the job count follows the cores given to the build.
export MAKEFLAGS="-j${BUILD_JOBS:-2}"
if [ "$flavour" = cuda ]; then
    nccl="$site/nvidia/nccl"
    # The wheel ships libnccl.so.2 only; the linker looks for libnccl.so.
    ln -sf libnccl.so.2 "$nccl/lib/libnccl.so"
    export HOROVOD_GPU_OPERATIONS=NCCL HOROVOD_NCCL_LINK=SHARED \
           HOROVOD_NCCL_INCLUDE="$nccl/include" HOROVOD_NCCL_LIB="$nccl/lib" \
           HOROVOD_CUDA_HOME=/usr/local/cuda HOROVOD_BUILD_CUDA_CC_LIST="${CUDA_CC_LIST:-80,86,89,90}"
fi
# No build isolation: the extension must compile against the venv's torch, not a fresh download.
install --no-build-isolation .
cd /
rm -rf /tmp/src

# --- DeepSpeed ----------------------------------------------------------------------------------
if [ "$flavour" = cuda ]; then
    # What training needs prebuilt: fused Adam/LAMB on GPU, CPU Adam/Adagrad for ZeRO-Offload, and
    # the flatten/unflatten utils ZeRO uses. The rest stays JIT (needs nvcc at run time: devel image).
    export DS_ACCELERATOR=cuda DS_BUILD_OPS=0 DS_BUILD_FUSED_ADAM=1 DS_BUILD_FUSED_LAMB=1 \
           DS_BUILD_CPU_ADAM=1 DS_BUILD_CPU_ADAGRAD=1 DS_BUILD_UTILS=1 \
           TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-8.0;8.6;8.9;9.0}"
else
    export DS_BUILD_OPS=0
fi
install --no-build-isolation "deepspeed==$(pin deepspeed)"
install "mpi4py==$(pin mpi4py)"

"$pip" uninstall --yes wheel

# --- record and stage ---------------------------------------------------------------------------
echo "$flavour" > "$venv/trainyard-flavour"
"$pip" freeze --all > "$venv/python-packages.txt"
mkdir -p /staging
cd /
find opt/venv -newer /tmp/before-distributed ! -type d -print0 | tar --null -T - -cf - | tar -C /staging -xf -
echo "build-distributed: staged $(find /staging -type f | wc -l) files, $(du -sh /staging | cut -f1)"
