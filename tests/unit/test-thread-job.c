/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "check-run.h"
#include "macro.h"
#include "thread-job.h"

typedef struct Probe {
        pthread_t loop_thread;
        pthread_t work_thread;
        atomic_bool work_ran;
        atomic_bool work_finished;
        bool done_on_loop;
        bool work_before_done;
        unsigned done_calls;
        unsigned sleep_ms;
        ThreadJob *job;
        bool free_in_done;
} Probe;

static void probe_work(void *userdata) {
        Probe *p = userdata;

        p->work_thread = pthread_self();
        atomic_store(&p->work_ran, true);
        if (p->sleep_ms > 0) {
                struct timespec ts = { .tv_sec = p->sleep_ms / 1000, .tv_nsec = (p->sleep_ms % 1000) * 1000000L };
                (void) nanosleep(&ts, NULL);
        }
        atomic_store(&p->work_finished, true);
}

static void probe_done(void *userdata) {
        Probe *p = userdata;

        p->done_calls++;
        p->done_on_loop = pthread_equal(pthread_self(), p->loop_thread);
        p->work_before_done = atomic_load(&p->work_finished);
        if (p->free_in_done)
                p->job = thread_job_free(p->job);
}

/* Runs the loop until *calls reaches want, for at most ~5 s. */
static void run_until(sd_event *e, unsigned *calls, unsigned want) {
        for (unsigned i = 0; *calls < want && i < 500; i++)
                ck_assert_int_ge(sd_event_run(e, 10 * 1000), 0);
        ck_assert_uint_eq(*calls, want);
}

START_TEST(test_work_off_loop_done_on_loop) {
        sd_event *e = NULL;
        Probe p = { .loop_thread = pthread_self(), .sleep_ms = 50, .free_in_done = true };

        ck_assert_int_eq(sd_event_new(&e), 0);
        ck_assert_int_eq(thread_job_start(e, probe_work, probe_done, &p, &p.job), 0);
        ck_assert_ptr_nonnull(p.job);
        ck_assert_uint_eq(p.done_calls, 0);         /* never synchronously */
        run_until(e, &p.done_calls, 1);
        ck_assert(atomic_load(&p.work_ran));
        ck_assert(!pthread_equal(p.work_thread, p.loop_thread));
        ck_assert(p.done_on_loop);
        ck_assert(p.work_before_done);
        ck_assert_ptr_null(p.job);                  /* freed from within done */
        /* Nothing fires again. */
        ck_assert_int_eq(sd_event_run(e, 50 * 1000), 0);
        ck_assert_uint_eq(p.done_calls, 1);
        sd_event_unref(e);
}
END_TEST

START_TEST(test_done_keeps_job) {
        sd_event *e = NULL;
        Probe p = { .loop_thread = pthread_self() };

        /* done() that does not free: the source must not fire again. */
        ck_assert_int_eq(sd_event_new(&e), 0);
        ck_assert_int_eq(thread_job_start(e, probe_work, probe_done, &p, &p.job), 0);
        run_until(e, &p.done_calls, 1);
        ck_assert_int_eq(sd_event_run(e, 50 * 1000), 0);
        ck_assert_uint_eq(p.done_calls, 1);
        p.job = thread_job_free(p.job);
        sd_event_unref(e);
}
END_TEST

START_TEST(test_free_finished) {
        sd_event *e = NULL;
        Probe p = { .loop_thread = pthread_self() };

        ck_assert_int_eq(sd_event_new(&e), 0);
        ck_assert_int_eq(thread_job_start(e, probe_work, probe_done, &p, &p.job), 0);
        for (unsigned i = 0; !atomic_load(&p.work_finished) && i < 5000; i++)
                (void) usleep(1000);
        ck_assert(atomic_load(&p.work_finished));
        /* The eventfd is (or is about to be) written; done() was not dispatched. */
        p.job = thread_job_free(p.job);
        ck_assert_int_eq(sd_event_run(e, 50 * 1000), 0);
        ck_assert_uint_eq(p.done_calls, 0);
        sd_event_unref(e);
}
END_TEST

START_TEST(test_free_running) {
        sd_event *e = NULL;
        Probe p = { .loop_thread = pthread_self(), .sleep_ms = 200 };

        ck_assert_int_eq(sd_event_new(&e), 0);
        ck_assert_int_eq(thread_job_start(e, probe_work, probe_done, &p, &p.job), 0);
        ck_assert(!atomic_load(&p.work_finished));
        p.job = thread_job_free(p.job);             /* joins */
        ck_assert(atomic_load(&p.work_finished));
        ck_assert_int_eq(sd_event_run(e, 50 * 1000), 0);
        ck_assert_uint_eq(p.done_calls, 0);
        sd_event_unref(e);
}
END_TEST

#define N_JOBS 64

typedef struct Many {
        unsigned *done_total;
        Probe probe;
} Many;

static void many_done(void *userdata) {
        Many *m = userdata;

        probe_done(&m->probe);
        (*m->done_total)++;
}

static void many_work(void *userdata) {
        probe_work(&((Many *) userdata)->probe);
}

START_TEST(test_many) {
        sd_event *e = NULL;
        static Many m[N_JOBS];
        unsigned total = 0;

        ck_assert_int_eq(sd_event_new(&e), 0);
        for (unsigned i = 0; i < N_JOBS; i++) {
                m[i] = (Many) {
                        .done_total = &total,
                        .probe = { .loop_thread = pthread_self(), .sleep_ms = i % 7, .free_in_done = true },
                };
                ck_assert_int_eq(thread_job_start(e, many_work, many_done, &m[i], &m[i].probe.job), 0);
        }
        /* A few freed before they are done, the rest on the loop. */
        for (unsigned i = 0; i < N_JOBS; i += 8) {
                m[i].probe.job = thread_job_free(m[i].probe.job);
                ck_assert(atomic_load(&m[i].probe.work_finished));
        }
        run_until(e, &total, N_JOBS - N_JOBS / 8);
        for (unsigned i = 0; i < N_JOBS; i++) {
                ck_assert(atomic_load(&m[i].probe.work_ran));
                ck_assert_ptr_null(m[i].probe.job);
                ck_assert_uint_eq(m[i].probe.done_calls, i % 8 == 0 ? 0 : 1);
                if (i % 8 != 0) {
                        ck_assert(m[i].probe.done_on_loop);
                        ck_assert(m[i].probe.work_before_done);
                        ck_assert(!pthread_equal(m[i].probe.work_thread, m[i].probe.loop_thread));
                }
        }
        sd_event_unref(e);
}
END_TEST

START_TEST(test_free_null_and_einval) {
        sd_event *e = NULL;
        ThreadJob *j = NULL;

        ck_assert_ptr_null(thread_job_free(NULL));
        ck_assert_int_eq(sd_event_new(&e), 0);
        ck_assert_int_eq(thread_job_start(e, NULL, probe_done, NULL, &j), -EINVAL);
        ck_assert_int_eq(thread_job_start(e, probe_work, NULL, NULL, &j), -EINVAL);
        ck_assert_ptr_null(j);
        sd_event_unref(e);
}
END_TEST

int main(void) {
        Suite *s = suite_create("thread-job");
        TCase *tc = tcase_create("core");

        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_work_off_loop_done_on_loop);
        tcase_add_test(tc, test_done_keeps_job);
        tcase_add_test(tc, test_free_finished);
        tcase_add_test(tc, test_free_running);
        tcase_add_test(tc, test_many);
        tcase_add_test(tc, test_free_null_and_einval);
        suite_add_tcase(s, tc);
        return check_run(s);
}
