#!/usr/bin/env bash
# Exit 0 when IMAGE is on this machine or can be pulled now, 1 otherwise (no registry, no login).
# Messages go to stderr.   pullable.sh IMAGE
set -euo pipefail
image=${1:?usage: pullable.sh IMAGE}
timeout 30 docker image inspect "$image" >/dev/null 2>&1 && exit 0
echo "trying to pull $image ..." >&2
timeout 1800 docker pull "$image" >&2
