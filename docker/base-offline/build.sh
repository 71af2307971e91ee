#!/usr/bin/env bash
# Build the offline OS base image from Debian packages, for machines that cannot pull from any
# container registry: debootstrap a minimal Debian root filesystem, then `docker import` it.
#
# It holds no CUDA: images on it run on CPU (torch's CUDA wheel still works there, and would use a
# GPU if the NVIDIA runtime exposed one, but there are no CUDA developer tools for building ops).
#
# Usage: build.sh IMAGE_TAG
# Environment (all optional):
#   DEBIAN_SUITE   Debian release to bootstrap (default: bookworm)
#   DEBIAN_MIRROR  Debian mirror URL (default: http://deb.debian.org/debian)
#   BUILD_TIMEOUT  seconds allowed for debootstrap (default: 1200)
set -euo pipefail

image_tag="${1:?usage: build.sh IMAGE_TAG}"
suite="${DEBIAN_SUITE:-bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
build_timeout="${BUILD_TIMEOUT:-1200}"

say() { printf '[base-offline] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[[ "$(id -u)" == 0 ]] || die "debootstrap needs root: run 'sudo make base-offline' (or build as root)."
if ! command -v debootstrap >/dev/null; then
    # Root on a Debian/Ubuntu host: install it, so the README's first command works on a fresh machine.
    command -v apt-get >/dev/null || die "debootstrap is not installed, and this is no Debian/Ubuntu host: install debootstrap."
    say "debootstrap is not installed: installing it with apt-get ..."
    timeout 600 apt-get update -q >&2 || die "apt-get update failed: install debootstrap yourself."
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q debootstrap >&2 \
        || die "could not install debootstrap: 'apt-get install debootstrap', then run this again."
fi
command -v docker >/dev/null || die "docker is not installed."

workdir="$(mktemp -d "${TMPDIR:-/tmp}/trainyard-rootfs.XXXXXX")"
# The root filesystem holds device nodes and root-owned files: always remove it, even on failure.
trap 'rm -rf --one-file-system "$workdir"' EXIT
rootfs="$workdir/rootfs"

say "debootstrap $suite from $mirror into $rootfs (a few minutes) ..."
# minbase keeps the image small; ca-certificates lets pip and apt speak TLS inside the image.
timeout "$build_timeout" debootstrap --variant=minbase --include=ca-certificates \
    "$suite" "$rootfs" "$mirror" >"$workdir/debootstrap.log" 2>&1 || {
    tail -n 30 "$workdir/debootstrap.log" >&2
    die "debootstrap failed or took longer than ${build_timeout}s (log above)."
}

# The image's own sources point at Debian's public mirror: a private mirror is a build input
# (APT_MIRROR), used only while building and never left in an image.
cat >"$rootfs/etc/apt/sources.list" <<EOF
deb http://deb.debian.org/debian $suite main
deb http://deb.debian.org/debian $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
EOF
# Same size-keeping settings as Debian's official container images.
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
EOF
echo 'APT::Install-Recommends "false";' >"$rootfs/etc/apt/apt.conf.d/99no-recommends"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log

say "importing as $image_tag ..."
tar -C "$rootfs" --numeric-owner -c . | timeout 600 docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    --change "LABEL org.opencontainers.image.title=trainyard-os-offline org.opencontainers.image.description=Debian-$suite-minbase-made-with-debootstrap" \
    - "$image_tag" >/dev/null
say "done: $image_tag ($(docker image inspect --format '{{.Size}}' "$image_tag" | awk '{printf "%.0f MB", $1/1e6}'))"
