/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The image's User, resolved against the image's own /etc/passwd and
 * /etc/group (never the host's NSS): the shim does it after pivot_root, so the
 * files are the container's. */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/syscall.h>

#include "container.h"
#include "fs-util.h"
#include "strv.h"

#define ROOT_FILE_MAX (4 * 1024 * 1024)

void user_ids_done(UserIds *u) {
        free(u->gids);
        free(u->home);
        u->gids = NULL;
        u->home = NULL;
}

int read_root_file(const char *path, char **ret) {
        struct open_how how = {
                .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        _cleanup_close_ int fd = -EBADF;

        fd = (int) syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
        if (fd < 0) {
                if (errno == ENOENT) {
                        *ret = NULL;
                        return 0;
                }
                return -errno;
        }
        return read_fd_capped(fd, ROOT_FILE_MAX, READ_FILE_REGULAR, ret, NULL);
}

static bool parse_id(const char *s, unsigned *ret) {
        char *end;
        unsigned long v;

        if (!s || !*s || *s < '0' || *s > '9')
                return false;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end || v >= UINT32_MAX)   /* (uid_t) -1 is not an id */
                return false;
        *ret = (unsigned) v;
        return true;
}

/* Find the line of a colon-separated database whose field 0 (by name) or
 * field 2 (by id) matches; copies the line's fields into f (n_fields max). */
static bool db_find(const char *db, const char *name, const unsigned *id, char **f, size_t n_fields,
                    char **ret_line) {
        for (const char *p = db; p && *p; ) {
                const char *eol = strchrnul(p, '\n');
                _cleanup_free_ char *line = strndup(p, (size_t) (eol - p));
                size_t k = 0;
                unsigned v;

                p = *eol ? eol + 1 : eol;
                if (!line)
                        return false;
                if (line[0] == '#' || line[0] == '+' || line[0] == '-')
                        continue;
                for (char *q = line, *c; k < n_fields; q = c + 1) {
                        f[k++] = q;
                        c = strchr(q, ':');
                        if (!c)
                                break;
                        *c = 0;
                }
                if (k < 3)
                        continue;
                if ((name && streq(f[0], name)) || (id && parse_id(f[2], &v) && v == *id)) {
                        for (size_t i = k; i < n_fields; i++)
                                f[i] = NULL;
                        *ret_line = TAKE_PTR(line);
                        return true;
                }
        }
        return false;
}

static int add_gid(UserIds *u, gid_t g) {
        gid_t *n;

        for (size_t i = 0; i < u->n_gids; i++)
                if (u->gids[i] == g)
                        return 0;
        if (u->n_gids >= 2 * SHIM_GIDS_MAX)
                return -E2BIG;
        n = realloc(u->gids, (u->n_gids + 1) * sizeof(gid_t));
        if (!n)
                return -ENOMEM;
        u->gids = n;
        u->gids[u->n_gids++] = g;
        return 0;
}

int user_resolve(const char *spec, const char *passwd, const char *group,
                 const gid_t *extra, size_t n_extra, UserIds *ret, char **ret_error) {
        _cleanup_free_ char *user = NULL, *uline = NULL, *gline = NULL;
        _cleanup_(user_ids_done) UserIds u = {};
        char *grp = NULL, *f[7];
        const char *uname = NULL;
        unsigned id;
        int r;

        user = strdup(spec ?: "0");
        if (!user)
                return -ENOMEM;
        grp = strchr(user, ':');
        if (grp)
                *grp++ = 0;

        if (parse_id(user, &id)) {
                u.uid = id;
                u.gid = 0;
                if (db_find(passwd, NULL, &id, f, 7, &uline)) {
                        uname = f[0];
                        if (!parse_id(f[3], &id))
                                return shim_error(ret_error, -EBADMSG, "/etc/passwd entry of uid %u", u.uid);
                        u.gid = id;
                        u.home = f[5] ? strdup(f[5]) : NULL;
                }
        } else {
                if (!db_find(passwd, user, NULL, f, 7, &uline))
                        return shim_error(ret_error, -ESRCH, "user \"%s\" in the image's /etc/passwd", user);
                uname = f[0];
                if (!parse_id(f[2], &u.uid) || !parse_id(f[3], &u.gid))
                        return shim_error(ret_error, -EBADMSG, "/etc/passwd entry of \"%s\"", user);
                u.home = f[5] ? strdup(f[5]) : NULL;
        }

        if (grp) {
                if (parse_id(grp, &id))
                        u.gid = id;
                else if (db_find(group, grp, NULL, f, 4, &gline) && parse_id(f[2], &id))
                        u.gid = id;
                else
                        return shim_error(ret_error, -ESRCH, "group \"%s\" in the image's /etc/group", grp);
        }

        /* Supplementary groups, as initgroups(3) makes them: the primary
         * group, then every group whose member list names the user. */
        r = add_gid(&u, u.gid);
        if (r < 0)
                return r;
        if (uname && group)
                for (const char *p = group; *p; ) {
                        const char *eol = strchrnul(p, '\n');
                        _cleanup_free_ char *line = strndup(p, (size_t) (eol - p));
                        char *fields[4] = {}, *save = NULL;
                        size_t k = 0;

                        p = *eol ? eol + 1 : eol;
                        if (!line)
                                return -ENOMEM;
                        for (char *q = line, *c; k < 4; q = c + 1) {
                                fields[k++] = q;
                                c = strchr(q, ':');
                                if (!c)
                                        break;
                                *c = 0;
                        }
                        if (k < 4 || !parse_id(fields[2], &id))
                                continue;
                        for (char *m = strtok_r(fields[3], ",", &save); m; m = strtok_r(NULL, ",", &save))
                                if (streq(m, uname)) {
                                        r = add_gid(&u, id);
                                        if (r < 0)
                                                return r;
                                }
                }
        for (size_t i = 0; i < n_extra; i++) {
                r = add_gid(&u, extra[i]);
                if (r < 0)
                        return r;
        }

        if (!u.home) {
                u.home = strdup("/");
                if (!u.home)
                        return -ENOMEM;
        }
        *ret = u;
        u = (UserIds) {};
        return 0;
}
