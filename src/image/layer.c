/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* How the diff_id is verified in the same pass as the extraction: two libarchive
 * readers are chained. The first ("raw") enables only the decompression filters
 * and the raw format, so archive_read_data() on it yields the uncompressed tar
 * stream; its bytes are hashed as they are handed, through a read callback, to
 * the second reader, which parses them as tar (no filters) and drives
 * extract_tar(). Whatever the tar reader does not consume (end-of-archive
 * padding, trailing bytes) is drained and hashed afterwards, so the digest covers
 * the whole uncompressed stream, exactly like a diff_id. No second read of the
 * blob, no temp file, no thread. */

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "extract.h"
#include "fs-util.h"
#include "layer.h"
#include "log.h"
#include "strv.h"

#define IN_SET_COMPRESSION(c, a, b) ((c) == (a) || (c) == (b))
#define IN_SET_ERRNO(e, a, b) ((e) == (a) || (e) == (b))

#define STREAM_BUFFER_SIZE (1024U * 1024U)
#define SHA256_HEX_LEN 64U

struct LayerStore {
        char *path;   /* <data>/layers/sha256 */
        int dir_fd;
        bool sync;
        ImageLimits limits;
};

int layer_compression_from_media_type(const char *media_type) {
        static const struct {
                const char *type;
                LayerCompression c;
        } table[] = {
                { "application/vnd.oci.image.layer.v1.tar",                         LAYER_COMPRESSION_NONE },
                { "application/vnd.oci.image.layer.v1.tar+gzip",                    LAYER_COMPRESSION_GZIP },
                { "application/vnd.oci.image.layer.v1.tar+zstd",                    LAYER_COMPRESSION_ZSTD },
                { "application/vnd.oci.image.layer.nondistributable.v1.tar",        LAYER_COMPRESSION_NONE },
                { "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",   LAYER_COMPRESSION_GZIP },
                { "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",   LAYER_COMPRESSION_ZSTD },
                { "application/vnd.docker.image.rootfs.diff.tar",                   LAYER_COMPRESSION_NONE },
                { "application/vnd.docker.image.rootfs.diff.tar.gzip",              LAYER_COMPRESSION_GZIP },
                { "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",      LAYER_COMPRESSION_GZIP },
        };

        if (isempty(media_type))
                return LAYER_COMPRESSION_AUTO;
        FOREACH_ARRAY(t, table, ELEMENTSOF(table))
                if (streq(t->type, media_type))
                        return t->c;
        return -EPROTONOSUPPORT;
}

bool layer_diff_id_is_valid(const char *diff_id) {
        const char *h;

        if (!diff_id)
                return false;
        h = startswith(diff_id, "sha256:");
        if (!h || strlen(h) != SHA256_HEX_LEN)
                return false;
        for (const char *c = h; *c; c++)
                if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
                        return false;
        return true;
}

static int random_suffix(char ret[static 17]) {
        uint8_t b[8];

        if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b))
                return -errno ?: -EIO;
        for (unsigned i = 0; i < sizeof(b); i++)
                sprintf(ret + 2 * i, "%02x", b[i]);
        return 0;
}

/* Temp dirs are locked by their owner for its lifetime; an unlocked one belongs
 * to a process that died. */
static void remove_stale(LayerStore *s) {
        _cleanup_close_ int fd = -EBADF;
        DIR *d;

        fd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return;
        d = fdopendir(TAKE_FD(fd));
        if (!d)
                return;
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_close_ int tfd = -EBADF;
                int r;

                if (!startswith(de->d_name, ".tmp-") && !startswith(de->d_name, ".rm-"))
                        continue;
                tfd = openat(s->dir_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (tfd < 0)
                        continue;
                if (flock(tfd, LOCK_EX | LOCK_NB) < 0)
                        continue;  /* alive */
                r = rm_rf_at(s->dir_fd, de->d_name);
                log_debug("Removed stale layer temp dir %s: %s", de->d_name, r < 0 ? strerror(-r) : "ok");
        }
        closedir(d);
}

