/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "log.h"
#include "tankctl.h"

#define UNREACHABLE_MSG "tankd is not reachable on the system bus (is tankd running?)"

/* No bus socket, or the bus went away under us. */
static bool errno_is_disconnect(int r) {
        r = r < 0 ? -r : r;
        return r == ENOENT || r == ECONNREFUSED || r == ENOTCONN || r == ECONNRESET || r == EPIPE;
}

int bus_connect_error(int r, const char *host) {
        if (host)
                log_error_errno(r, "cannot connect to the system bus on %s: %m", host);
        else if (errno_is_disconnect(r))
                log_error("%s", UNREACHABLE_MSG);
        else
                log_error_errno(r, "cannot connect to the system bus: %m");
        return EXIT_FAILURE;
}

int ctx_bus(Context *ctx, sd_bus **ret) {
        int r;

        if (!ctx->bus) {
                if (ctx->host)
                        r = sd_bus_open_system_remote(&ctx->bus, ctx->host);
                else
                        r = sd_bus_open_system(&ctx->bus);
                if (r < 0) {
                        ctx->bus = NULL;
                        return bus_connect_error(r, ctx->host);
                }
        }
        *ret = ctx->bus;
        return 0;
}

sd_bus_slot *match_slot_release(sd_bus_slot *slot) {
        if (!slot)
                return NULL;
        (void) sd_bus_slot_set_userdata(slot, NULL);
        /* Floating, the slot is the bus's: freed with it, after it was
         * closed, when no call can be sent any more. */
        (void) sd_bus_slot_set_floating(slot, true);
        return sd_bus_slot_unref(slot);
}

bool bus_error_is_unreachable(const sd_bus_error *e) {
        /* By name, never by message text: these all mean "nobody owns
         * org.tank.Tank1 and activation could not change that". */
        return sd_bus_error_has_names(e,
                                      SD_BUS_ERROR_SERVICE_UNKNOWN,
                                      SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                      SD_BUS_ERROR_NO_SERVER,
                                      SD_BUS_ERROR_DISCONNECTED,
                                      "org.freedesktop.systemd1.NoSuchUnit",
                                      "org.freedesktop.DBus.Error.Spawn.ServiceNotFound",
                                      "org.freedesktop.DBus.Error.Spawn.ChildExited",
                                      "org.freedesktop.DBus.Error.Spawn.Failed");
}

int print_bus_error(const sd_bus_error *e, const char *prefix) {
        if (bus_error_is_unreachable(e))
                log_error("%s", UNREACHABLE_MSG);
        else if (sd_bus_error_has_names(e, SD_BUS_ERROR_UNKNOWN_METHOD, SD_BUS_ERROR_UNKNOWN_OBJECT,
                                        SD_BUS_ERROR_UNKNOWN_INTERFACE))
                log_error("tankd does not support this operation (is it an older version?): %s",
                          strna(e->message));
        else if (sd_bus_error_has_names(e, SD_BUS_ERROR_ACCESS_DENIED, SD_BUS_ERROR_AUTH_FAILED,
                                        SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
                /* the bus's own message is a dump of its policy rules: not for humans */
                log_error("%s%spermission denied: only root and members of group tank may do this",
                          strempty(prefix), prefix ? ": " : "");
        else if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY) || sd_bus_error_has_name(e, SD_BUS_ERROR_TIMEOUT))
                log_error("%s%stankd did not answer in time", strempty(prefix), prefix ? ": " : "");
        else
                log_error("%s%s%s", strempty(prefix), prefix ? ": " : "",
                          e->message ?: e->name ?: "unknown error");
        return EXIT_FAILURE;
}

