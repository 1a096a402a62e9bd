/* wake.c - see wake.h. The descriptors are atomics because the signal handler and recording
 * threads (a full span batch) ring while the lifecycle may re-open or close the pipe. */
#include "core/wake.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <unistd.h>

static atomic_int read_end = -1, write_end = -1;

census_status census__wake_open(void) {
  census__wake_close();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    return CENSUS_ESYSTEM;
  }
  atomic_store(&read_end, fds[0]);
  atomic_store(&write_end, fds[1]);
  return CENSUS_OK;
}

void census__wake_close(void) {
  int r = atomic_exchange(&read_end, -1), w = atomic_exchange(&write_end, -1);
  if (r >= 0) {
    close(r);
  }
  if (w >= 0) {
    close(w);
  }
}

void census__wake_ring(unsigned char byte) {
  int fd = atomic_load_explicit(&write_end, memory_order_relaxed);
  if (fd < 0) {
    return;
  }
  int saved = errno;
  ssize_t ignored = write(fd, &byte, 1);
  (void)ignored;
  errno = saved;
}

int census__wake_fd(void) { return atomic_load(&read_end); }
