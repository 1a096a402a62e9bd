#!/usr/bin/env bash
# Proves that an installed census is usable the two ways users consume it: the headers, libraries
# and census.pc land under the prefix, and examples/quickstart.c compiles and links against the
# installed shared library with nothing but `pkg-config --cflags --libs census`, and against the
# static library with `--static`; both binaries run and print the view data flushed at exit.
# Then the same for every exporter library: $3 lists those the build made (e.g. "census_otlp
# census_zipkin"), and exactly those must have installed a .pc file.
set -euo pipefail
build_dir=$1 source_dir=$2 expected_exporters=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
for f in include/census/census.h include/census/exporters/stdout.h; do
  [ -f "$work/prefix/$f" ] || { echo "missing $f after install"; exit 1; }
done
pc_dir=$(dirname "$(find "$work/prefix" -name census.pc | head -n 1)")
[ -n "$pc_dir" ] || { echo "census.pc not installed"; exit 1; }
export PKG_CONFIG_PATH=$pc_dir

cc -std=c11 -o "$work/quick_shared" "$source_dir/examples/quickstart.c" \
  $(pkg-config --cflags --libs census)
cc -std=c11 -o "$work/quick_static" "$source_dir/examples/quickstart.c" \
  $(pkg-config --cflags census) "$(pkg-config --variable=libdir census)/libcensus.a" \
  $(pkg-config --libs-only-other --libs-only-l --static census | sed 's/-lcensus//')

libdir=$(pkg-config --variable=libdir census)
for bin in quick_shared quick_static; do
  out=$(LD_LIBRARY_PATH=$libdir "$work/$bin")
  grep -q "view http.server.duration: distribution" <<<"$out" || { echo "$bin: no view data in output:"; echo "$out"; exit 1; }
  grep -q "count=3" <<<"$out" || { echo "$bin: expected the GET row with count=3:"; echo "$out"; exit 1; }
done

# Every exporter library built here installs its own .pc: a program using it links with nothing
# but pkg-config, shared, and static against the exporter's archive with its dependencies'
# shared libraries, which the .pc names in Requires.private (Debian ships no static gnutls, so a
# fully static link is not what users on Debian do).
exporter_symbol() {
  case $1 in
    census_prometheus) echo census_prometheus_render ;;
    census_otlp) echo census_otlp_exporter_start ;;
    census_zipkin) echo census_zipkin_exporter_start ;;
    census_google_cloud) echo census_google_monitoring_exporter_start ;;
    census_zpages) echo census_zpages_exporter_start ;;
  esac
}
installed=$(for pc in "$pc_dir"/census_*.pc; do
  if [ -e "$pc" ]; then basename "$pc" .pc; fi
done | sort | tr '\n' ' ')
wanted=$(for lib in $expected_exporters; do echo "$lib"; done | sort | tr '\n' ' ')
[ "$installed" = "$wanted" ] ||
  { echo "exporter .pc files installed: '$installed'; the build made: '$wanted'"; exit 1; }
checked=0
for lib in $installed; do
  symbol=$(exporter_symbol "$lib")
  [ -n "$symbol" ] || { echo "no link check known for $lib"; exit 1; }
  printf 'extern int %s();\nint main(void) { return (int)(long)&%s == 0; }\n' "$symbol" "$symbol" \
    >"$work/$lib.c"
  cc -o "$work/${lib}_shared" "$work/$lib.c" $(pkg-config --cflags --libs "$lib")
  # Static: the library, the census exporter libraries it requires (the zPages: prometheus),
  # then census, then every third-party library they require privately.
  archives=("$libdir/lib$lib.a")
  privates=$(pkg-config --print-requires-private "$lib")
  for required in $(pkg-config --print-requires "$lib" | awk '{print $1}'); do
    if [ "$required" != census ]; then
      archives+=("$libdir/lib$required.a")
      privates="$privates $(pkg-config --print-requires-private "$required")"
    fi
  done
  cc -o "$work/${lib}_static" "$work/$lib.c" "${archives[@]}" "$libdir/libcensus.a" \
    $(pkg-config --libs $privates) -lpthread -lm
  LD_LIBRARY_PATH=$libdir "$work/${lib}_shared"
  "$work/${lib}_static"
  # census/autoconfigure.h starts the exporters whose CENSUS_HAVE_<NAME> is defined: the .pc
  # defines it as the CMake target does.
  have="-DCENSUS_HAVE_$(echo "${lib#census_}" | tr a-z A-Z)=1"
  pkg-config --cflags "$lib" | grep -q -- "$have" ||
    { echo "pkg-config --cflags $lib lacks $have"; exit 1; }
  checked=$((checked + 1))
done
# census_autoconfigure() built with nothing but pkg-config starts the Prometheus exporter that
# OTEL_METRICS_EXPORTER names (the .pc's CENSUS_HAVE_PROMETHEUS compiles it in).
if [ -e "$pc_dir/census_prometheus.pc" ]; then
  cat > "$work/auto.c" <<'AUTO'
#include <census/autoconfigure.h>
int main(void) {
  census_autoconfig c = CENSUS_AUTOCONFIG_INIT;
  census_autoconfigure(NULL, &c);
  int ok = c.started == CENSUS_AUTOCONFIG_PROMETHEUS;
  census_autoconfig_stop(&c, 0);
  return !ok;
}
AUTO
  cc -std=c11 -o "$work/auto" "$work/auto.c" $(pkg-config --cflags --libs census_prometheus)
  started=0
  for _ in 1 2 3; do
    if OTEL_METRICS_EXPORTER=prometheus OTEL_TRACES_EXPORTER=none \
      OTEL_EXPORTER_PROMETHEUS_PORT=$((20000 + RANDOM % 20000)) LD_LIBRARY_PATH=$libdir \
      "$work/auto"; then started=1; break; fi
  done
  [ "$started" = 1 ] || { echo "census_autoconfigure() did not start Prometheus"; exit 1; }
fi
echo "install_and_link: shared and static builds from the installed package work ($checked exporter libraries)"
