/* thread_local.h - the thread-locals of the hot paths (record, span start/end, ids, the current
 * tag map and span).
 *
 * In a shared library a _Thread_local defaults to the general-dynamic TLS model: every access is
 * a call to __tls_get_addr (ten per sampled span), which made libcensus.so about twice as slow as
 * the static library on an unsampled span. The initial-exec model reads them at a fixed offset
 * from the thread pointer, as in the static library. It takes a little of the static TLS block
 * glibc reserves for libraries loaded later with dlopen() (Python extensions load census that
 * way): these few variables take under 100 bytes of the surplus glibc keeps for that (1664 bytes
 * at least); tests/packaging/dlopen_test.c loads the library with dlopen() and records through it.
 */
#ifndef CENSUS_CORE_THREAD_LOCAL_H
#define CENSUS_CORE_THREAD_LOCAL_H

#define CENSUS__HOT_THREAD_LOCAL _Thread_local __attribute__((tls_model("initial-exec")))

#endif
