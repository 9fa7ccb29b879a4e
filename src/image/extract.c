/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include "extract-internal.h"
#include "fs-util.h"
#include "log.h"
#include "whiteout.h"


static void extractor_done(Extractor *x) {
        free(x->cache_path);
        safe_close(x->cache_fd);
        FOREACH_ARRAY(d, x->dir_times, x->n_dir_times)
                free(d->path);
        free(x->dir_times);
        free(x->error);
}

/* Entry names (and anything derived from them) are hostile: make them printable
 * and bounded. Quotes are escaped in names, which we quote ourselves. */
static char *escape_name(const char *s, bool keep_quotes) {
        size_t n = 0, max = 512;
        char *r = malloc(max * 4 + 4);

        if (!r)
                return NULL;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (n >= max * 4 - 8) {
                        memcpy(r + n, "...", 3);
                        n += 3;
                        break;
                }
                if (*p >= 0x20 && *p < 0x7f && *p != '\\' && (keep_quotes || *p != '\''))
                        r[n++] = (char) *p;
                else
                        n += (size_t) sprintf(r + n, "\\x%02x", *p);
        }
        r[n] = 0;
        return r;
}

int extract_fail(Extractor *x, int r, const char *format, ...) {
        _cleanup_free_ char *msg = NULL, *name = NULL, *emsg = NULL;
        va_list ap;
        int k;

        if (r >= 0)
                r = -EINVAL;
        if (x->error)  /* keep the first, most specific message */
                return r;

        va_start(ap, format);
        errno = -r;
        k = vasprintf(&msg, format, ap);
        va_end(ap);
        if (k < 0)
                return r;

        name = escape_name(strempty(x->entry), false);
        emsg = escape_name(msg, true);
        if (asprintf(&x->error, "layer entry '%s': %s", strempty(name), strempty(emsg)) < 0)
                x->error = NULL;
        log_debug("%s", strempty(x->error));
        return r;
}

static int openat_beneath(int dir_fd, const char *path, int flags) {
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC | O_NOFOLLOW),
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
                           RESOLVE_NO_XDEV,
        };

        /* openat2() returns EAGAIN when a concurrent rename might have let the
         * walk escape; nothing renames inside a layer we extract, so retry. */
        for (unsigned attempt = 0; attempt < 16; attempt++) {
                long fd = syscall(SYS_openat2, dir_fd, path, &how, sizeof(how));
                if (fd >= 0)
                        return (int) fd;
                if (errno != EAGAIN)
                        return -errno;
        }
        return -EAGAIN;
}

/* Relative, '/'-separated, no '.', '..' or empty components. "" is the root. */
static const char *normalize_path(const char *p, char **ret, unsigned *ret_depth) {
        _cleanup_free_ char *r = NULL;
        size_t n = 0, l;
        unsigned depth = 0;

        if (p[0] == '/')
                return "absolute path";
        l = strlen(p);
        if (l >= EXTRACT_MAX_PATH)
                return "path too long";

        r = malloc(l + 1);
        if (!r)
                return "out of memory";

        for (const char *c = p; *c;) {
                size_t k = strcspn(c, "/");

                if (k == 0 || (k == 1 && c[0] == '.'))
                        ;
                else if (k == 2 && c[0] == '.' && c[1] == '.')
                        return "path contains '..'";
                else {
                        if (n > 0)
                                r[n++] = '/';
                        memcpy(r + n, c, k);
                        n += k;
                        if (++depth > EXTRACT_MAX_DEPTH)
                                return "path too deep";
                }
                c += k;
                if (*c == '/')
                        c++;
        }
        r[n] = 0;
        *ret = TAKE_PTR(r);
        *ret_depth = depth;
        return NULL;
}

