/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <net/if.h>
#include <inttypes.h>
#include <sched.h>
#include <unistd.h>

#include "daemon/node.h"
#include "fs-util.h"
#include "log.h"
#include "net/host.h"
#include "spec/spec-util.h"
#include "store/lease.h"
#include "store/nodes.h"
#include "strv.h"
#include "time-util.h"

#define NODE_RETRY_USEC (1U * 1000U * 1000U)

typedef enum NodePhase {
        NODE_IDLE,              /* before node_start() */
        NODE_GRANTING,
        NODE_PUTTING,
        NODE_REGISTERED,
        NODE_STOPPING,
} NodePhase;

struct Node {
        sd_event *event;
        Store *store;
        NodePhase phase;
        char *name, *key, *value;
        uint64_t lease_sec;
        int64_t lease_id;
        bool in_flight;         /* one request at a time */
        bool renew_failing;     /* logged once per outage */
        uint64_t sent_usec, last_renewal_usec;
        sd_event_source *timer;
        NodeStoppedCallback stopped;
        void *stopped_userdata;
        NodeRegisteredCallback registered;
        void *registered_userdata;
        StoreWatch *watch;      /* of our own key: deleted by hand, it is written again */
        bool key_missing;       /* the watch saw it go: the next keepalive says why */
        uint64_t fence_usec;
        sd_event_source *fence_timer;   /* FenceSec= after the last renewal that worked */
        bool fenced;
        /* The store said the lease had expired: the fleet may have moved our
         * reschedulable pods meanwhile. Fenced until node_relisted(). */
        bool lease_lost;
        NodeFencedCallback fenced_cb;
        void *fenced_userdata;
};

