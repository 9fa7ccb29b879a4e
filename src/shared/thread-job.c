/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "thread-job.h"

struct ThreadJob {
        sd_event_source *io;
        int efd;
        pthread_t thread;
        bool running;           /* created and not joined yet; only touched on the loop */
        thread_job_work_t work;
        thread_job_done_t done;
        void *userdata;
};

ThreadJob *thread_job_free(ThreadJob *j) {
        if (!j)
                return NULL;
        if (j->running)
                (void) pthread_join(j->thread, NULL);
        sd_event_source_disable_unref(j->io);
        safe_close(j->efd);
        free(j);
        return NULL;
}

static void *thread_job_thread(void *arg) {
        ThreadJob *j = arg;

        j->work(j->userdata);
        /* Fails only when the counter would overflow, which one write cannot. */
        (void) eventfd_write(j->efd, 1);
        return NULL;
}

static int on_thread_job_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ThreadJob *j = userdata;

        /* Level-triggered and never read: off, so it cannot fire again if done() keeps the job. */
        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        (void) pthread_join(j->thread, NULL);
        j->running = false;
        j->done(j->userdata);   /* may free j */
        return 0;
}

int thread_job_start(sd_event *event, thread_job_work_t work, thread_job_done_t done, void *userdata,
                     ThreadJob **ret) {
        _cleanup_(thread_job_freep) ThreadJob *j = NULL;
        int r;

        if (!event || !work || !done || !ret)
                return -EINVAL;

        j = calloc(1, sizeof(ThreadJob));
        if (!j)
                return -ENOMEM;
        j->work = work;
        j->done = done;
        j->userdata = userdata;
        j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (j->efd < 0)
                return -errno;
        r = sd_event_add_io(event, &j->io, j->efd, EPOLLIN, on_thread_job_done, j);
        if (r < 0)
                return r;
        r = -pthread_create(&j->thread, NULL, thread_job_thread, j);
        if (r < 0)
                return r;
        j->running = true;

        *ret = TAKE_PTR(j);
        return 0;
}
