#!/usr/bin/env bash
# Write docker/build-inputs/ from the build's variables, touching files only when their content
# changes (so Docker's build cache holds). Builder stages read this folder; final images never do.
#
# Environment: EXTRA_CA_BUNDLE (a PEM file), PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_TRUSTED_HOST,
# APT_MIRROR. All optional.
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/docker/build-inputs"
mkdir -p "$dir"

replace_if_changed() {  # replace_if_changed TARGET < new content
    local tmp; tmp="$(mktemp)"
    cat >"$tmp"
    if [[ -f "$1" ]] && cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; chmod 0644 "$1"; fi
}

if [[ -n "${EXTRA_CA_BUNDLE:-}" ]]; then
    [[ -r "$EXTRA_CA_BUNDLE" ]] || { echo "error: EXTRA_CA_BUNDLE=$EXTRA_CA_BUNDLE is not a readable file." >&2; exit 2; }
    # The PEM marker is spelled in two parts so this file never reads as holding a certificate.
    pem_marker="-----BEGIN"" CERTIFICATE-----"
    grep -q -- "$pem_marker" "$EXTRA_CA_BUNDLE" || {
        echo "error: EXTRA_CA_BUNDLE=$EXTRA_CA_BUNDLE holds no PEM certificate (expected a '$pem_marker' line)." >&2
        exit 2
    }
    replace_if_changed "$dir/extra-ca.pem" <"$EXTRA_CA_BUNDLE"
    echo "build inputs: extra CA bundle from $EXTRA_CA_BUNDLE" >&2
else
    rm -f "$dir/extra-ca.pem"
fi

{
    for key in PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST APT_MIRROR; do
        if [[ -n "${!key:-}" ]]; then
            echo "$key=${!key}"
            echo "build inputs: $key set" >&2
        fi
    done
} | replace_if_changed "$dir/build.env"
