#!/usr/bin/env bash
# Installs what census needs on Debian 12, and nothing else, for one of two profiles:
#   scripts/install-deps.sh demo   build census (library, examples, tests) and run the demo:
#                                  compiler, CMake and the exporters' libraries; no node, no npm
#   scripts/install-deps.sh [test] everything `make test` needs: the above, the test tools, node
#                                  and the interop test's npm packages (the default, so a bare
#                                  call on a fresh machine still installs everything)
# Idempotent: packages already present are not reinstalled and apt-get update runs only when
# something is missing. Runs as root, or through sudo when available.
set -euo pipefail

profile=${1:-test}
case $profile in
  demo | test) ;;
  *)
    echo "install-deps: unknown profile '$profile': use 'demo' (build and run the demo) or" \
      "'test' (everything make test needs; the default)" >&2
    exit 2
    ;;
esac

# The demo profile: what `cmake --build` of the default configuration needs (the exporters'
# libraries, cmocka for the unit tests it also builds). Every entry is in the test list too.
demo_packages=(
  gcc make cmake pkg-config libcmocka-dev libmicrohttpd-dev libcurl4-openssl-dev zlib1g-dev
  libjansson-dev libssl-dev
)

# The test profile.
packages=(
  gcc make cmake pkg-config     # build
  libcmocka-dev                 # unit tests
  jq                            # independent JSON decoder for the exporter and exit tests
  clang clang-format            # fuzz targets, sanitizer runs, format check
  libclang-rt-dev               # libFuzzer and the ASan/UBSan runtimes that clang links (fuzz)
  procps                        # ps/pkill used by integration tests
  libmicrohttpd-dev             # the Prometheus exporter's HTTP server
  prometheus curl               # Prometheus exporter tests: real scraper, promtool, HTTP client
  influxdb                      # examples/influx_exporter.c is tested against a real InfluxDB 1.x
  python3-prometheus-client     # its strict OpenMetrics parser checks the Prometheus exporter's output
  libcurl4-openssl-dev          # HTTP client of the OTLP, Google Cloud and Zipkin exporters
  zlib1g-dev                    # gzip request bodies
  libjansson-dev                # JSON parser for responses, credentials and token answers
  libssl-dev openssl            # RS256 JWT signing (Google auth); openssl verifies it in tests
  protobuf-compiler             # protoc --decode / --decode_raw: independent OTLP decoder
  python3 python3-protobuf      # json_format: strict proto3-JSON check of Google API bodies
  universal-ctags               # scripts/code-map.py: declarations, definitions, function ends
  valgrind                      # scripts/callgrind-ops.sh: instructions per hot operation
  chromium                      # zpages_browser: the zPages in a real (headless) browser
  # The Python binding (scripts/test-python.sh): Debian's interpreter, headers and build tools
  # (the offline install route), pytest and flake8, and what its tests drive: Flask apps under
  # gunicorn, ASGI apps under uvicorn, requests as the outgoing HTTP client (the binding's PyPI
  # peers are pinned in bindings/python/tests/requirements.txt and go into a venv, not here).
  python3-dev python3-venv python3-pip python3-setuptools python3-wheel
  python3-pytest flake8 python3-flask gunicorn python3-requests python3-uvicorn
)

# node and npm run the propagation interop test against the OpenTelemetry/OpenCensus node
# implementations, and the exporters' receivers (protobufjs; the OTLP/gRPC tests' real gRPC
# server, @grpc/grpc-js with @grpc/proto-loader); a machine that already has them (e.g. from
# nodesource) keeps its own.
command -v npm >/dev/null || packages+=(nodejs npm)
if [ "$profile" = demo ]; then
  packages=("${demo_packages[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
install_node_packages() {
  # The pinned npm packages of the tests (tests only): the interop test's oracles
  # (tests/interop/package-lock.json) and playwright-core for the zPages' browser test
  # (tests/zpages/package-lock.json; it drives Debian's chromium, no browser download).
  [ "$profile" = test ] || return 0
  local dir
  for dir in "$(dirname "$0")/../tests/interop" "$(dirname "$0")/../tests/zpages"; do
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
      touch "$dir/node_modules"
    fi
  done
}

if [ ${#missing[@]} -eq 0 ]; then
  install_node_packages
  exit 0
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; fi
}
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Debian's prometheus and influxdb packages would start their services (listening on all
# interfaces) on install.
# A policy-rc.d that answers 101 ("action forbidden") stops invoke-rc.d from starting any service;
# the tests start prometheus themselves, on loopback. Ours is removed afterwards; one that was
# already there (standard in container images) is left alone.
policy=/usr/sbin/policy-rc.d
placed_policy=0
if [ ! -e "$policy" ]; then
  as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
  placed_policy=1
fi
remove_policy() { if [ "$placed_policy" = 1 ]; then as_root rm -f "$policy"; fi; }
trap remove_policy EXIT
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
remove_policy
placed_policy=0
install_node_packages
