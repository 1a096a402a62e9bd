/* One exporter's program for the find_package test: the exporter's installed header compiles with
 * the include directories its imported target carries, the target's CENSUS_HAVE_<EXPORTER>
 * definition arrives (so the program did link that target), and a call into the library links
 * and runs. Each start function refuses a NULL handle pointer with CENSUS_EINVAL before doing
 * anything, so no server or network is needed. Prints "<exporter> ok" on success. */
#include <census/census.h>
#include <stdio.h>

#if defined(EXPECT_PROMETHEUS)
#include <census/exporters/prometheus.h>
#ifndef CENSUS_HAVE_PROMETHEUS
#error "census::census_prometheus did not carry CENSUS_HAVE_PROMETHEUS"
#endif
#define NAME "prometheus"
static int check(void) { return census_prometheus_exporter_stop(NULL, 0) == CENSUS_EINVAL; }
#elif defined(EXPECT_OTLP)
#include <census/exporters/otlp.h>
#ifndef CENSUS_HAVE_OTLP
#error "census::census_otlp did not carry CENSUS_HAVE_OTLP"
#endif
#define NAME "otlp"
static int check(void) { return census_otlp_exporter_start(NULL, NULL) == CENSUS_EINVAL; }
#elif defined(EXPECT_GOOGLE_CLOUD)
#include <census/exporters/google_cloud_monitoring.h>
#include <census/exporters/google_cloud_trace.h>
#ifndef CENSUS_HAVE_GOOGLE_CLOUD
#error "census::census_google_cloud did not carry CENSUS_HAVE_GOOGLE_CLOUD"
#endif
#define NAME "google_cloud"
static int check(void) {
  return census_google_monitoring_exporter_start(NULL, NULL) == CENSUS_EINVAL &&
         census_google_trace_exporter_start(NULL, NULL) == CENSUS_EINVAL;
}
#elif defined(EXPECT_ZIPKIN)
#include <census/exporters/zipkin.h>
#ifndef CENSUS_HAVE_ZIPKIN
#error "census::census_zipkin did not carry CENSUS_HAVE_ZIPKIN"
#endif
#define NAME "zipkin"
static int check(void) { return census_zipkin_exporter_start(NULL, NULL) == CENSUS_EINVAL; }
#elif defined(EXPECT_ZPAGES)
#include <census/exporters/zpages.h>
#ifndef CENSUS_HAVE_ZPAGES
#error "census::census_zpages did not carry CENSUS_HAVE_ZPAGES"
#endif
#define NAME "zpages"
/* Also calls into census_prometheus, which the zpages component brings along. */
static int check(void) {
  return census_zpages_exporter_start(NULL, NULL) == CENSUS_EINVAL &&
         census_prometheus_exporter_stop(NULL, 0) == CENSUS_EINVAL;
}
#else
#error "no EXPECT_<exporter> given"
#endif

int main(void) {
  if (!check()) {
    fprintf(stderr, "%s: the start function did not refuse a NULL handle pointer\n", NAME);
    return 1;
  }
  printf("%s ok (census %s)\n", NAME, census_version());
  return 0;
}