static int read_boot_id(char **ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        int r;

        fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        r = read_fd_capped(fd, 64, 0, &buf, &n);
        if (r < 0)
                return r;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                buf[--n] = 0;
        for (size_t i = 0; i < n; i++)
                if (!((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f') || buf[i] == '-'))
                        return -EBADMSG;
        *ret = TAKE_PTR(buf);
        return 0;
}

static uint64_t count_cpus(void) {
        cpu_set_t set;

        if (sched_getaffinity(0, sizeof(set), &set) == 0)
                return (uint64_t) CPU_COUNT(&set);
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        return c > 0 ? (uint64_t) c : 1;
}

static uint64_t physical_memory(void) {
        long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

        return pages > 0 && size > 0 ? (uint64_t) pages * (uint64_t) size : 0;
}

static int cmp_strp(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* What the scheduler checks a pod's network against (a macvlan NIC's parent
 * must exist on the node it goes to): the interfaces of tankd's network
 * namespace, the host's, and the host adapter's uplink. Read once per start:
 * a NIC added later counts after a restart; bring-up checks again anyway. */
static int read_host_facts(const TankConfig *config, char ***ret_interfaces, char **ret_uplink) {
        _cleanup_host_facts_free_ HostFacts *facts = NULL;
        _cleanup_strv_free_ char **l = NULL;
        struct if_nameindex *ifs;
        const char *uplink = NULL, *why = NULL;
        int r;

        ifs = if_nameindex();
        if (!ifs)
                return -errno;
        for (struct if_nameindex *i = ifs; i->if_index != 0; i++)
                if (!streq(i->if_name, "lo") && ifname_is_valid(i->if_name) && strv_extend(&l, i->if_name) < 0) {
                        if_freenameindex(ifs);
                        return -ENOMEM;
                }
        if_freenameindex(ifs);
        if (!l && !(l = strv_copy(NULL)))
                return -ENOMEM;
        qsort(l, strv_length(l), sizeof(char *), cmp_strp);

        r = host_facts_new(config, &facts);
        if (r < 0)
                return r;
        r = host_facts_uplink(facts, &uplink, &why);
        if (r < 0)
                log_debug("No uplink for \"auto\" NIC parents: %s", strna(why));
        *ret_uplink = strdup(r >= 0 && uplink ? uplink : "");
        if (!*ret_uplink)
                return -ENOMEM;
        *ret_interfaces = TAKE_PTR(l);
        return 0;
}

int node_new(sd_event *event, const TankConfig *config, Node **ret) {
        _cleanup_(node_freep) Node *n = NULL;
        _cleanup_free_ char *boot_id = NULL, *uplink = NULL;
        _cleanup_strv_free_ char **interfaces = NULL;
        NodeRecord rec;
        int r;

        n = calloc(1, sizeof(Node));
        if (!n)
                return -ENOMEM;
        n->event = sd_event_ref(event);
        n->lease_sec = config->node_lease_usec / USEC_PER_SEC;
        n->fence_usec = config->node_fence_usec;
        n->name = strdup(config->node_name);
        if (!n->name)
                return -ENOMEM;
        r = store_node_key(n->name, &n->key);
        if (r < 0)
                return r;
        r = read_boot_id(&boot_id);
        if (r < 0)
                log_debug_errno(r, "Cannot read the boot id, leaving it out of the node record: %m");

        r = read_host_facts(config, &interfaces, &uplink);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                log_warning_errno(r, "Cannot read this host's interfaces, leaving them out of the node record "
                                  "(the scheduler will not check pods' NIC parents against it): %m");

        rec = (NodeRecord) {
                .name = n->name,
                .labels = config->node_labels,
                .cpus = count_cpus(),
                .memory_bytes = physical_memory(),
                .version = (char *) PACKAGE_VERSION,
                .boot_id = boot_id,
                .started_usec = now_realtime_usec(),
                .has_facts = r >= 0,
                .interfaces = interfaces,
                .uplink = uplink,
        };
        r = node_record_format(&rec, &n->value);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(n);
        return 0;
}

Node *node_free(Node *n) {
        if (!n)
                return NULL;
        sd_event_source_disable_unref(n->timer);
        sd_event_source_disable_unref(n->fence_timer);
        store_watch_free(n->watch);
        sd_event_unref(n->event);
        free(n->name);
        free(n->key);
        free(n->value);
        free(n);
        return NULL;
}

const char *node_name(const Node *n) {
        return n->name;
}

uint64_t node_last_renewal_usec(const Node *n) {
        return n->last_renewal_usec;
}

static void node_step(Node *n);

static void node_set_fenced(Node *n, bool fenced) {
        if (n->fenced == fenced)
                return;
        n->fenced = fenced;
        if (fenced)
                log_warning("Node %s could not renew its lease for FenceSec=%" PRIu64 " s: stopping its "
                            "reschedulable pods, which the fleet may start elsewhere once the lease expires.",
                            n->name, n->fence_usec / USEC_PER_SEC);
        else
                log_info("Node %s renewed its lease again%s: no longer fenced.", n->name,
                         n->lease_lost ? " and has read its bindings anew" : "");
        if (n->fenced_cb)
                n->fenced_cb(n, fenced, n->fenced_userdata);
}

static int on_fence(sd_event_source *s _unused_, uint64_t usec _unused_, void *userdata) {
        node_set_fenced(userdata, true);
        return 0;
}

/* A renewal (or the start) at `at`: the fence is FenceSec= after it. */
static void node_arm_fence(Node *n, uint64_t at) {
        int r;

        if (n->fence_usec == 0)
                return;
        if (!n->fence_timer)
                r = sd_event_add_time(n->event, &n->fence_timer, CLOCK_MONOTONIC, at + n->fence_usec, 0,
                                      on_fence, n);
        else {
                r = sd_event_source_set_time(n->fence_timer, at + n->fence_usec);
                if (r >= 0)
                        r = sd_event_source_set_enabled(n->fence_timer, SD_EVENT_ONESHOT);
        }
        if (r < 0)
                /* Without it a reschedulable pod could run on two nodes: give up. */
                (void) sd_event_exit(n->event, log_error_errno(r, "Failed to arm the node's fence timer: %m"));
}

static void node_renewed(Node *n) {
        n->last_renewal_usec = n->sent_usec;
        node_arm_fence(n, n->sent_usec);
        /* After a lost lease, stale views could still place a pod here that
         * the fleet moved away: the fence holds until they are read anew. */
        node_set_fenced(n, n->lease_lost);
}

bool node_is_fenced(const Node *n) {
        return n && n->fenced;
}

bool node_lease_lost(const Node *n) {
        return n && n->lease_lost;
}

void node_relisted(Node *n) {
        if (!n || !n->lease_lost)
                return;
        if (n->phase != NODE_REGISTERED)
                return;         /* the registration after this one relists again */
        node_set_fenced(n, false);
        n->lease_lost = false;
}

void node_set_fenced_callback(Node *n, NodeFencedCallback cb, void *userdata) {
        n->fenced_cb = cb;
        n->fenced_userdata = userdata;
}

static int on_timer(sd_event_source *s _unused_, uint64_t usec _unused_, void *userdata) {
        node_step(userdata);
        return 0;
}

static void node_arm(Node *n, uint64_t delay) {
        int r;

        if (n->phase == NODE_STOPPING)
                return;
        n->timer = sd_event_source_disable_unref(n->timer);
        r = sd_event_add_time_relative(n->event, &n->timer, CLOCK_MONOTONIC, delay, 0, on_timer, n);
        if (r < 0)
                /* Without a timer the lease would lapse and the fleet take the node for
                 * gone: tankd cannot do its job, exit and let systemd restart it. */
                (void) sd_event_exit(n->event, log_error_errno(r, "Failed to arm the node's lease timer: %m"));
        else
                (void) sd_event_source_set_description(n->timer, "node-lease");
}

static uint64_t period_usec(const Node *n) {
        return n->lease_sec * USEC_PER_SEC / 3;
}

static void on_put(Store *s _unused_, int r, const StoreResult *res _unused_, const char *error, void *userdata) {
        Node *n = userdata;

        n->in_flight = false;
        if (r == -ECANCELED)
                return;
        if (n->phase == NODE_STOPPING)
                return node_step(n);
        if (r == -ENOENT) {
                log_info("The lease of node %s expired before its key was written, granting a new one.", n->name);
                n->phase = NODE_GRANTING;
                return node_arm(n, 0);
        }
        if (r < 0) {
                log_warning_errno(r, "Failed to register node %s, retrying: %s", n->name, strna(error));
                return node_arm(n, NODE_RETRY_USEC);
        }
        log_info("Registered node %s (lease %" PRIx64 ", %" PRIu64 " s).", n->name, (uint64_t) n->lease_id,
                 n->lease_sec);
        n->phase = NODE_REGISTERED;
        n->renew_failing = false;
        node_arm(n, period_usec(n));
        if (n->registered)
                n->registered(n, n->lease_id, n->registered_userdata);
}

int64_t node_lease_id(const Node *n) {
        return n && n->phase == NODE_REGISTERED ? n->lease_id : 0;
}

void node_set_registered_callback(Node *n, NodeRegisteredCallback cb, void *userdata) {
        n->registered = cb;
        n->registered_userdata = userdata;
}

static void on_grant(Store *s _unused_, int r, int64_t id, int64_t ttl, const char *error, void *userdata) {
        Node *n = userdata;

        n->in_flight = false;
        if (r == -ECANCELED)
                return;
        if (n->phase == NODE_STOPPING) {
                if (r >= 0)
                        n->lease_id = id;       /* revoked by the next step */
                return node_step(n);
        }
        if (r < 0) {
                if (!n->renew_failing)
                        log_warning_errno(r, "Failed to grant node %s a lease, retrying: %s", n->name, strna(error));
                n->renew_failing = true;
                return node_arm(n, NODE_RETRY_USEC);
        }
        if ((uint64_t) ttl != n->lease_sec)
                log_warning("The store granted node %s a lease of %" PRIi64 " s instead of %" PRIu64 " s.",
                            n->name, ttl, n->lease_sec);
        n->lease_id = id;
        node_renewed(n);
        n->phase = NODE_PUTTING;
        node_arm(n, 0);
}

static void on_keepalive(Store *s _unused_, int r, int64_t id _unused_, int64_t ttl _unused_, const char *error,
                         void *userdata) {
        Node *n = userdata;
        uint64_t deadline, now;

        n->in_flight = false;
        if (r == -ECANCELED)
                return;
        if (n->phase == NODE_STOPPING)
                return node_step(n);
        if (r == -ENOENT) {
                log_warning("The lease of node %s expired, registering the node again.", n->name);
                n->lease_lost = true;
                n->key_missing = false;
                n->lease_id = 0;
                n->phase = NODE_GRANTING;
                n->renew_failing = false;
                return node_arm(n, 0);
        }
        if (r < 0) {
                if (!n->renew_failing)
                        log_warning_errno(r, "Failed to renew the lease of node %s, retrying: %s", n->name,
                                          strna(error));
                n->renew_failing = true;
                /* Again soon, not a period later: FenceSec= counts from the
                 * last renewal that worked, and is two periods by default. */
                return node_arm(n, NODE_RETRY_USEC);
        }
        if (n->renew_failing)
                log_info("Renewed the lease of node %s again.", n->name);
        n->renew_failing = false;
        node_renewed(n);
        if (n->key_missing && n->phase == NODE_REGISTERED) {
                n->key_missing = false;
                log_warning("The record of node %s vanished from the store while its lease lives; writing it "
                            "again.", n->name);
                n->phase = NODE_PUTTING;
                return node_arm(n, 0);
        }
        /* A period after this renewal was sent, not after its answer came:
         * a slow store must not stretch the renewals toward the lease. */
        deadline = n->sent_usec + period_usec(n);
        now = now_monotonic_usec();
        node_arm(n, deadline > now ? deadline - now : 0);
}

static void on_revoke(Store *s _unused_, int r, int64_t id _unused_, int64_t ttl _unused_, const char *error,
                      void *userdata) {
        Node *n = userdata;

        n->in_flight = false;
        if (r == -ECANCELED)
                return;
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Failed to revoke the lease of node %s (its key goes when the lease "
                                  "expires): %s", n->name, strna(error));
        else
                log_info("Revoked the lease of node %s.", n->name);
        n->lease_id = 0;
        if (n->stopped)
                n->stopped(n, n->stopped_userdata);
}

static void node_step(Node *n) {
        int r = 0;

        if (n->in_flight || !n->store)
                return;
        n->sent_usec = now_monotonic_usec();
        switch (n->phase) {
        case NODE_GRANTING:
                r = store_lease_grant(n->store, (int64_t) n->lease_sec, on_grant, n);
                break;
        case NODE_PUTTING:
                r = store_put_leased(n->store, n->key, n->value, strlen(n->value), n->lease_id, on_put, n);
                break;
        case NODE_REGISTERED:
                r = store_lease_keepalive(n->store, n->lease_id, on_keepalive, n);
                break;
        case NODE_STOPPING:
                if (n->lease_id == 0) {
                        if (n->stopped)
                                n->stopped(n, n->stopped_userdata);
                        return;
                }
                r = store_lease_revoke(n->store, n->lease_id, on_revoke, n);
                break;
        default:
                return;
        }
        if (r < 0) {
                log_warning_errno(r, "Failed to send the lease request of node %s, retrying: %m", n->name);
                if (n->phase == NODE_STOPPING) {
                        if (n->stopped)
                                n->stopped(n, n->stopped_userdata);
                        return;
                }
                return node_arm(n, NODE_RETRY_USEC);
        }
        n->in_flight = true;
}

/* The key went: with the lease (it expired: the keepalive says so and the
 * node registers anew), or while the lease lives (etcdctl del, a restore),
 * when the fleet would take the node for gone, and schedule around it,
 * until the lease expired: then it is written again with the same lease.
 * A keepalive now tells the two apart. */
static void node_key_missing(Node *n) {
        if (n->phase != NODE_REGISTERED)
                return;
        n->key_missing = true;
        if (!n->in_flight)
                node_arm(n, 0);
}

static int on_key_event(StoreWatch *w _unused_, const StoreEvent *ev, void *userdata) {
        Node *n = userdata;

        /* The watch is of a prefix: /tank/v1/nodes/a also matches .../ab. */
        if (ev->type == STORE_EVENT_DELETE && streq(ev->kv.key, n->key))
                node_key_missing(n);
        return 0;
}

static int on_key_resync(StoreWatch *w _unused_, const StoreKV *kvs, size_t n_kvs, int64_t revision _unused_,
                         void *userdata) {
        Node *n = userdata;

        for (size_t i = 0; i < n_kvs; i++)
                if (streq(kvs[i].key, n->key))
                        return 0;
        node_key_missing(n);
        return 0;
}

int node_start(Node *n, Store *store) {
        static const StoreWatchCallbacks callbacks = {
                .event = on_key_event,
                .resync = on_key_resync,
        };
        int r;

        if (!n || !store)
                return -EINVAL;
        n->store = store;
        n->phase = NODE_GRANTING;
        node_arm(n, 0);
        /* A tankd started while cut off from the store fences too: it cannot
         * know whether the fleet moved its pods meanwhile. */
        node_arm_fence(n, now_monotonic_usec());
        r = store_watch_new(store, n->key, 0, &callbacks, n, &n->watch);
        if (r < 0)
                log_warning_errno(r, "Cannot watch the record of node %s (a record deleted by hand is not "
                                  "written again): %m", n->name);
        return 0;
}

static int on_stopped_defer(sd_event_source *s _unused_, void *userdata) {
        Node *n = userdata;

        n->timer = sd_event_source_disable_unref(n->timer);
        node_step(n);
        return 0;
}

int node_stop(Node *n, NodeStoppedCallback done, void *userdata) {
        int r;

        if (!n || !n->store || n->phase == NODE_STOPPING)
                return 0;
        /* A grant in flight may yet bring a lease: revoke it then. */
        if (n->lease_id == 0 && !(n->in_flight && n->phase == NODE_GRANTING))
                return 0;
        n->phase = NODE_STOPPING;
        n->stopped = done;
        n->stopped_userdata = userdata;
        n->timer = sd_event_source_disable_unref(n->timer);
        if (n->in_flight)
                return 1;       /* its callback takes the next step */
        r = sd_event_add_defer(n->event, &n->timer, on_stopped_defer, n);
        if (r < 0)
                return r;
        return 1;
}
