/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs-util.h"
#include "log.h"
#include "rm-rf-async.h"
#include "thread-job.h"

#define TRASH_PREFIX ".#rm-"

typedef struct RmRfJob RmRfJob;

struct RmRfJob {
        RmRfQueue *queue;
        RmRfJob *prev, *next;
        ThreadJob *thread;
        int dir_fd;             /* our own dup */
        char *name;             /* the hidden name */
        int result;             /* written by the thread, read after the join */
};

struct RmRfQueue {
        sd_event *event;
        RmRfJob *jobs;
        unsigned n_jobs;
        uint64_t counter;
};

static RmRfJob *rm_rf_job_free(RmRfJob *j) {
        if (!j)
                return NULL;
        if (j->queue) {
                if (j->prev)
                        j->prev->next = j->next;
                else
                        j->queue->jobs = j->next;
                if (j->next)
                        j->next->prev = j->prev;
                j->queue->n_jobs--;
        }
        thread_job_free(j->thread);     /* joins a running thread */
        safe_close(j->dir_fd);
        free(j->name);
        free(j);
        return NULL;
}

int rm_rf_queue_new(sd_event *event, RmRfQueue **ret) {
        RmRfQueue *q;

        if (!event || !ret)
                return -EINVAL;
        q = calloc(1, sizeof(RmRfQueue));
        if (!q)
                return -ENOMEM;
        q->event = sd_event_ref(event);
        *ret = q;
        return 0;
}

RmRfQueue *rm_rf_queue_free(RmRfQueue *q) {
        if (!q)
                return NULL;
        while (q->jobs)
                rm_rf_job_free(q->jobs);
        sd_event_unref(q->event);
        free(q);
        return NULL;
}

unsigned rm_rf_queue_pending(const RmRfQueue *q) {
        return q ? q->n_jobs : 0;
}

static void rm_rf_work(void *userdata) {
        RmRfJob *j = userdata;

        j->result = rm_rf_at(j->dir_fd, j->name);
}

static void rm_rf_done(void *userdata) {
        RmRfJob *j = userdata;

        if (j->result < 0)
                log_warning_errno(j->result, "Failed to remove %s, left for the next start: %m", j->name);
        rm_rf_job_free(j);
}

/* Takes the hidden name. */
static int queue_hidden(RmRfQueue *q, int dir_fd, char *hidden) {
        RmRfJob *j;
        int r;

        j = calloc(1, sizeof(RmRfJob));
        if (!j) {
                free(hidden);
                return -ENOMEM;
        }
        j->name = hidden;
        j->dir_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        if (j->dir_fd < 0) {
                r = -errno;
                rm_rf_job_free(j);
                return r;
        }
        r = thread_job_start(q->event, rm_rf_work, rm_rf_done, j, &j->thread);
        if (r < 0) {
                rm_rf_job_free(j);
                return r;
        }
        j->queue = q;
        j->next = q->jobs;
        if (q->jobs)
                q->jobs->prev = j;
        q->jobs = j;
        q->n_jobs++;
        return 1;
}

int rm_rf_queue_add(RmRfQueue *q, int dir_fd, const char *name) {
        if (!q || dir_fd < 0 || !name || !*name || strchr(name, '/'))
                return -EINVAL;

        for (unsigned attempt = 0;; attempt++) {
                char *hidden;

                if (asprintf(&hidden, TRASH_PREFIX "%s-%" PRIu64, name, q->counter++) < 0)
                        return -ENOMEM;
                if (renameat2(dir_fd, name, dir_fd, hidden, RENAME_NOREPLACE) >= 0)
                        return queue_hidden(q, dir_fd, hidden);
                free(hidden);
                if (errno == ENOENT)
                        return 0;
                /* a leftover of an earlier run by that name: take the next */
                if (errno != EEXIST || attempt >= 1000)
                        return -errno;
        }
}

int rm_rf_queue_sweep(RmRfQueue *q, int dir_fd) {
        _cleanup_closedir_ DIR *d = NULL;
        int fd, n = 0, r = 0;

        if (!q || dir_fd < 0)
                return -EINVAL;
        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        for (struct dirent *de; (errno = 0, de = readdir(d));) {
                char *hidden;
                int k;

                if (strncmp(de->d_name, TRASH_PREFIX, strlen(TRASH_PREFIX)) != 0)
                        continue;
                hidden = strdup(de->d_name);
                if (!hidden)
                        return -ENOMEM;
                k = queue_hidden(q, dir_fd, hidden);
                if (k < 0 && r == 0)
                        r = k;
                if (k > 0)
                        n++;
        }
        if (errno > 0 && r == 0)
                r = -errno;
        return r < 0 ? r : n;
}
