#!/usr/bin/env bash
# Assemble a CUDA compiler toolchain in /opt/cuda from Debian's packages, for builder stages on a
# machine that cannot pull NVIDIA's CUDA *devel* image. Runs as root in a builder stage, through
# with-build-inputs (APT_MIRROR, the extra CA); the result is only ever COPY'd into other builder
# stages, never into a final image.
#
# Why unpack instead of `apt-get install nvidia-cuda-toolkit`: that pulls a driver library
# (libcuda1), its own g++ and about 1.9 GB more, and would change the builder's system. The
# packages (docker/cuda-toolchain/packages.txt) are downloaded from the Debian suite below with
# apt, which checks their signatures, then only the compiler, headers and static runtime are kept.
#
# Layout (what torch's cpp_extension, DeepSpeed and Horovod's CMake expect of a CUDA_HOME):
#   bin/        nvcc and its helpers, crt/, nvcc.profile
#   nvvm/       bin/cicc, libdevice/, lib64/libnvvm.so*
#   include/    CUDA runtime headers, cub, thrust, libcu++
#   lib64/      libcudart_static.a, libcudadevrt.a, libculibos.a, stubs/libcuda.so
#               (lib64/libcudart.so is linked by the build stage to its venv's libcudart.so.12)
#   TOOLCHAIN   one line naming this toolchain, copied into the images' versions.txt
#
# Usage: assemble-from-debian.sh PACKAGES_FILE   (nvcc.profile beside this script)
# Environment: CUDA_DEBIAN_SUITE (default trixie), APT_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
packages_file=${1:?usage: assemble-from-debian.sh PACKAGES_FILE}
suite=${CUDA_DEBIAN_SUITE:-trixie}
mirror=${APT_MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cuda=/opt/cuda
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { echo "cuda-toolchain: $*" >&2; }

mapfile -t packages < <(grep -v '^[[:space:]]*\(#\|$\)' "$packages_file")

if [[ ! -s $keyring ]]; then
    # An Ubuntu builder (CUDA runtime base) has no Debian keyring; Ubuntu packages it.
    say "installing debian-archive-keyring to verify Debian's packages"
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debian-archive-keyring >&2
    rm -rf /var/lib/apt/lists/*
fi

# A private apt state for Debian $suite: the builder's own sources and lists stay untouched.
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
echo "deb [signed-by=$keyring] ${mirror%/} $suite main non-free" >"$work/sources.list"
apt_options=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
             -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Architecture=amd64
             -o APT::Sandbox::User=root)
say "downloading ${packages[*]} from Debian $suite"
apt-get "${apt_options[@]}" update -q >&2
(cd "$work/debs" && apt-get "${apt_options[@]}" download "${packages[@]}" >&2) || {
    say "error: Debian $suite does not offer these exact versions any more:"
    say "       look them up with 'apt-cache policy' against $suite non-free and update $packages_file"
    exit 1
}

root="$work/root"
mkdir -p "$root"
for deb in "$work"/debs/*.deb; do
    # Only the parts a compiler needs: the static libraries beside them are 2.5 GB.
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" --wildcards --no-wildcards-match-slash \
        './usr/bin/*' './usr/include/*' './usr/lib/nvidia-cuda-toolkit/*' \
        './usr/lib/x86_64-linux-gnu/libcudart_static.a' './usr/lib/x86_64-linux-gnu/libcudadevrt.a' \
        './usr/lib/x86_64-linux-gnu/libculibos.a' './usr/lib/x86_64-linux-gnu/stubs/libcuda.so' \
        './usr/lib/x86_64-linux-gnu/libnvvm.so*' 2>/dev/null || true
done
rm -rf "$work/debs" "$work/cache"

toolkit="$root/usr/lib/nvidia-cuda-toolkit"
mkdir -p "$cuda"/{bin,nvvm/bin,nvvm/lib64,include,lib64/stubs}
cp -a "$toolkit/bin/nvcc" "$toolkit/bin/crt" "$cuda/bin/"
for tool in bin2c cu++filt cudafe++ cuobjdump fatbinary nvdisasm nvlink nvprune ptxas; do
    cp -a "$root/usr/bin/$tool" "$cuda/bin/"
done
cp -a "$toolkit/bin/cicc" "$cuda/nvvm/bin/"
cp -a "$toolkit/libdevice" "$cuda/nvvm/"
cp -a "$root"/usr/lib/x86_64-linux-gnu/libnvvm.so* "$cuda/nvvm/lib64/"
cp -a "$root/usr/include/." "$cuda/include/"
cp -a "$root"/usr/lib/x86_64-linux-gnu/{libcudart_static.a,libcudadevrt.a,libculibos.a} "$cuda/lib64/"
cp -a "$root/usr/lib/x86_64-linux-gnu/stubs/libcuda.so" "$cuda/lib64/stubs/"
# nvcc finds its helpers, headers and libraries through the profile beside it (Debian's points
# into /usr). The system's g++ is the host compiler; Debian's g++ wrapper is left behind.
cp "$(dirname "$0")/nvcc.profile" "$cuda/bin/nvcc.profile"

version=$("$cuda/bin/nvcc" --version | sed -n 's/.*release [0-9.]*, V\([0-9.]*\).*/\1/p')
[[ -n $version ]] || { say "error: the assembled nvcc does not run"; "$cuda/bin/nvcc" --version; exit 1; }
echo "nvcc $version from Debian $suite ($(printf '%s ' "${packages[@]}" | sed 's/ $//'))" >"$cuda/TOOLCHAIN"
say "assembled $(cat "$cuda/TOOLCHAIN") in $cuda ($(du -sh "$cuda" | cut -f1))"
