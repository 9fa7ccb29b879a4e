/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Run a function in a worker thread, then call back on the event loop.
 *
 * thread_job_start() creates an eventfd, watches it with an sd_event io
 * source and starts a thread that calls work(userdata) and then writes the
 * eventfd. When the loop sees the eventfd, it joins the thread and calls
 * done(userdata): whatever work() wrote is visible to done() (the join
 * orders them). done() may free the job (thread_job_free()), and it is the
 * usual place to do so; the job does not free itself.
 *
 * thread_job_free() on a job whose thread is still running joins it first
 * (blocking the caller until work() returns); done() is then never called.
 * Cancellation (not calling a user's handler) is the caller's business: keep
 * a flag and look at it in done(). */

#include <systemd/sd-event.h>

#include "macro.h"

typedef struct ThreadJob ThreadJob;

/* Called in the worker thread. */
typedef void (*thread_job_work_t)(void *userdata);
/* Called on the event loop, after the thread was joined. */
typedef void (*thread_job_done_t)(void *userdata);

int thread_job_start(sd_event *event, thread_job_work_t work, thread_job_done_t done, void *userdata,
                     ThreadJob **ret);
/* Joins a running thread first; NULL is fine. Safe from within done(). */
ThreadJob *thread_job_free(ThreadJob *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(ThreadJob *, thread_job_free);