/* Splits "a/b/c" into parent "a/b" (in place) and leaf "c"; "c" gives "" + "c". */
static void split_path(char *p, const char **ret_parent, const char **ret_leaf) {
        char *s = strrchr(p, '/');

        if (!s) {
                *ret_parent = "";
                *ret_leaf = p;
                return;
        }
        *s = 0;
        *ret_parent = p;
        *ret_leaf = s + 1;
}

static int check_parent_components(const char *parent) {
        for (const char *c = parent; *c;) {
                size_t k = strcspn(c, "/");
                if (k >= strlen(WHITEOUT_PREFIX) && strneq(c, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)))
                        return -EINVAL;
                c += k;
                if (*c == '/')
                        c++;
        }
        return 0;
}

static void cache_invalidate(Extractor *x) {
        free(x->cache_path);
        x->cache_path = NULL;
        x->cache_fd = safe_close(x->cache_fd);
}

/* Drops the cache if the removed path is the cached directory or an ancestor. */
static void cache_invalidate_below(Extractor *x, const char *parent, const char *leaf) {
        size_t lp = strlen(parent), ll = strlen(leaf);
        const char *c = x->cache_path;

        if (!c)
                return;
        if (lp > 0) {
                if (!strneq(c, parent, lp) || c[lp] != '/')
                        return;
                c += lp + 1;
        }
        if (strneq(c, leaf, ll) && (c[ll] == 0 || c[ll] == '/'))
                cache_invalidate(x);
}

static int mkdir_parents(Extractor *x, const char *parent) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *p = strdup(parent);
        int cur = x->root_fd;

        if (!p)
                return -ENOMEM;

        for (char *c = p; *c;) {
                size_t k = strcspn(c, "/");
                bool last = c[k] == 0, created = false;
                int nfd;

                c[k] = 0;
                nfd = openat_beneath(cur, c, O_RDONLY | O_DIRECTORY);
                if (nfd == -ENOENT) {
                        if (mkdirat(cur, c, 0755) < 0)
                                return -errno;
                        created = true;
                        nfd = openat_beneath(cur, c, O_RDONLY | O_DIRECTORY);
                }
                if (nfd < 0)
                        return nfd;
                /* Implicit directories: root-owned 0755 whatever the umask. */
                if (created && fchmod(nfd, 0755) < 0) {
                        safe_close(nfd);
                        return -errno;
                }
                safe_close(fd);
                fd = nfd;
                cur = fd;
                if (last)
                        break;
                c += k + 1;
        }
        return TAKE_FD(fd);
}

/* O_DIRECTORY|O_NOFOLLOW on a final symlink gives ENOTDIR: say what it is. */
static bool parent_is_symlink(Extractor *x, const char *parent) {
        _cleanup_close_ int fd = openat_beneath(x->root_fd, parent, O_PATH);
        struct stat st;

        return fd >= 0 && fstat(fd, &st) >= 0 && S_ISLNK(st.st_mode);
}

/* Returns a borrowed fd for the parent directory; creates missing ones. */
static int open_parent(Extractor *x, const char *parent, int *ret_fd) {
        _cleanup_free_ char *copy = NULL;
        int fd;

        if (isempty(parent)) {
                *ret_fd = x->root_fd;
                return 0;
        }
        if (x->cache_path && streq(x->cache_path, parent)) {
                *ret_fd = x->cache_fd;
                return 0;
        }

        fd = openat_beneath(x->root_fd, parent, O_RDONLY | O_DIRECTORY);
        if (fd == -ENOENT)
                fd = mkdir_parents(x, parent);
        if (fd == -ENOTDIR && parent_is_symlink(x, parent))
                fd = -ELOOP;
        if (fd == -ELOOP)
                return extract_fail(x, fd, "parent directory '%s' is or passes through a symlink", parent);
        if (fd == -ENOTDIR)
                return extract_fail(x, fd, "parent '%s' is not a directory", parent);
        if (fd == -EXDEV)
                return extract_fail(x, fd, "parent '%s' leaves the layer directory", parent);
        if (fd < 0)
                return extract_fail(x, fd, "cannot open parent directory '%s': %m", parent);

        copy = strdup(parent);
        if (!copy) {
                safe_close(fd);
                return extract_fail(x, -ENOMEM, "out of memory");
        }
        cache_invalidate(x);
        x->cache_path = TAKE_PTR(copy);
        x->cache_fd = fd;
        *ret_fd = fd;
        return 0;
}

