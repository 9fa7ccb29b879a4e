/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* systemd-resolved's DNS servers, kept current on the daemon's own bus
 * connection without ever waiting on it: the answer is read asynchronously
 * when resolved appears (NameOwnerChanged), when it announces a change
 * (PropertiesChanged on its Manager), and at least every
 * RESOLVED_REFRESH_USEC, for changes it does not announce (not every
 * version emits one for servers set over SetLinkDNS). A pod's bring-up then
 * takes the last answer, at most that old. */
#include <errno.h>
#include <stdlib.h>

#include "net/host.h"
#include "strv.h"
#include "time-util.h"

#define RESOLVED_NAME "org.freedesktop.resolve1"
#define RESOLVED_PATH "/org/freedesktop/resolve1"
#define RESOLVED_MANAGER "org.freedesktop.resolve1.Manager"
#define RESOLVED_REFRESH_USEC (30 * USEC_PER_SEC)

typedef enum ResolvedState {
        RESOLVED_UNKNOWN, /* no answer yet */
        RESOLVED_DOWN,    /* resolved does not own its name */
        RESOLVED_UP,      /* servers holds its last answer */
} ResolvedState;

struct ResolvedWatch {
        sd_bus *bus;
        sd_event *event;
        sd_bus_slot *owner_match, *changed_match;
        sd_bus_slot *call;              /* NameHasOwner or the DNS property, in flight */
        sd_event_source *refresh;
        ResolvedState state;
        char **servers;
        unsigned generation;            /* answers read, for the tests */
};

static int resolved_fetch(ResolvedWatch *w);

static void resolved_set_down(ResolvedWatch *w) {
        w->state = RESOLVED_DOWN;
        w->servers = strv_free(w->servers);
        w->refresh = sd_event_source_disable_unref(w->refresh);
        w->generation++;
}

static int on_refresh(sd_event_source *s, uint64_t usec, void *userdata) {
        ResolvedWatch *w = userdata;

        w->refresh = sd_event_source_disable_unref(w->refresh);
        (void) resolved_fetch(w);
        return 0;
}

static int on_dns_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ResolvedWatch *w = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        _cleanup_strv_free_ char **l = NULL;
        int r;

        w->call = sd_bus_slot_unref(w->call);
        if (e) {
                if (sd_bus_error_has_name(e, "org.freedesktop.DBus.Error.ServiceUnknown") ||
                    sd_bus_error_has_name(e, "org.freedesktop.DBus.Error.NameHasNoOwner"))
                        resolved_set_down(w);
                /* Otherwise the last answer stands, until the next refresh. */
                goto rearm;
        }
        r = sd_bus_message_enter_container(m, 'v', "a(iiay)");
        if (r >= 0) {
                l = calloc(1, sizeof(char *));
                r = l ? host_resolved_read_servers(m, &l) : -ENOMEM;
        }
        if (r < 0)
                goto rearm;
        strv_free(w->servers);
        w->servers = TAKE_PTR(l);
        w->state = RESOLVED_UP;
        w->generation++;
rearm:
        if (w->state != RESOLVED_DOWN && !w->refresh)
                (void) sd_event_add_time_relative(w->event, &w->refresh, CLOCK_MONOTONIC, RESOLVED_REFRESH_USEC,
                                                  USEC_PER_SEC, on_refresh, w);
        return 0;
}

static int resolved_fetch(ResolvedWatch *w) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        w->call = sd_bus_slot_unref(w->call);
        r = sd_bus_message_new_method_call(w->bus, &m, RESOLVED_NAME, RESOLVED_PATH,
                                           "org.freedesktop.DBus.Properties", "Get");
        if (r < 0)
                return r;
        /* Never have the bus start a resolved the administrator left off. */
        r = sd_bus_message_set_auto_start(m, false);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", RESOLVED_MANAGER, "DNS");
        if (r < 0)
                return r;
        return sd_bus_call_async(w->bus, &w->call, m, on_dns_reply, w, 0);
}

static int on_has_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ResolvedWatch *w = userdata;
        int has = 0;

        w->call = sd_bus_slot_unref(w->call);
        if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "b", &has) < 0 || !has) {
                resolved_set_down(w);
                return 0;
        }
        (void) resolved_fetch(w);
        return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ResolvedWatch *w = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || !streq(name, RESOLVED_NAME))
                return 0;
        if (isempty(new_owner)) {
                w->call = sd_bus_slot_unref(w->call);
                resolved_set_down(w);
        } else
                (void) resolved_fetch(w);
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ResolvedWatch *w = userdata;

        /* Whatever changed on the Manager, one Get is cheaper than parsing. */
        (void) resolved_fetch(w);
        return 0;
}

int resolved_watch_new(sd_bus *bus, sd_event *event, ResolvedWatch **ret) {
        _cleanup_(resolved_watch_freep) ResolvedWatch *w = NULL;
        int r;

        if (!bus || !event || !ret)
                return -EINVAL;
        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->bus = sd_bus_ref(bus);
        w->event = sd_event_ref(event);

        /* The matches first, so that nothing between them and the first
         * question is missed. */
        r = sd_bus_match_signal_async(bus, &w->owner_match, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                      "org.freedesktop.DBus", "NameOwnerChanged", on_owner_changed, NULL, w);
        if (r < 0)
                return r;
        r = sd_bus_match_signal_async(bus, &w->changed_match, RESOLVED_NAME, RESOLVED_PATH,
                                      "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                      on_properties_changed, NULL, w);
        if (r < 0)
                return r;
        r = sd_bus_call_method_async(bus, &w->call, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "NameHasOwner", on_has_owner, w, "s", RESOLVED_NAME);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(w);
        return 0;
}

ResolvedWatch *resolved_watch_free(ResolvedWatch *w) {
        if (!w)
                return NULL;
        sd_bus_slot_unref(w->owner_match);
        sd_bus_slot_unref(w->changed_match);
        sd_bus_slot_unref(w->call);
        sd_event_source_disable_unref(w->refresh);
        strv_free(w->servers);
        sd_bus_unref(w->bus);
        sd_event_unref(w->event);
        free(w);
        return NULL;
}

int resolved_watch_dns(const ResolvedWatch *w, char ***ret) {
        char **l;

        if (!w)
                return -EINVAL;
        if (w->state == RESOLVED_UNKNOWN)
                return -EAGAIN;
        if (w->state == RESOLVED_DOWN)
                return -EHOSTDOWN;
        l = strv_copy(w->servers);
        if (!l)
                return -ENOMEM;
        *ret = l;
        return 0;
}

unsigned resolved_watch_generation(const ResolvedWatch *w) {
        return w ? w->generation : 0;
}
