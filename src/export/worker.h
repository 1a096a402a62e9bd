/* worker.h - the export worker thread (worker.c): periodic stats and span exports, and the flush
 * a SIGTERM/SIGINT asks for. Its configuration (the export interval) is its own. */
#ifndef CENSUS_EXPORT_WORKER_H
#define CENSUS_EXPORT_WORKER_H

#include <stdint.h>

#include "census/status.h"

/* Starts the worker (the lifecycle, once the doorbell is open), every signal blocked. A signal
 * number rung on the doorbell is handed to on_signal on the worker thread. CENSUS_OK or
 * CENSUS_ESYSTEM. */
census_status census__worker_start(void (*on_signal)(int signo));

/* Stops the worker and joins it within the deadline (a worker stuck in an exporter is left
 * detached: shutdown stays bounded). Called on the worker itself (exit() from an exporter), it
 * only detaches. */
void census__worker_stop(int64_t deadline_ns);

/* fork() child: the worker thread did not survive; restarts it when the parent had one (the
 * doorbell re-opened first). */
void census__worker_fork_child(void);

#endif
