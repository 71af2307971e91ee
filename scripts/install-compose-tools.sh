#!/usr/bin/env bash
# Install Docker Compose v2 and buildx as Docker CLI plugins for this user, from Debian's packages,
# beside whatever is there (docker-compose v1 keeps working as `docker-compose`).
#
# Why Debian's newer suite: a machine that reaches no container registry and no GitHub still reaches
# Debian's archive, and trixie packages both (docker-compose 2.x, docker-buildx 0.13) as static Go
# binaries that depend on libc only, so they run on bookworm and Ubuntu too. The chain of trust is
# apt's: InRelease checked with gpgv against the Debian archive keyring, then the Packages index and
# each .deb by the SHA256 sums it signs.
#
# Usage: scripts/install-compose-tools.sh   (make compose-tools)
#   DEBIAN_TOOLS_SUITE  the suite to take them from (trixie)
#   APT_MIRROR          a Debian mirror (http://deb.debian.org/debian)
#   DOCKER_CONFIG       the plugins go to $DOCKER_CONFIG/cli-plugins (default ~/.docker/cli-plugins)
#   COMPOSE_TOOLS       which of them (docker-compose docker-buildx). With buildx present the Makefile
#                       builds with BuildKit, whose cache is not the classic builder's: the first
#                       build after installing it is a cold one.
set -euo pipefail

suite=${DEBIAN_TOOLS_SUITE:-trixie}
mirror=${APT_MIRROR:-http://deb.debian.org/debian}
mirror=${mirror%/}
plugins=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
read -r -a packages <<<"${COMPOSE_TOOLS:-docker-compose docker-buildx}"

fail() { echo "error: install-compose-tools: $*" >&2; exit 1; }
fetch() { curl -fsSL --retry 2 --max-time 300 -o "$2" "$1" || fail "could not download $1"; }

for tool in curl gpgv xz dpkg-deb sha256sum; do
    command -v "$tool" >/dev/null || fail "$tool is needed (apt-get install curl gpgv xz-utils dpkg coreutils)"
done
[ -f "$keyring" ] || fail "$keyring is missing: apt-get install debian-archive-keyring"
case "$(uname -m)" in
    x86_64) arch=amd64 ;;
    aarch64) arch=arm64 ;;
    *) fail "no Debian build of the plugins for $(uname -m) is known here" ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "install-compose-tools: ${packages[*]} from Debian $suite ($mirror) into $plugins"
fetch "$mirror/dists/$suite/InRelease" "$work/InRelease"
gpgv --keyring "$keyring" --output "$work/Release" "$work/InRelease" 2>"$work/gpgv.log" \
    || { cat "$work/gpgv.log" >&2; fail "the signature of $suite's InRelease does not verify"; }

index=main/binary-$arch/Packages.xz
# The SHA256 section lists " <sum> <size> <path>"; the first section (MD5) has the same shape.
index_sum=$(awk -v path="$index" '/^SHA256:/ {on = 1; next} /^[^ ]/ {on = 0} on && $3 == path {print $1}' "$work/Release")
[ -n "$index_sum" ] || fail "$suite's Release names no $index"
fetch "$mirror/dists/$suite/$index" "$work/Packages.xz"
echo "$index_sum  $work/Packages.xz" | sha256sum --check --quiet - || fail "$index does not match its signed sum"
xz --decompress --stdout "$work/Packages.xz" >"$work/Packages"

mkdir -p "$plugins"
for package in "${packages[@]}"; do
    # One paragraph per package; the newest is the only one in a stable suite.
    read -r filename sum version < <(awk -v name="$package" '
        /^Package: / {take = ($2 == name)}
        take && /^Version: / {version = $2}
        take && /^Filename: / {file = $2}
        take && /^SHA256: / {sum = $2}
        /^$/ && take && file {print file, sum, version; exit}' "$work/Packages") \
        || fail "Debian $suite has no package $package for $arch"
    fetch "$mirror/$filename" "$work/$package.deb"
    echo "$sum  $work/$package.deb" | sha256sum --check --quiet - || fail "$package.deb does not match its signed sum"
    dpkg-deb --extract "$work/$package.deb" "$work/$package"
    binary=$(find "$work/$package" -path '*/cli-plugins/*' -type f | head -n 1)
    [ -n "$binary" ] || fail "$package $version holds no Docker CLI plugin"
    install -m 0755 "$binary" "$plugins/$(basename "$binary")"
    echo "install-compose-tools: $package $version -> $plugins/$(basename "$binary")"
done

for package in "${packages[@]}"; do
    command=${package#docker-}
    timeout 30 docker "$command" version || fail "docker $command does not run after the install"
done