/* Makes room for a new entry at parent_fd/leaf. Returns 1 if an existing
 * directory is kept (keep_dir), 0 if the name is now free. */
static int remove_existing(Extractor *x, int parent_fd, const char *parent, const char *leaf,
                           bool keep_dir) {
        struct stat st;
        int r;

        if (fstatat(parent_fd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return 0;
                return extract_fail(x, -errno, "cannot stat existing entry: %m");
        }
        if (S_ISDIR(st.st_mode)) {
                if (keep_dir)
                        return 1;
                cache_invalidate_below(x, parent, leaf);
                r = rm_rf_at(parent_fd, leaf);
                if (r < 0)
                        return extract_fail(x, r, "cannot replace existing directory: %m");
                return 0;
        }
        if (unlinkat(parent_fd, leaf, 0) < 0)
                return extract_fail(x, -errno, "cannot replace existing entry: %m");
        return 0;
}

/* The limit is on what the headers declare, so a file is refused before a byte
 * of it lands (limits.h). */
static int account_size(Extractor *x, struct archive_entry *e) {
        uint64_t size = archive_entry_size_is_set(e) && archive_entry_size(e) > 0 ?
                        (uint64_t) archive_entry_size(e) : 0;
        _cleanup_free_ char *name = NULL;

        if (!x->limits || size <= x->limits->max_bytes - MIN(x->stats.n_bytes, x->limits->max_bytes)) {
                x->stats.n_bytes = image_size_add(x->stats.n_bytes, size);
                return 0;
        }
        if (x->error)
                return -EFBIG;
        name = escape_name(strempty(x->entry), false);
        if (asprintf(&x->error, "%s (at entry '%s')", strempty(x->limits->exceeded), strempty(name)) < 0)
                x->error = NULL;
        log_debug("%s", strempty(x->error));
        return -EFBIG;
}

static int check_free_space(Extractor *x, size_t n) {
        _cleanup_free_ char *msg = NULL;
        int r;

        if (!x->limits || !x->limits->free_space)
                return 0;
        x->written_since_check += n;
        if (x->written_since_check < EXTRACT_FREE_CHECK_BYTES)
                return 0;
        x->written_since_check = 0;
        r = image_limits_check_free(x->limits->free_space, x->root_fd, 0, "unpacking", &msg);
        if (r < 0 && !x->error)
                x->error = TAKE_PTR(msg);
        return r;
}

static int write_data(Extractor *x, struct archive *a, struct archive_entry *e, int fd) {
        uint64_t declared = archive_entry_size_is_set(e) && archive_entry_size(e) > 0 ?
                            (uint64_t) archive_entry_size(e) : 0;
        int64_t pos = 0;

        for (;;) {
                const void *buf;
                size_t len;
                la_int64_t off;
                int r;

                r = archive_read_data_block(a, &buf, &len, &off);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return extract_fail(x, -EBADMSG, "cannot read data: %s",
                                    strempty(archive_error_string(a)));
                if (off < 0)
                        return extract_fail(x, -EBADMSG, "negative data offset");
                /* The size was accounted from the header: no data beyond it. */
                if ((uint64_t) off > declared || len > declared - (uint64_t) off)
                        return extract_fail(x, -EBADMSG, "data beyond the entry's declared size");
                r = check_free_space(x, len);
                if (r < 0)
                        return r;
                if (off != pos) {
                        if (lseek(fd, off, SEEK_SET) < 0)
                                return extract_fail(x, -errno, "cannot seek: %m");
                        pos = off;
                }
                for (const char *p = buf; len > 0;) {
                        ssize_t n = write(fd, p, len);
                        if (n < 0) {
                                if (errno == EINTR)
                                        continue;
                                return extract_fail(x, -errno, "cannot write: %m");
                        }
                        p += n;
                        len -= (size_t) n;
                        pos += n;
                }
        }

        /* A sparse file may end in a hole. */
        if (archive_entry_size_is_set(e) && archive_entry_size(e) > pos &&
            ftruncate(fd, archive_entry_size(e)) < 0)
                return extract_fail(x, -errno, "cannot set size: %m");
        return 0;
}

static int record_dir_time(Extractor *x, struct archive_entry *e, const char *path) {
        DirTime *d;

        if (x->n_dir_times >= x->n_dir_times_allocated) {
                size_t n = MAX(x->n_dir_times_allocated * 2, (size_t) 64);
                d = reallocarray(x->dir_times, n, sizeof(DirTime));
                if (!d)
                        return extract_fail(x, -ENOMEM, "out of memory");
                x->dir_times = d;
                x->n_dir_times_allocated = n;
        }
        d = x->dir_times + x->n_dir_times;
        d->path = strdup(path);
        if (!d->path)
                return extract_fail(x, -ENOMEM, "out of memory");
        extract_entry_times(e, d->ts);
        x->n_dir_times++;
        return 0;
}

static int extract_hardlink(Extractor *x, struct archive_entry *e, int parent_fd,
                            const char *parent, const char *leaf, const char *path) {
        _cleanup_free_ char *target = NULL;
        _cleanup_close_ int tfd = -EBADF;
        const char *reason, *tparent, *tleaf;
        struct stat st, dst;
        unsigned depth;
        int r, tparent_fd;

        reason = normalize_path(archive_entry_hardlink(e), &target, &depth);
        if (reason)
                return extract_fail(x, -EINVAL, "hardlink target: %s", reason);
        if (isempty(target))
                return extract_fail(x, -EINVAL, "hardlink to the layer root");
        if (streq(target, path))
                return extract_fail(x, -EINVAL, "hardlink to itself");

        split_path(target, &tparent, &tleaf);
        if (isempty(tparent))
                tparent_fd = x->root_fd;
        else {
                tfd = openat_beneath(x->root_fd, tparent, O_PATH | O_DIRECTORY);
                if (tfd == -ENOTDIR && parent_is_symlink(x, tparent))
                        tfd = -ELOOP;
                if (tfd == -ELOOP)
                        return extract_fail(x, tfd, "hardlink target's directory '%s' is or passes through a symlink", tparent);
                if (tfd < 0)
                        return extract_fail(x, tfd, "hardlink target's directory '%s': %m", tparent);
                tparent_fd = tfd;
        }

        if (fstatat(tparent_fd, tleaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return extract_fail(x, -errno, "hardlink target '%s/%s': %m", tparent, tleaf);
        if (S_ISDIR(st.st_mode))
                return extract_fail(x, -EPERM, "hardlink target '%s/%s' is a directory", tparent, tleaf);

        if (fstatat(parent_fd, leaf, &dst, AT_SYMLINK_NOFOLLOW) >= 0 &&
            dst.st_dev == st.st_dev && dst.st_ino == st.st_ino)
                return 0;
        r = remove_existing(x, parent_fd, parent, leaf, false);
        if (r < 0)
                return r;

        /* flags 0: a symlink target is linked itself, never followed. */
        if (linkat(tparent_fd, tleaf, parent_fd, leaf, 0) < 0)
                return extract_fail(x, -errno, "cannot create hardlink: %m");
        return 0;
}

static int extract_entry(Extractor *x, struct archive *a, struct archive_entry *e) {
        _cleanup_free_ char *path = NULL, *split = NULL;
        const char *reason, *parent, *leaf, *wh_target = NULL;
        mode_t type = archive_entry_filetype(e);
        unsigned depth;
        int parent_fd = -EBADF, wh, r;

        if (!x->entry)
                return extract_fail(x, -EBADMSG, "name not readable in this locale");
        if (++x->stats.n_entries > EXTRACT_MAX_ENTRIES)
                return extract_fail(x, -E2BIG, "more than %u entries", EXTRACT_MAX_ENTRIES);

        reason = normalize_path(x->entry, &path, &depth);
        if (reason)
                return extract_fail(x, -EINVAL, "%s", reason);

        if (isempty(path)) {
                /* "." / "./": only metadata for the root, never a replacement
                 * (umoci CVE-2021-29136: a symlink named '.'). */
                if (type != AE_IFDIR || archive_entry_hardlink(e))
                        return extract_fail(x, -EINVAL, "would replace the layer root");
                r = extract_apply_metadata_fd(x, e, x->root_fd, false);
                if (r < 0)
                        return r;
                return record_dir_time(x, e, "");
        }

        split = strdup(path);
        if (!split)
                return extract_fail(x, -ENOMEM, "out of memory");
        split_path(split, &parent, &leaf);

        if (check_parent_components(parent) < 0)
                return extract_fail(x, -EINVAL, "whiteout prefix on a parent directory");

        wh = whiteout_classify(leaf, &wh_target);
        if (wh < 0)
                return extract_fail(x, wh, "whiteout does not name an entry of its directory");
        if (wh == WHITEOUT_IGNORED)
                return 0;

        r = open_parent(x, parent, &parent_fd);
        if (r < 0)
                return r;

        switch (wh) {
        case WHITEOUT_OPAQUE_DIR:
                r = whiteout_set_opaque(parent_fd);
                if (r < 0)
                        return extract_fail(x, r, "cannot mark directory opaque: %m");
                return 0;
        case WHITEOUT_FILE:
                r = remove_existing(x, parent_fd, parent, wh_target, false);
                if (r < 0)
                        return r;
                r = whiteout_create(parent_fd, wh_target);
                if (r < 0)
                        return extract_fail(x, r, "cannot create whiteout: %m");
                return 0;
        default:
                break;
        }

        if (archive_entry_hardlink(e))
                return extract_hardlink(x, e, parent_fd, parent, leaf, path);

        switch (type) {

        case AE_IFDIR: {
                _cleanup_close_ int fd = -EBADF;

                r = remove_existing(x, parent_fd, parent, leaf, true);
                if (r < 0)
                        return r;
                if (r == 0 && mkdirat(parent_fd, leaf, 0700) < 0)
                        return extract_fail(x, -errno, "cannot create directory: %m");
                fd = openat(parent_fd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return extract_fail(x, -errno, "cannot open directory: %m");
                r = extract_apply_metadata_fd(x, e, fd, false);
                if (r < 0)
                        return r;
                return record_dir_time(x, e, path);
        }

        case AE_IFREG: {
                _cleanup_close_ int fd = -EBADF;

                r = account_size(x, e);
                if (r < 0)
                        return r;
                r = remove_existing(x, parent_fd, parent, leaf, false);
                if (r < 0)
                        return r;
                fd = openat(parent_fd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0)
                        return extract_fail(x, -errno, "cannot create file: %m");
                r = write_data(x, a, e, fd);
                if (r < 0)
                        return r;
                return extract_apply_metadata_fd(x, e, fd, true);
        }

        case AE_IFLNK: {
                const char *target = archive_entry_symlink(e);

                if (isempty(target))
                        return extract_fail(x, -EINVAL, "symlink without target");
                if (strlen(target) >= EXTRACT_MAX_PATH)
                        return extract_fail(x, -ENAMETOOLONG, "symlink target too long");
                r = remove_existing(x, parent_fd, parent, leaf, false);
                if (r < 0)
                        return r;
                if (symlinkat(target, parent_fd, leaf) < 0)
                        return extract_fail(x, -errno, "cannot create symlink: %m");
                return extract_apply_metadata_symlink(x, e, parent_fd, leaf);
        }

        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
                r = remove_existing(x, parent_fd, parent, leaf, false);
                if (r < 0)
                        return r;
                if (mknodat(parent_fd, leaf, type | 0600, type == AE_IFIFO ? 0 : archive_entry_rdev(e)) < 0)
                        return extract_fail(x, -errno, "cannot create node: %m");
                return extract_apply_metadata_special(x, e, parent_fd, leaf, type);

        case AE_IFSOCK:
                log_debug("Skipping socket %s.", x->entry);
                return 0;

        default:
                return extract_fail(x, -EBADMSG, "unknown entry type 0%o", (unsigned) type);
        }
}

static void fix_dir_times(Extractor *x) {
        /* Deepest last written first does not matter: setting a directory's times
         * does not touch its parent's. Failures mean the directory was replaced
         * later in the archive, which is fine. */
        FOREACH_ARRAY(d, x->dir_times, x->n_dir_times) {
                _cleanup_close_ int fd = -EBADF;

                if (isempty(d->path)) {
                        (void) futimens(x->root_fd, d->ts);
                        continue;
                }
                fd = openat_beneath(x->root_fd, d->path, O_RDONLY | O_DIRECTORY);
                if (fd >= 0)
                        (void) futimens(fd, d->ts);
        }
}

typedef int (*entry_handler_t)(Extractor *x, struct archive *a, struct archive_entry *e);

/* Reads every header and hands the entry to `each`; then, once all passed,
 * sets the directories' times (none were recorded by a scan) and the stats.
 * Frees the Extractor. */
static int extractor_run(Extractor *x, struct archive *a, entry_handler_t each, ExtractStats *ret_stats,
                         char **ret_error) {
        int r;

        for (;;) {
                struct archive_entry *e;

                x->entry = NULL;
                r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN) {
                        r = extract_fail(x, -EBADMSG, "invalid tar header after %" PRIu64 " entries: %s",
                                         x->stats.n_entries, strempty(archive_error_string(a)));
                        goto finish;
                }
                x->entry = archive_entry_pathname(e);
                r = each(x, a, e);
                if (r < 0)
                        goto finish;
        }

        fix_dir_times(x);
        if (ret_stats)
                *ret_stats = x->stats;
        r = 0;

finish:
        if (r < 0 && ret_error)
                *ret_error = TAKE_PTR(x->error);
        extractor_done(x);
        return r;
}

int extract_tar(struct archive *a, int root_fd, const ExtractLimits *limits, ExtractStats *ret_stats,
                char **ret_error) {
        Extractor x = {
                .root_fd = root_fd,
                .cache_fd = -EBADF,
                .limits = limits,
                .privileged = geteuid() == 0,
        };

        return extractor_run(&x, a, extract_entry, ret_stats, ret_error);
}

/* An entry as extract_entry() counts and limits it, its data skipped. */
static int scan_entry(Extractor *x, struct archive *a, struct archive_entry *e) {
        int r;

        if (++x->stats.n_entries > EXTRACT_MAX_ENTRIES)
                return extract_fail(x, -E2BIG, "more than %u entries", EXTRACT_MAX_ENTRIES);
        /* Counted as extract_entry() counts: regular files, not hardlinks. */
        if (archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e)) {
                r = account_size(x, e);
                if (r < 0)
                        return r;
        }
        if (archive_read_data_skip(a) < ARCHIVE_WARN)
                return extract_fail(x, -EBADMSG, "cannot read data: %s", strempty(archive_error_string(a)));
        return 0;
}

int extract_scan_tar(struct archive *a, const ExtractLimits *limits, ExtractStats *ret_stats,
                     char **ret_error) {
        Extractor x = {
                .root_fd = -EBADF,
                .cache_fd = -EBADF,
                .limits = limits,
        };

        return extractor_run(&x, a, scan_entry, ret_stats, ret_error);
}
