/* fork_quiet.h - fork() once no other thread of the test is in the middle of running (tests only).
 *
 * Why: the AddressSanitizer runtime of gcc 12 (libsanitizer from LLVM 13/14) takes no lock of its
 * own around fork(). A child forked while another thread holds the sanitizer allocator's lock of
 * one size class (a thread starting: glibc's pthread_getattr_np() allocates in the sanitizer's
 * thread set-up; or census's export worker allocating) inherits that lock held, and its first
 * allocation of that size class waits forever. Seen in alloc_failure under ASan, about one run in
 * 70 when it forked right after census started its worker: the child's threads stuck in
 * SizeClassAllocator64::GetFromAllocator(), the parent in read() on the child's pipe. glibc's own
 * malloc locks its arenas around fork(), so programs built without the sanitizer do not have this
 * problem, and census does not work around it; the tests that fork do.
 *
 * How: before forking, wait (up to 5 s, then fork anyway) until every other thread of the process
 * is blocked in a system call other than the allocator's mmap family, read from
 * /proc/self/task/<tid>/syscall ("running" while a thread runs in user space). A thread that wakes
 * between the check and the fork can still race; census's worker sleeps for seconds between
 * exports, so the window is microseconds in seconds.
 *
 * Thread-safety: call from one thread at a time. Errors: an unreadable /proc counts as quiet.
 */
#ifndef CENSUS_TESTS_FORK_QUIET_H
#define CENSUS_TESTS_FORK_QUIET_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* True when thread `tid` is blocked in a system call that cannot be holding an allocator lock. */
static inline bool fork_quiet_thread_is_blocked(const char *tid) {
  char path[320]; /* "/proc/self/task/" + a d_name (at most 255) + "/syscall" */
  snprintf(path, sizeof path, "/proc/self/task/%s/syscall", tid);
  FILE *f = fopen(path, "r");
  if (!f) {
    return true; /* gone, or no /proc: nothing to wait for */
  }
  char word[32] = "";
  int got = fscanf(f, "%31s", word);
  fclose(f);
  if (got != 1) {
    return true;
  }
  if (word[0] < '0' || word[0] > '9') {
    return false; /* "running" */
  }
  long nr = strtol(word, NULL, 10);
  /* mmap, munmap, mremap, madvise: the sanitizer allocator maps memory while holding its lock */
  return nr != SYS_mmap && nr != SYS_munmap && nr != SYS_mremap && nr != SYS_madvise;
}

/* True when every thread but the caller is blocked (see above). */
static inline bool fork_quiet_others_blocked(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) {
    return true;
  }
  char self[32];
  snprintf(self, sizeof self, "%ld", (long)syscall(SYS_gettid));
  bool blocked = true;
  for (struct dirent *e; blocked && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] != '.' && strcmp(e->d_name, self) != 0) {
      blocked = fork_quiet_thread_is_blocked(e->d_name);
    }
  }
  closedir(d);
  return blocked;
}

/* fork(), after waiting up to 5 s for the other threads to be blocked. */
static inline pid_t fork_quiet(void) {
  const struct timespec ms = {0, 1000000};
  for (int i = 0; i < 5000 && !fork_quiet_others_blocked(); i++) {
    nanosleep(&ms, NULL);
  }
  return fork();
}

#endif
