#!/usr/bin/env bash
# Installs what census needs to build, test and run its demo on Debian 12, and nothing else.
# Idempotent: packages already present are not reinstalled and apt-get update runs only when
# something is missing. Runs as root, or through sudo when available.
set -euo pipefail

packages=(
  gcc make cmake pkg-config     # build
  libcmocka-dev                 # unit tests
  jq                            # independent JSON decoder for the exporter and exit tests
  clang clang-format            # fuzz targets, sanitizer runs, format check
  procps                        # ps/pkill used by integration tests
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; fi
}
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