LayerStore *layer_store_free(LayerStore *s) {
        if (!s)
                return NULL;
        safe_close(s->dir_fd);
        free(s->path);
        free(s);
        return NULL;
}

int layer_store_open(const char *data_dir, LayerStore **ret) {
        _cleanup_(layer_store_freep) LayerStore *s = NULL;
        _cleanup_close_ int data_fd = -EBADF, layers_fd = -EBADF;

        if (isempty(data_dir) || data_dir[0] != '/')
                return -EINVAL;

        s = calloc(1, sizeof(LayerStore));
        if (!s)
                return -ENOMEM;
        s->dir_fd = -EBADF;
        s->sync = true;
        s->limits = IMAGE_LIMITS_NONE;
        if (asprintf(&s->path, "%s/layers/sha256", streq(data_dir, "/") ? "" : data_dir) < 0) {
                s->path = NULL;
                return -ENOMEM;
        }

        data_fd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (data_fd < 0)
                return -errno;
        /* 0700: layers hold setuid binaries that host users must not reach. */
        if (mkdirat(data_fd, "layers", 0700) < 0 && errno != EEXIST)
                return -errno;
        layers_fd = openat(data_fd, "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (layers_fd < 0)
                return -errno;
        if (mkdirat(layers_fd, "sha256", 0700) < 0 && errno != EEXIST)
                return -errno;
        s->dir_fd = openat(layers_fd, "sha256", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s->dir_fd < 0)
                return -errno;

        remove_stale(s);
        *ret = TAKE_PTR(s);
        return 0;
}

void layer_store_set_sync(LayerStore *s, bool b) {
        s->sync = b;
}

void layer_store_set_limits(LayerStore *s, const ImageLimits *l) {
        s->limits = l ? *l : IMAGE_LIMITS_NONE;
}

void layer_store_get_limits(LayerStore *s, ImageLimits *ret) {
        *ret = s->limits;
}

int layer_store_has(LayerStore *s, const char *diff_id) {
        struct stat st;

        if (!layer_diff_id_is_valid(diff_id))
                return -EINVAL;
        if (fstatat(s->dir_fd, diff_id + strlen("sha256:"), &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        return S_ISDIR(st.st_mode);
}

int layer_store_root_path(LayerStore *s, const char *diff_id, char **ret_path) {
        char *p;
        int r;

        r = layer_store_has(s, diff_id);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        if (asprintf(&p, "%s/%s/root", s->path, diff_id + strlen("sha256:")) < 0)
                return -ENOMEM;
        *ret_path = p;
        return 0;
}

int layer_store_size(LayerStore *s, const char *diff_id, uint64_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        char path[SHA256_HEX_LEN + 16], buf[256];
        const char *v;
        ssize_t n;
        uint64_t size;

        if (!layer_diff_id_is_valid(diff_id))
                return -EINVAL;
        snprintf(path, sizeof(path), "%s/info", diff_id + strlen("sha256:"));
        fd = openat(s->dir_fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        v = startswith(buf, "size=");
        if (!v || sscanf(v, "%" SCNu64, &size) != 1)
                return -EBADMSG;
        *ret_size = size;
        return 0;
}

int layer_store_list(LayerStore *s, char ***ret_diff_ids) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_close_ int fd = -EBADF;
        DIR *d;
        int r = 0;

        fd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(TAKE_FD(fd));
        if (!d)
                return -errno;
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_free_ char *id = NULL;

                if (asprintf(&id, "sha256:%s", de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (!layer_diff_id_is_valid(id))
                        continue;
                r = strv_consume(&l, TAKE_PTR(id));
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret_diff_ids = TAKE_PTR(l);
        return 0;
}

/* Creates and locks a fresh temp dir "<prefix><hex>-<random>" in the store. */
static int make_locked_temp(LayerStore *s, const char *prefix, const char *hex,
                            char **ret_name, int *ret_fd) {
        for (unsigned attempt = 0; attempt < 8; attempt++) {
                _cleanup_close_ int fd = -EBADF;
                _cleanup_free_ char *name = NULL;
                char rnd[17];
                int r;

                r = random_suffix(rnd);
                if (r < 0)
                        return r;
                if (asprintf(&name, "%s%s-%s", prefix, hex, rnd) < 0)
                        return -ENOMEM;
                if (mkdirat(s->dir_fd, name, 0700) < 0) {
                        if (errno == EEXIST)
                                continue;
                        return -errno;
                }
                fd = openat(s->dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        continue;  /* removed by another store's stale cleanup */
                if (flock(fd, LOCK_EX) < 0)
                        return -errno;
                /* Between mkdirat() and flock() a concurrent layer_store_open()
                 * may have taken it for stale and removed it: check it is ours. */
                if (faccessat(fd, ".", F_OK, 0) < 0 || fstatat(s->dir_fd, name, &(struct stat){}, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                *ret_name = TAKE_PTR(name);
                *ret_fd = TAKE_FD(fd);
                return 0;
        }
        return -EBUSY;
}

typedef struct Stream {
        struct archive *raw;  /* decompressor */
        EVP_MD_CTX *md;
        uint8_t *buf;
        uint64_t total;
        const bool *cancel;   /* set by another thread: stop at the next buffer */
        bool failed;
} Stream;

static la_ssize_t stream_read(struct archive *tar, void *userdata, const void **ret_buf) {
        Stream *st = userdata;
        la_ssize_t n;

        if (st->cancel && __atomic_load_n(st->cancel, __ATOMIC_RELAXED)) {
                st->failed = true;
                archive_set_error(tar, ECANCELED, "cancelled");
                return -1;
        }
        n = archive_read_data(st->raw, st->buf, STREAM_BUFFER_SIZE);
        if (n < 0) {
                st->failed = true;
                archive_set_error(tar, EIO, "decompression failed: %s",
                                  strempty(archive_error_string(st->raw)));
                return -1;
        }
        if (n > 0 && EVP_DigestUpdate(st->md, st->buf, (size_t) n) != 1) {
                st->failed = true;
                archive_set_error(tar, EIO, "hashing failed");
                return -1;
        }
        st->total += (uint64_t) n;
        *ret_buf = st->buf;
        return n;
}

static int open_decompressor(int fd, LayerCompression c, struct archive **ret, char **ret_error) {
        struct archive *a;
        struct archive_entry *e;
        int r;

        a = archive_read_new();
        if (!a)
                return -ENOMEM;
        if (IN_SET_COMPRESSION(c, LAYER_COMPRESSION_AUTO, LAYER_COMPRESSION_GZIP) &&
            archive_read_support_filter_gzip(a) < ARCHIVE_WARN)
                goto fail;
        if (IN_SET_COMPRESSION(c, LAYER_COMPRESSION_AUTO, LAYER_COMPRESSION_ZSTD) &&
            archive_read_support_filter_zstd(a) < ARCHIVE_WARN)
                goto fail;
        if (archive_read_support_format_raw(a) != ARCHIVE_OK)
                goto fail;
        if (archive_read_open_fd(a, fd, STREAM_BUFFER_SIZE) != ARCHIVE_OK)
                goto fail;
        r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF) {
                archive_read_free(a);
                if (ret_error)
                        *ret_error = strdup("layer blob is empty");
                return -EBADMSG;
        }
        if (r < ARCHIVE_WARN)
                goto fail;
        *ret = a;
        return 0;

fail:
        if (ret_error && asprintf(ret_error, "cannot decompress layer: %s",
                                  strempty(archive_error_string(a))) < 0)
                *ret_error = NULL;
        archive_read_free(a);
        return -EBADMSG;
}

static int write_info(int dir_fd, const ExtractStats *stats) {
        _cleanup_close_ int fd = -EBADF;
        char buf[128];
        int n;

        n = snprintf(buf, sizeof(buf), "size=%" PRIu64 "\nentries=%" PRIu64 "\n",
                     stats->n_bytes, stats->n_entries);
        fd = openat(dir_fd, "info", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        if (write(fd, buf, (size_t) n) != n)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

static int set_error(char **ret_error, int r, const char *format, ...) _printf_(3, 4);
static int set_error(char **ret_error, int r, const char *format, ...) {
        va_list ap;

        if (!ret_error || *ret_error)
                return r;
        errno = -r;
        va_start(ap, format);
        if (vasprintf(ret_error, format, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return r;
}

/* Extracts into tmp_fd/root (or, with tmp_fd < 0, only reads the entries)
 * and verifies the digest. */
static int stream_layer(int blob_fd, LayerCompression c, const char *diff_id, int tmp_fd,
                        const ExtractLimits *limits, const bool *cancel, ExtractStats *stats,
                        char **ret_error) {
        _cleanup_close_ int root_fd = -EBADF;
        _cleanup_free_ uint8_t *buf = NULL;
        struct archive *tar = NULL;
        Stream st = {};
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned md_len = 0;
        char hex[2 * EVP_MAX_MD_SIZE + 1];
        la_ssize_t n;
        int r;

        if (tmp_fd >= 0) {
                if (mkdirat(tmp_fd, "root", 0755) < 0)
                        return set_error(ret_error, -errno, "cannot create layer directory: %m");
                root_fd = openat(tmp_fd, "root", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (root_fd < 0)
                        return set_error(ret_error, -errno, "cannot open layer directory: %m");
                if (fchmod(root_fd, 0755) < 0)
                        return set_error(ret_error, -errno, "cannot set layer directory mode: %m");
        }

        buf = malloc(STREAM_BUFFER_SIZE);
        st.buf = buf;
        st.cancel = cancel;
        st.md = EVP_MD_CTX_new();
        if (!buf || !st.md) {
                r = -ENOMEM;
                goto finish;
        }
        if (EVP_DigestInit_ex(st.md, EVP_sha256(), NULL) != 1) {
                r = set_error(ret_error, -EIO, "cannot initialize sha256");
                goto finish;
        }

        r = open_decompressor(blob_fd, c, &st.raw, ret_error);
        if (r < 0)
                goto finish;

        tar = archive_read_new();
        if (!tar) {
                r = -ENOMEM;
                goto finish;
        }
        if (archive_read_support_format_tar(tar) != ARCHIVE_OK ||
            archive_read_open(tar, &st, NULL, stream_read, NULL) != ARCHIVE_OK) {
                r = set_error(ret_error, -EBADMSG, "layer is not a tar archive: %s",
                              strempty(archive_error_string(tar)));
                goto finish;
        }

        if (root_fd >= 0)
                r = extract_tar(tar, root_fd, limits, stats, ret_error);
        else
                r = extract_scan_tar(tar, limits, stats, ret_error);
        if (r < 0)
                goto finish;

        /* The digest covers the whole uncompressed stream, tar padding and all. */
        while ((n = archive_read_data(st.raw, buf, STREAM_BUFFER_SIZE)) > 0)
                if (EVP_DigestUpdate(st.md, buf, (size_t) n) != 1) {
                        n = -1;
                        break;
                }
        if (n < 0) {
                r = set_error(ret_error, -EBADMSG, "cannot decompress layer: %s",
                              strempty(archive_error_string(st.raw)));
                goto finish;
        }
        if (EVP_DigestFinal_ex(st.md, md, &md_len) != 1) {
                r = set_error(ret_error, -EIO, "cannot finish sha256");
                goto finish;
        }
        for (unsigned i = 0; i < md_len; i++)
                sprintf(hex + 2 * i, "%02x", md[i]);
        if (!streq(hex, diff_id + strlen("sha256:"))) {
                r = set_error(ret_error, -EBADMSG,
                              "layer content does not match its diff_id %s (got sha256:%s)",
                              diff_id, hex);
                goto finish;
        }
        r = 0;

finish:
        if (r < 0 && cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED))
                r = -ECANCELED;
        if (tar)
                archive_read_free(tar);
        if (st.raw)
                archive_read_free(st.raw);
        EVP_MD_CTX_free(st.md);
        return r;
}

/* The cap for this layer: MaxUnpackedLayerSize=, or what MaxImageSize= leaves
 * after the image's lower layers, whichever is smaller; `exceeded` says which. */
static void layer_limits(const ImageLimits *l, uint64_t image_unpacked, ExtractLimits *ret,
                         char exceeded[static 128]) {
        char v[IMAGE_SIZE_STR_MAX];
        uint64_t left = l->max_image_size == IMAGE_SIZE_INFINITY ? IMAGE_SIZE_INFINITY :
                        l->max_image_size - MIN(image_unpacked, l->max_image_size);

        if (left < l->max_unpacked_layer_size) {
                snprintf(exceeded, 128, "brings the image past MaxImageSize=%s unpacked",
                         image_size_format(l->max_image_size, v));
                ret->max_bytes = left;
        } else {
                snprintf(exceeded, 128, "unpacks to more than MaxUnpackedLayerSize=%s",
                         image_size_format(l->max_unpacked_layer_size, v));
                ret->max_bytes = l->max_unpacked_layer_size;
        }
        ret->exceeded = exceeded;
        ret->free_space = l;
}

int layer_store_unpack_image(LayerStore *s, int blob_fd, const char *media_type, const char *diff_id,
                             uint64_t image_unpacked, uint64_t *ret_unpacked, char **ret_error) {
        _cleanup_free_ char *tmp = NULL, *error = NULL;
        _cleanup_close_ int tmp_fd = -EBADF;
        ExtractLimits limits;
        char exceeded[128];
        const char *hex;
        ExtractStats stats = {};
        int c, r;

        if (!layer_diff_id_is_valid(diff_id))
                return set_error(ret_error, -EINVAL, "invalid diff_id '%s'", strempty(diff_id));
        hex = diff_id + strlen("sha256:");
        c = layer_compression_from_media_type(media_type);
        if (c < 0)
                return set_error(ret_error, c, "unsupported layer media type '%s'", media_type);

        r = layer_store_has(s, diff_id);
        if (r < 0)
                return set_error(ret_error, r, "cannot check layer %s: %m", diff_id);
        if (r > 0) {
                if (ret_unpacked && layer_store_size(s, diff_id, ret_unpacked) < 0)
                        *ret_unpacked = 0;
                return 1;
        }

        r = image_limits_check_free(&s->limits, s->dir_fd, 0, "unpacking", &error);
        if (r < 0) {
                if (ret_error)
                        *ret_error = TAKE_PTR(error);
                return r;
        }
        layer_limits(&s->limits, image_unpacked, &limits, exceeded);

        r = make_locked_temp(s, ".tmp-", hex, &tmp, &tmp_fd);
        if (r < 0)
                return set_error(ret_error, r, "cannot create temp dir for layer %s: %m", diff_id);

        r = stream_layer(blob_fd, (LayerCompression) c, diff_id, tmp_fd, &limits, NULL, &stats, &error);
        if (r >= 0) {
                r = write_info(tmp_fd, &stats);
                if (r < 0)
                        (void) set_error(&error, r, "cannot write layer info: %m");
        }
        /* Flush before the rename so that after a power loss a visible layer is a
         * complete one. */
        if (r >= 0 && s->sync && syncfs(tmp_fd) < 0)
                r = set_error(&error, -errno, "cannot sync layer: %m");
        if (r >= 0 && renameat2(s->dir_fd, tmp, s->dir_fd, hex, RENAME_NOREPLACE) < 0) {
                if (IN_SET_ERRNO(errno, EEXIST, ENOTEMPTY))
                        r = 1;  /* someone else won the race: theirs is as good */
                else
                        r = set_error(&error, -errno, "cannot move layer into place: %m");
        }
        if (r != 0) {
                (void) rm_rf_at(s->dir_fd, tmp);
                if (r < 0) {
                        log_debug("Unpacking layer %s failed: %s", diff_id, strempty(error));
                        if (ret_error)
                                *ret_error = TAKE_PTR(error);
                        return r;
                }
        }
        if (s->sync)
                (void) fsync(s->dir_fd);
        log_debug("Unpacked layer %s: %" PRIu64 " entries, %" PRIu64 " bytes.",
                  diff_id, stats.n_entries, stats.n_bytes);
        if (ret_unpacked)
                *ret_unpacked = stats.n_bytes;
        return r;
}

int layer_store_unpack(LayerStore *s, int blob_fd, const char *media_type,
                       const char *diff_id, char **ret_error) {
        return layer_store_unpack_image(s, blob_fd, media_type, diff_id, 0, NULL, ret_error);
}

int layer_scan(int blob_fd, const char *media_type, const char *diff_id, const ImageLimits *l,
               uint64_t image_unpacked, const bool *cancel, uint64_t *ret_unpacked, char **ret_error) {
        ExtractLimits limits;
        ExtractStats stats = {};
        char exceeded[128];
        int c, r;

        if (!layer_diff_id_is_valid(diff_id))
                return set_error(ret_error, -EINVAL, "invalid diff_id '%s'", strempty(diff_id));
        c = layer_compression_from_media_type(media_type);
        if (c < 0)
                return set_error(ret_error, c, "unsupported layer media type '%s'", media_type);
        layer_limits(l ?: &IMAGE_LIMITS_NONE, image_unpacked, &limits, exceeded);
        limits.free_space = NULL;

        r = stream_layer(blob_fd, (LayerCompression) c, diff_id, -EBADF, &limits, cancel, &stats, ret_error);
        if (r < 0)
                return r;
        if (ret_unpacked)
                *ret_unpacked = stats.n_bytes;
        return 0;
}

int layer_store_pull_hook(void *userdata, int blob_fd, const char *media_type,
                          const char *digest, const char *diff_id, char **ret_error) {
        int r;

        r = layer_store_unpack(userdata, blob_fd, media_type, diff_id, ret_error);
        if (r < 0)
                log_debug("Layer %s (blob %s) refused.", strempty(diff_id), strempty(digest));
        return MIN(r, 0);
}

int layer_store_remove(LayerStore *s, const char *diff_id) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *hex;
        char rnd[17];
        int r;

        if (!layer_diff_id_is_valid(diff_id))
                return -EINVAL;
        hex = diff_id + strlen("sha256:");

        /* The layer vanishes in one rename; a crash mid-removal leaves only an
         * unlocked ".rm-" dir, which the next layer_store_open() removes. */
        r = random_suffix(rnd);
        if (r < 0)
                return r;
        if (asprintf(&tmp, ".rm-%s-%s", hex, rnd) < 0)
                return -ENOMEM;
        if (renameat2(s->dir_fd, hex, s->dir_fd, tmp, RENAME_NOREPLACE) < 0)
                return errno == ENOENT ? 0 : -errno;
        fd = openat(s->dir_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
                (void) flock(fd, LOCK_EX);
        r = rm_rf_at(s->dir_fd, tmp);
        return r < 0 ? r : 1;
}

int layer_store_prune(LayerStore *s, char * const *keep, uint64_t *ret_freed) {
        _cleanup_strv_free_ char **all = NULL;
        uint64_t freed = 0;
        int r, n = 0;

        r = layer_store_list(s, &all);
        if (r < 0)
                return r;
        STRV_FOREACH(id, all) {
                uint64_t size = 0;

                if (strv_contains(keep, *id))
                        continue;
                (void) layer_store_size(s, *id, &size);
                r = layer_store_remove(s, *id);
                if (r < 0)
                        return r;
                if (r > 0) {
                        freed += size;
                        n++;
                }
        }
        if (ret_freed)
                *ret_freed = freed;
        return n;
}
