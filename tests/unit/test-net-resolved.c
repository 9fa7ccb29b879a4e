/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The auto adapter's D-Bus path. systemd-resolved is not installed here, so a
 * private dbus-daemon carries a stand-in that owns org.freedesktop.resolve1 and
 * serves the Manager's DNS property (a(iiay)) exactly as resolved documents it,
 * including entries the adapter must drop. The client code under test is the
 * real one, over a real bus ($DBUS_SYSTEM_BUS_ADDRESS points at the private one). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "check-run.h"
#include "net/host.h"
#include "strv.h"

static char address[512];
static pid_t daemon_pid;
/* In the stand-in: SIGUSR1 switches its servers and announces the change. */
static volatile sig_atomic_t switch_servers;
static bool switched;

static int append_server(sd_bus_message *m, int ifindex, int family, const char *text) {
        unsigned char buf[16];
        size_t len = family == AF_INET ? 4 : 16;
        int r;

        if (inet_pton(family, text, buf) != 1)
                return -EINVAL;
        r = sd_bus_message_open_container(m, 'r', "iiay");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ii", ifindex, family);
        if (r < 0)
                return r;
        r = sd_bus_message_append_array(m, 'y', buf, len);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int get_dns(sd_bus *bus, const char *path, const char *interface, const char *property,
                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        unsigned char bogus[3] = { 1, 2, 3 };
        int r;

        (void) bus, (void) path, (void) interface, (void) property, (void) userdata, (void) error;
        r = sd_bus_message_open_container(reply, 'a', "(iiay)");
        if (r < 0)
                return r;
        if (switched) {
                if ((r = append_server(reply, 0, AF_INET, "203.0.113.53")) < 0)
                        return r;
                return sd_bus_message_close_container(reply);
        }
        if ((r = append_server(reply, 0, AF_INET, "127.0.0.53")) < 0 ||
            (r = append_server(reply, 0, AF_INET, "192.0.2.53")) < 0 ||
            (r = append_server(reply, 2, AF_INET6, "2001:db8::53")) < 0 ||
            (r = append_server(reply, 3, AF_INET, "192.0.2.53")) < 0 ||
            (r = append_server(reply, 3, AF_INET6, "::1")) < 0)
                return r;
        /* A hostile or broken peer: a 3-byte "IPv4" address must be ignored. */
        if ((r = sd_bus_message_open_container(reply, 'r', "iiay")) < 0 ||
            (r = sd_bus_message_append(reply, "ii", 4, AF_INET)) < 0 ||
            (r = sd_bus_message_append_array(reply, 'y', bogus, sizeof bogus)) < 0 ||
            (r = sd_bus_message_close_container(reply)) < 0)
                return r;
        if ((r = append_server(reply, 4, AF_INET, "198.51.100.53")) < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static const sd_bus_vtable resolve_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("DNS", "a(iiay)", get_dns, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

/* Child: serve the stand-in until killed; "r" on the pipe once the name is ours. */
static void on_usr1(int sig) {
        (void) sig;
        switch_servers = 1;
}

static _noreturn_ void serve(int ready_fd) {
        sd_bus *bus = NULL;
        sd_bus_slot *slot = NULL;

        (void) signal(SIGUSR1, on_usr1);

        if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, address) < 0 ||
            sd_bus_set_bus_client(bus, 1) < 0 || sd_bus_start(bus) < 0 ||
            sd_bus_add_object_vtable(bus, &slot, "/org/freedesktop/resolve1", "org.freedesktop.resolve1.Manager",
                                     resolve_vtable, NULL) < 0 ||
            sd_bus_request_name(bus, "org.freedesktop.resolve1", 0) < 0)
                _exit(EXIT_FAILURE);
        if (write(ready_fd, "r", 1) != 1)
                _exit(EXIT_FAILURE);
        for (;;) {
                int r = sd_bus_process(bus, NULL);
                if (r < 0)
                        _exit(EXIT_FAILURE);
                if (switch_servers && !switched) {
                        switched = true;
                        if (sd_bus_emit_properties_changed(bus, "/org/freedesktop/resolve1",
                                                           "org.freedesktop.resolve1.Manager", "DNS", NULL) < 0)
                                _exit(EXIT_FAILURE);
                        continue;
                }
                if (r == 0 && sd_bus_wait(bus, 100 * 1000) < 0 && errno != EINTR)
                        _exit(EXIT_FAILURE);
        }
}

static pid_t start_standin(void) {
        int p[2];
        char c;
        pid_t pid;

        ck_assert_int_ge(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                close(p[0]);
                serve(p[1]);
        }
        close(p[1]);
        ck_assert_int_eq(read(p[0], &c, 1), 1);
        close(p[0]);
        return pid;
}

static void stop(pid_t pid) {
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
}

START_TEST(test_not_running) {
        _cleanup_strv_free_ char **l = NULL;

        ck_assert_int_eq(host_resolved_dns(&l), -EHOSTDOWN);
}
END_TEST

START_TEST(test_servers_from_resolved) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_config_free_ TankConfig *c = NULL;
        _cleanup_host_facts_free_ HostFacts *f = NULL;
        char * const *dns;
        pid_t pid = start_standin();

        ck_assert_int_eq(host_resolved_dns(&l), 0);
        ck_assert_uint_eq(strv_length(l), 3);
        ck_assert_str_eq(l[0], "192.0.2.53");
        ck_assert_str_eq(l[1], "2001:db8::53");
        ck_assert_str_eq(l[2], "198.51.100.53");

        /* The auto adapter prefers resolved over /etc/resolv.conf. */
        ck_assert_int_ge(config_new_default(&c), 0);
        c->host_adapter = HOST_ADAPTER_AUTO;
        ck_assert_int_ge(host_facts_new(c, &f), 0);
        ck_assert_int_ge(host_facts_dns(f, &dns), 0);
        ck_assert(strv_equal((char **) dns, l));
        stop(pid);
}
END_TEST

/* Runs the loop until the watch read a new answer (or 5 s passed). */
static void wait_answer(sd_event *e, const ResolvedWatch *w, unsigned *gen) {
        for (int i = 0; i < 500 && resolved_watch_generation(w) == *gen; i++)
                ck_assert_int_ge(sd_event_run(e, 10 * 1000), 0);
        ck_assert_uint_ne(resolved_watch_generation(w), *gen);
        *gen = resolved_watch_generation(w);
}

/* tankd's path: the answer is cached from signals, never asked for at use. */
START_TEST(test_watch) {
        _cleanup_(resolved_watch_freep) ResolvedWatch *w = NULL;
        _cleanup_config_free_ TankConfig *c = NULL;
        _cleanup_host_facts_free_ HostFacts *f = NULL;
        _cleanup_strv_free_ char **l = NULL;
        sd_event *e = NULL;
        sd_bus *bus = NULL;
        char * const *dns;
        unsigned gen = 0;
        pid_t pid;

        ck_assert_int_ge(sd_event_new(&e), 0);
        ck_assert_int_ge(sd_bus_open_system(&bus), 0);
        ck_assert_int_ge(sd_bus_attach_event(bus, e, 0), 0);
        ck_assert_int_ge(resolved_watch_new(bus, e, &w), 0);
        ck_assert_int_eq(resolved_watch_dns(w, &l), -EAGAIN);

        /* Not running: known as down, and the adapter falls back to the file. */
        wait_answer(e, w, &gen);
        ck_assert_int_eq(resolved_watch_dns(w, &l), -EHOSTDOWN);

        /* It starts: NameOwnerChanged brings its servers. */
        pid = start_standin();
        wait_answer(e, w, &gen);
        ck_assert_int_eq(resolved_watch_dns(w, &l), 0);
        ck_assert_uint_eq(strv_length(l), 3);
        ck_assert_str_eq(l[0], "192.0.2.53");
        ck_assert_str_eq(l[2], "198.51.100.53");

        ck_assert_int_ge(config_new_default(&c), 0);
        c->host_adapter = HOST_ADAPTER_AUTO;
        ck_assert_int_ge(host_facts_new_resolved(c, w, &f), 0);
        ck_assert_int_ge(host_facts_dns(f, &dns), 0);
        ck_assert(strv_equal((char **) dns, l));

        /* It announces new servers: PropertiesChanged brings them. */
        ck_assert_int_eq(kill(pid, SIGUSR1), 0);
        wait_answer(e, w, &gen);
        l = strv_free(l);
        ck_assert_int_eq(resolved_watch_dns(w, &l), 0);
        ck_assert_uint_eq(strv_length(l), 1);
        ck_assert_str_eq(l[0], "203.0.113.53");

        /* It stops: the cache says so at once, with no call at use. */
        stop(pid);
        wait_answer(e, w, &gen);
        l = strv_free(l);
        ck_assert_int_eq(resolved_watch_dns(w, &l), -EHOSTDOWN);

        w = resolved_watch_free(w);
        sd_bus_flush_close_unref(bus);
        sd_event_unref(e);
}
END_TEST

int main(void) {
        char buf[sizeof address];
        int p[2], r;
        ssize_t n;
        Suite *s;
        TCase *tc;

        /* A private bus: dbus-daemon prints its address, then forks into the background. */
        if (pipe2(p, 0) < 0)
                return EXIT_FAILURE;
        daemon_pid = fork();
        if (daemon_pid < 0)
                return EXIT_FAILURE;
        if (daemon_pid == 0) {
                char fd[16];
                snprintf(fd, sizeof fd, "%d", p[1]);
                close(p[0]);
                execlp("dbus-daemon", "dbus-daemon", "--session", "--nofork", "--nopidfile",
                       "--address=unix:tmpdir=/tmp", "--print-address", fd, (char *) NULL);
                _exit(127);
        }
        close(p[1]);
        n = read(p[0], buf, sizeof buf - 1);
        close(p[0]);
        if (n <= 0) {
                fprintf(stderr, "dbus-daemon did not start\n");
                return EXIT_FAILURE;
        }
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        snprintf(address, sizeof address, "%s", buf);
        setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1);

        s = suite_create("net-resolved");
        tc = tcase_create("core");
        tcase_add_test(tc, test_not_running);
        tcase_add_test(tc, test_servers_from_resolved);
        tcase_add_test(tc, test_watch);
        suite_add_tcase(s, tc);
        r = check_run_suite(s, false);
        stop(daemon_pid);
        return r;
}
