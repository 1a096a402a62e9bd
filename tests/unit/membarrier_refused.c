/* membarrier_refused.c - an LD_PRELOAD shim that makes membarrier() fail (ENOSYS), as on old
 * kernels and in some sandboxes, and passes every other syscall() through to libc.
 *
 * census registers for membarrier when it loads (src/stats/window.c); when that fails, recorders
 * issue a full fence themselves and read the phase again after it (census__window_enter(), the
 * CENSUS__WINDOW_FENCE path), a path the normal runs never take. tests/unit/tests.cmake runs
 * unit_bound and unit_concurrency again with this shim (unit_bound_fenced,
 * unit_concurrency_fenced), so that the fence path records exact totals under concurrent
 * collection too. Checked to take that path: with the fence path's phase left unmasked, those
 * two crash and the plain runs pass. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dlsym(RTLD_NEXT) */
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>

__attribute__((visibility("default"))) long syscall(long number, ...) {
  va_list ap;
  va_start(ap, number);
  long a[6];
  for (int i = 0; i < 6; i++) {
    a[i] = va_arg(ap, long); /* every syscall takes at most six word-sized arguments */
  }
  va_end(ap);
  if (number == __NR_membarrier) {
    errno = ENOSYS;
    return -1;
  }
  static long (*real)(long, ...);
  if (!real) {
    real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
  }
  return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
