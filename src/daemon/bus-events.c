/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "escape.h"
#include "daemon/bus-events.h"
#include "log.h"
#include "reconcile/events.h"
#include "strv.h"

static const sd_bus_vtable events_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_SIGNAL_WITH_NAMES("Event", "ssssts" "a{ss}",
                                 SD_BUS_PARAM(id) SD_BUS_PARAM(event) SD_BUS_PARAM(pod) SD_BUS_PARAM(container)
                                 SD_BUS_PARAM(realtime_usec) SD_BUS_PARAM(message) SD_BUS_PARAM(fields), 0),
        SD_BUS_VTABLE_END,
};

int bus_events_install(Manager *m) {
        int r;

        /* A vtable of its own beside the Manager's keeps the signal in this file. */
        r = sd_bus_add_object_vtable(m->bus, NULL, TANK_BUS_PATH, TANK_MANAGER_INTERFACE, events_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the Event signal: %m");
        return 0;
}

static int build_event(sd_bus *bus, const TankEvent *e, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *s = NULL;
        int r;

        r = sd_bus_message_new_signal(bus, &s, TANK_BUS_PATH, TANK_MANAGER_INTERFACE, "Event");
        if (r < 0)
                return r;
        r = sd_bus_message_append(s, "ssssts", e->id, tank_event_to_string(e->type), e->pod, e->container,
                                  e->at_usec, e->message);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(s, 'a', "{ss}");
        if (r < 0)
                return r;
        STRV_FOREACH(f, e->fields) {
                const char *eq = strchr(*f, '=');
                _cleanup_free_ char *k = NULL;

                if (!eq)
                        continue;
                _cleanup_free_ char *v = NULL;

                /* The journal entry keeps the bytes (a workload's, a
                 * registry's); the signal carries them escaped: D-Bus takes
                 * only UTF-8, and a signal that cannot be built is lost. */
                k = strndup(*f, (size_t) (eq - *f));
                v = str_escape_control(eq + 1);
                if (!k || !v)
                        return -ENOMEM;
                r = sd_bus_message_append(s, "{ss}", k, v);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

void bus_events_on_event(Reconciler *rc, const TankEvent *e, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *s = NULL;
        Manager *m = userdata;
        int r;

        if (!m->bus)
                return;
        /* Invalid UTF-8 (a probe's reason may carry a workload's bytes) makes
         * the append fail: the event is then in the journal only. */
        r = build_event(m->bus, e, &s);
        if (r >= 0)
                r = sd_bus_send(m->bus, s, NULL);
        if (r < 0)
                log_debug_errno(r, "Cannot send event %s of %s on the bus: %m", tank_event_to_string(e->type), e->pod);
}
