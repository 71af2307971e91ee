#!/usr/bin/env bash
# Build DeepSpeed, its training ops prebuilt for GPUs, into a wheel against /opt/venv's torch, once
# per version: a builder stage runs this, the final image installs the wheel (no compiler there).
# Run through with-build-inputs (pip's index and CA).
#
#   build-deepspeed-wheel.sh OUT_DIR
#
# DeepSpeed ops prebuilt (DS_ACCELERATOR=cuda: no GPU is visible while building):
#   fused_adam, fused_lamb, fused_lion  GPU optimizers; CUDA code for docker/cuda-toolchain/archs.txt
#   cpu_adam, cpu_adagrad, cpu_lion     ZeRO-Offload's CPU optimizers, built for x86-64-v3 (AVX2 +
#                                       FMA), not for the builder's CPU (deepspeed-portable-cpu.patch)
#   utils                               ZeRO's flatten/unflatten
# Left to JIT (they need nvcc at run time, i.e. a CUDA devel image): the inference and transformer
# kernels, quantizers, sparse attention and async I/O, which training with ZeRO does not use, and
# fp_quantizer, whose source does not compile with nvcc 12 or 13 (a DeepSpeed bug).
#
# Needs: /opt/venv (torch installed), /opt/cuda, /tmp/distributed/ (requirements-distributed.txt,
# deepspeed-portable-cpu.patch), /tmp/cuda-archs.txt, cuda-archs and check-cuda-archs on PATH.
set -euo pipefail
out=${1:?usage: build-deepspeed-wheel.sh OUT_DIR}
here=/tmp/distributed
venv=/opt/venv
pin() { sed -n "s/^$1==//p" "$here/requirements-distributed.txt"; }
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

ln -sf "$site/nvidia/cuda_runtime/lib/libcudart.so.12" /opt/cuda/lib64/libcudart.so

src=$(mktemp -d)
# Metadata of DeepSpeed's sdist imports torch: no build isolation, as for the build itself.
"$venv/bin/pip" download --no-cache-dir --progress-bar off --no-deps --no-binary :all: --no-build-isolation \
    "deepspeed==$(pin deepspeed)" -d "$src"
tar -xzf "$src"/deepspeed-*.tar.gz -C "$src"
cd "$src"/deepspeed-*/
patch -p1 <"$here/deepspeed-portable-cpu.patch"
arch_list=$(cuda-archs /tmp/cuda-archs.txt torch)
# Both cores: DeepSpeed's setup.py builds prebuilt ops without ninja unless DS_ENABLE_NINJA is set,
# i.e. one file at a time whatever MAX_JOBS says (on 2 cores the compile kept one busy, 7.6 min).
# With ninja an op's files compile MAX_JOBS at a time, and nvcc's --threads compiles a .cu file's
# architectures side by side (NVCC_APPEND_FLAGS is read by nvcc itself).
jobs=${BUILD_JOBS:-2}
export CUDA_HOME=/opt/cuda PATH="/opt/cuda/bin:$venv/bin:$PATH" DS_ACCELERATOR=cuda \
       TORCH_CUDA_ARCH_LIST="$arch_list" MAX_JOBS="$jobs" DS_ENABLE_NINJA=1 NVCC_APPEND_FLAGS="--threads $jobs" \
       TRAINYARD_DS_CPU_ARCH=-march=x86-64-v3 TRAINYARD_DS_SIMD_WIDTH=-D__AVX256__ \
       DS_BUILD_OPS=0 DS_BUILD_FUSED_ADAM=1 DS_BUILD_FUSED_LAMB=1 DS_BUILD_FUSED_LION=1 \
       DS_BUILD_CPU_ADAM=1 DS_BUILD_CPU_ADAGRAD=1 DS_BUILD_CPU_LION=1 DS_BUILD_UTILS=1
# torch falls back to one file at a time, with only a warning pip does not show, if ninja is not on PATH.
ninja --version >/dev/null || { echo "deepspeed: ninja (docker/build-requirements.txt) is not on PATH" >&2; exit 1; }
echo "deepspeed: prebuilding ops for $TORCH_CUDA_ARCH_LIST with $(cat /opt/cuda/TOOLCHAIN), $jobs jobs (ninja)" >&2
"$venv/bin/pip" wheel --no-cache-dir --progress-bar off --no-deps --no-build-isolation -w "$out" .
cd /
rm -rf "$src"
wheel=$(echo "$out"/deepspeed-*.whl)
check-cuda-archs /tmp/cuda-archs.txt "$wheel" 'deepspeed/ops/adam/fused_adam_op*.so' \
    'deepspeed/ops/lamb/fused_lamb_op*.so' 'deepspeed/ops/lion/fused_lion_op*.so'
# The CPU ops must run on any x86-64-v3 machine: no AVX-512 (zmm registers) in their code.
unpacked=$(mktemp -d)
python3 -m zipfile -e "$wheel" "$unpacked"
for op in "$unpacked"/deepspeed/ops/*/cpu_*_op*.so; do
    zmm=$(objdump -d --no-show-raw-insn "$op" | grep -c '%zmm' || true)
    if (( zmm )); then echo "deepspeed: ${op#"$unpacked"/} uses AVX-512 ($zmm instructions)" >&2; exit 1; fi
    echo "deepspeed: ${op#"$unpacked"/}: no AVX-512" >&2
done
rm -rf "$unpacked"
