/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <stdio.h>

#include "daemon/seed.h"
#include "fs-util.h"
#include "log.h"

typedef struct SeedCall {
        char *name;
        char *file;
} SeedCall;

static void seed_done(Store *s, int r, int64_t mod_revision, const char *error, void *userdata) {
        SeedCall *sc = userdata;

        if (r == -EEXIST)
                log_debug("Seed %s: pod %s exists already; left as it is.", sc->file, sc->name);
        else if (r < 0 && r != -ECANCELED)
                log_error("Seed %s: pod %s not written: %s", sc->file, sc->name, strna(error));
        else if (r >= 0)
                log_info("Seeded pod %s from %s.", sc->name, sc->file);
        free(sc->name);
        free(sc->file);
        free(sc);
}

static int seed_file(Manager *m, const char *path) {
        _cleanup_free_ char *data = NULL, *error = NULL;
        Pod **pods = NULL;
        size_t len, n = 0;
        int r;

        r = read_file_regular(path, POD_JSON_MAX, &data, &len);
        if (r < 0)
                return log_error_errno(r, "Seed %s: cannot read: %m", path);
        r = pod_parse_many(data, len, &pods, &n, &error);
        if (r < 0) {
                log_error("Seed %s: %s", path, error ?: strerror(-r));
                return r;
        }
        for (size_t i = 0; i < n; i++) {
                SeedCall *sc = calloc(1, sizeof(SeedCall));
                if (!sc || !(sc->name = strdup(pods[i]->name)) || !(sc->file = strdup(path))) {
                        if (sc) {
                                free(sc->name);
                                free(sc);
                        }
                        r = log_oom();
                        break;
                }
                r = store_pods_create(m->store, pods[i], seed_done, sc);
                if (r < 0) {
                        seed_done(m->store, r, 0, "could not queue the write", sc);
                        break;
                }
        }
        pod_array_free(pods, n);
        return r;
}

void seed_pods(Manager *m) {
        _cleanup_free_ char *dir = NULL;
        struct dirent **entries = NULL;
        int n;

        if (asprintf(&dir, "%s/pods.d", m->config_dir) < 0)
                return (void) log_oom();
        n = scandir(dir, &entries, NULL, alphasort);
        if (n < 0)
                return;
        for (int i = 0; i < n; i++) {
                const char *name = entries[i]->d_name;
                size_t l = strlen(name);
                _cleanup_free_ char *path = NULL;

                if (l > 5 && streq(name + l - 5, ".json") && name[0] != '.' &&
                    asprintf(&path, "%s/%s", dir, name) >= 0)
                        (void) seed_file(m, path);
                free(entries[i]);
        }
        free(entries);
}