static int manager_call_va(Context *ctx, const char *method, uint64_t timeout_usec, sd_bus_error *error,
                           sd_bus_message **ret_reply, const char *types, va_list ap) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus *bus;
        int r;

        r = ctx_bus(ctx, &bus);
        if (r != 0)
                return r;

        r = sd_bus_message_new_method_call(bus, &m, TANK_BUS_NAME, TANK_BUS_PATH, TANK_MANAGER_INTERFACE, method);
        if (r < 0)
                return log_error_errno(r, "cannot build the %s call: %m", method), EXIT_FAILURE;
        if (types) {
                r = sd_bus_message_appendv(m, types, ap);
                if (r < 0)
                        return log_error_errno(r, "cannot build the %s call: %m", method), EXIT_FAILURE;
        }

        r = sd_bus_call(bus, m, timeout_usec, error, ret_reply);
        if (r < 0) {
                if (!sd_bus_error_is_set(error)) {
                        /* a transport failure rather than an error reply */
                        if (errno_is_disconnect(r))
                                return bus_connect_error(r, ctx->host);
                        return log_error_errno(r, "%s failed: %m", method), EXIT_FAILURE;
                }
                return -1;   /* an error reply: the caller decides */
        }
        return 0;
}

int manager_call_raw(Context *ctx, const char *method, uint64_t timeout_usec, sd_bus_error *ret_error,
                     sd_bus_message **ret_reply, const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = manager_call_va(ctx, method, timeout_usec, ret_error, ret_reply, types, ap);
        va_end(ap);
        if (r == -1 && bus_error_is_unreachable(ret_error))
                return print_bus_error(ret_error, NULL);
        return r;
}

int manager_call(Context *ctx, const char *method, uint64_t timeout_usec, const char *prefix,
                 sd_bus_message **ret_reply, const char *types, ...) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        va_start(ap, types);
        r = manager_call_va(ctx, method, timeout_usec, &error, ret_reply, types, ap);
        va_end(ap);
        if (r == -1)
                return print_bus_error(&error, prefix);
        return r;
}

/* ---- many calls of one method in flight ---- */

/* dbus-daemon lets a connection wait for 128 replies at once; stay below. */
#define BATCH_WINDOW 64

typedef struct BatchSlot {
        sd_bus_message **reply;
        sd_bus_error *error;
        size_t *pending;
} BatchSlot;

static int on_batch_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BatchSlot *s = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        (*s->pending)--;
        if (e)
                (void) sd_bus_error_copy(s->error, e);
        else
                *s->reply = sd_bus_message_ref(m);
        return 0;
}

int manager_call_batch(Context *ctx, const char *method, char *const *args, size_t n, sd_bus_message **replies,
                       sd_bus_error *errors) {
        _cleanup_free_ BatchSlot *slots = NULL;
        _cleanup_free_ sd_bus_slot **calls = NULL;
        size_t sent = 0, pending = 0;
        sd_bus *bus;
        int r, ret = 0;

        r = ctx_bus(ctx, &bus);
        if (r != 0)
                return r;
        slots = calloc(MAX(n, 1u), sizeof *slots);
        calls = calloc(MAX(n, 1u), sizeof *calls);
        if (!slots || !calls)
                return log_oom(), EXIT_FAILURE;

        while (sent < n || pending > 0) {
                while (sent < n && pending < BATCH_WINDOW) {
                        slots[sent] = (BatchSlot) { .reply = &replies[sent], .error = &errors[sent], .pending = &pending };
                        r = sd_bus_call_method_async(bus, &calls[sent], TANK_BUS_NAME, TANK_BUS_PATH,
                                                     TANK_MANAGER_INTERFACE, method, on_batch_reply, &slots[sent],
                                                     "s", args[sent]);
                        if (r < 0) {
                                log_error_errno(r, "cannot send the %s call: %m", method);
                                ret = EXIT_FAILURE;
                                goto finish;
                        }
                        sent++;
                        pending++;
                }
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        ret = errno_is_disconnect(r) ? bus_connect_error(r, ctx->host) :
                                                       (log_error_errno(r, "%s failed: %m", method), EXIT_FAILURE);
                        goto finish;
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR) {
                        log_error_errno(r, "%s failed: %m", method);
                        ret = EXIT_FAILURE;
                        goto finish;
                }
        }
finish:
        for (size_t i = 0; i < n; i++)
                sd_bus_slot_unref(calls[i]);
        return ret;
}
