/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "blobstore.h"
#include "manifest.h"
#include "registry-json.h"
#include "spec/reference.h"
#include "strv.h"

#define RECORD_MAX_SIZE (1024U * 1024U)

struct BlobStore {
        int images_fd;
        int blobs_fd;      /* images/blobs/sha256 */
        int tmp_fd;        /* images/tmp */
        int records_fd;    /* images/records/sha256 */
        int tags_fd;       /* images/tags */
};

static int mkdir_open_at(int dfd, const char *name, int *ret_fd) {
        int fd;

        if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(dfd, name, O_RDONLY|O_DIRECTORY|O_CLOEXEC|O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

/* Files in tmp/ belong to pulls of an earlier life of the daemon: nothing uses
 * them, nothing will. */
static void sweep_tmp(int tmp_fd) {
        _cleanup_close_ int fd = openat(tmp_fd, ".", O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        DIR *d;
        struct dirent *de;

        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d)
                return;
        TAKE_FD(fd);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        (void) unlinkat(tmp_fd, de->d_name, 0);
        closedir(d);
}

int blobstore_open(const char *data_dir, BlobStore **ret) {
        _cleanup_close_ int data_fd = -EBADF, blobs = -EBADF, records = -EBADF;
        _cleanup_(blobstore_freep) BlobStore *s = NULL;
        int r;

        if (!data_dir)
                return -EINVAL;
        if (mkdir(data_dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        data_fd = open(data_dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (data_fd < 0)
                return -errno;

        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->images_fd = s->blobs_fd = s->tmp_fd = s->records_fd = s->tags_fd = -EBADF;

        if ((r = mkdir_open_at(data_fd, "images", &s->images_fd)) < 0 ||
            (r = mkdir_open_at(s->images_fd, "blobs", &blobs)) < 0 ||
            (r = mkdir_open_at(blobs, "sha256", &s->blobs_fd)) < 0 ||
            (r = mkdir_open_at(s->images_fd, "tmp", &s->tmp_fd)) < 0 ||
            (r = mkdir_open_at(s->images_fd, "records", &records)) < 0 ||
            (r = mkdir_open_at(records, "sha256", &s->records_fd)) < 0 ||
            (r = mkdir_open_at(s->images_fd, "tags", &s->tags_fd)) < 0)
                return r;

        sweep_tmp(s->tmp_fd);
        *ret = TAKE_PTR(s);
        return 0;
}

BlobStore *blobstore_free(BlobStore *s) {
        if (!s)
                return NULL;
        safe_close(s->images_fd);
        safe_close(s->blobs_fd);
        safe_close(s->tmp_fd);
        safe_close(s->records_fd);
        safe_close(s->tags_fd);
        free(s);
        return NULL;
}

int blobstore_images_fd(BlobStore *s) {
        return s->images_fd;
}

/* The only way a digest becomes a file name (CVE-2024-3727). */
static const char *digest_hex(const char *digest) {
        if (!digest || !digest_is_valid(digest))
                return NULL;
        return digest + strlen("sha256:");
}

bool blobstore_has(BlobStore *s, const char *digest) {
        const char *hex = digest_hex(digest);
        struct stat st;

        return hex && fstatat(s->blobs_fd, hex, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISREG(st.st_mode);
}

int blobstore_open_blob(BlobStore *s, const char *digest, int *ret_fd) {
        const char *hex = digest_hex(digest);
        int fd;

        if (!hex)
                return -EINVAL;
        fd = openat(s->blobs_fd, hex, O_RDONLY|O_CLOEXEC|O_NOFOLLOW|O_NOCTTY);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

static int read_all_fd(int fd, uint64_t max_size, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t n = 0;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((uint64_t) st.st_size > max_size)
                return -EFBIG;
        buf = malloc(st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (n < (size_t) st.st_size) {
                ssize_t k = pread(fd, buf + n, st.st_size - n, n);
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += k;
        }
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = n;
        return 0;
}

int blobstore_read_blob(BlobStore *s, const char *digest, uint64_t max_size, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = blobstore_open_blob(s, digest, &fd);
        if (r < 0)
                return r;
        return read_all_fd(fd, max_size, ret, ret_size);
}

static int random_name(const char *prefix, char **ret) {
        uint8_t b[8];

        if (getrandom(b, sizeof b, 0) != sizeof b)
                return -EIO;
        if (asprintf(ret, "%s%02x%02x%02x%02x%02x%02x%02x%02x", prefix,
                     b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]) < 0)
                return -ENOMEM;
        return 0;
}

int blobstore_temp(BlobStore *s, int *ret_fd, char **ret_name) {
        _cleanup_free_ char *name = NULL;
        int r, fd;

        r = random_name("blob-", &name);
        if (r < 0)
                return r;
        fd = openat(s->tmp_fd, name, O_RDWR|O_CREAT|O_EXCL|O_CLOEXEC|O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        *ret_name = TAKE_PTR(name);
        return 0;
}

void blobstore_discard(BlobStore *s, const char *temp_name) {
        if (temp_name)
                (void) unlinkat(s->tmp_fd, temp_name, 0);
}

static int hash_fd(int fd, char ret[static 72]) {
        _cleanup_free_ uint8_t *buf = NULL;
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned md_len = 0;
        EVP_MD_CTX *ctx;
        off_t off = 0;
        int r = 0;

        buf = malloc(1U << 17);
        ctx = EVP_MD_CTX_new();
        if (!buf || !ctx) {
                EVP_MD_CTX_free(ctx);
                return -ENOMEM;
        }
        if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
                r = -EIO;
                goto finish;
        }
        for (;;) {
                ssize_t k = pread(fd, buf, 1U << 17, off);
                if (k < 0) {
                        r = -errno;
                        goto finish;
                }
                if (k == 0)
                        break;
                EVP_DigestUpdate(ctx, buf, k);
                off += k;
        }
        EVP_DigestFinal_ex(ctx, md, &md_len);
        strcpy(ret, "sha256:");
        for (unsigned i = 0; i < md_len; i++)
                sprintf(ret + 7 + 2 * i, "%02x", md[i]);
finish:
        EVP_MD_CTX_free(ctx);
        return r;
}

int blobstore_commit_verified(BlobStore *s, int fd, const char *temp_name, const char *digest) {
        const char *hex = digest_hex(digest);
        int r;

        if (!hex) {
                blobstore_discard(s, temp_name);
                return -EINVAL;
        }
        /* 0444: a blob is immutable once verified. */
        if (fchmod(fd, 0444) < 0 || fdatasync(fd) < 0) {
                r = -errno;
                blobstore_discard(s, temp_name);
                return r;
        }
        /* A concurrent writer of the same digest wrote identical bytes: replacing
         * is harmless, and readers holding the old file keep their inode. */
        if (renameat(s->tmp_fd, temp_name, s->blobs_fd, hex) < 0) {
                r = -errno;
                blobstore_discard(s, temp_name);
                return r;
        }
        return 0;
}

int blobstore_sync(BlobStore *s) {
        return RET_NERRNO(fsync(s->blobs_fd));
}

int blobstore_commit(BlobStore *s, int fd, const char *temp_name, const char *digest) {
        char actual[72];
        int r;

        r = hash_fd(fd, actual);
        if (r >= 0 && !streq(actual, strempty(digest)))
                r = -EBADMSG;
        if (r < 0) {
                blobstore_discard(s, temp_name);
                return r;
        }
        return blobstore_commit_verified(s, fd, temp_name, digest);
}

int blobstore_put(BlobStore *s, const char *digest, const void *data, size_t size) {
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n = 0;
        int r;

        if (!digest_hex(digest))
                return -EINVAL;
        r = blobstore_temp(s, &fd, &name);
        if (r < 0)
                return r;
        while (n < size) {
                ssize_t k = write(fd, (const char *) data + n, size - n);
                if (k < 0) {
                        r = -errno;
                        blobstore_discard(s, name);
                        return r;
                }
                n += k;
        }
        return blobstore_commit(s, fd, name, digest);
}

/* ---- image records ---- */

static void image_layer_done(ImageLayer *l) {
        free(l->digest);
        free(l->media_type);
        free(l->diff_id);
}

ImageRecord *image_record_free(ImageRecord *r) {
        if (!r)
                return NULL;
        free(r->digest);
        free(r->name);
        free(r->config_digest);
        free(r->os);
        free(r->architecture);
        free(r->variant);
        FOREACH_ARRAY(l, r->layers, r->n_layers)
                image_layer_done(l);
        free(r->layers);
        image_config_free(r->config);
        free(r);
        return NULL;
}

static int write_atomic(int dfd, const char *name, const char *data, size_t size) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n = 0;
        int r;

        r = random_name(".tmp-", &tmp);
        if (r < 0)
                return r;
        fd = openat(dfd, tmp, O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC|O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        while (n < size) {
                ssize_t k = write(fd, data + n, size - n);
                if (k < 0) {
                        r = -errno;
                        goto fail;
                }
                n += k;
        }
        if (fdatasync(fd) < 0 || renameat(dfd, tmp, dfd, name) < 0) {
                r = -errno;
                goto fail;
        }
        return 0;
fail:
        (void) unlinkat(dfd, tmp, 0);
        return r;
}

int image_record_save(BlobStore *s, const ImageRecord *rec) {
        _cleanup_(json_gen_freep) JsonGen *g = NULL;
        const char *hex = digest_hex(rec->digest);
        _cleanup_free_ char *json = NULL;
        size_t len;
        int r;

        if (!hex || !digest_hex(rec->config_digest))
                return -EINVAL;

        g = json_gen_new(0);
        if (!g)
                return -ENOMEM;
        json_gen_map_open(g);
        json_gen_kv_string(g, "digest", rec->digest);
        json_gen_kv_string(g, "name", rec->name);
        json_gen_kv_string(g, "config", rec->config_digest);
        json_gen_kv_string(g, "os", rec->os);
        json_gen_kv_string(g, "architecture", rec->architecture);
        json_gen_kv_string(g, "variant", rec->variant);
        json_gen_kv_integer(g, "size", (long long) rec->size);
        json_gen_kv_integer(g, "pulled_usec", (long long) rec->pulled_usec);
        json_gen_string(g, "layers");
        json_gen_array_open(g);
        FOREACH_ARRAY(l, rec->layers, rec->n_layers) {
                json_gen_map_open(g);
                json_gen_kv_string(g, "digest", l->digest);
                json_gen_kv_string(g, "mediaType", l->media_type);
                json_gen_kv_string(g, "diff_id", l->diff_id);
                json_gen_kv_integer(g, "size", (long long) l->size);
                json_gen_map_close(g);
        }
        json_gen_array_close(g);
        json_gen_map_close(g);

        r = json_gen_finish(g, &json, &len, NULL);
        if (r < 0)
                return r;
        return write_atomic(s->records_fd, hex, json, len);
}

static int dup_field(yajl_val root, const char *key, bool required, char **ret) {
        yajl_val v = json_guard_get(root, key);

        if (!v || YAJL_IS_NULL(v)) {
                *ret = NULL;
                return required ? -EBADMSG : 0;
        }
        if (!json_guard_string(v))
                return -EBADMSG;
        *ret = strdup(json_guard_string(v));
        return *ret ? 0 : -ENOMEM;
}

static int record_load_digest(BlobStore *s, const char *digest, ImageRecord **ret) {
        _cleanup_(image_record_freep) ImageRecord *rec = NULL;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *text = NULL, *cfg = NULL;
        _cleanup_yajl_ yajl_val root = NULL;
        const char *hex = digest_hex(digest);
        yajl_val layers, v;
        size_t len, cfg_len;
        int r;

        if (!hex)
                return -EINVAL;
        fd = openat(s->records_fd, hex, O_RDONLY|O_CLOEXEC|O_NOFOLLOW|O_NOCTTY);
        if (fd < 0)
                return -errno;
        r = read_all_fd(fd, RECORD_MAX_SIZE, &text, &len);
        if (r < 0)
                return r;
        r = registry_json_parse(text, len, &root, NULL);
        if (r < 0)
                return r;

        rec = calloc(1, sizeof *rec);
        if (!rec)
                return -ENOMEM;
        if ((r = dup_field(root, "digest", true, &rec->digest)) < 0 ||
            (r = dup_field(root, "name", false, &rec->name)) < 0 ||
            (r = dup_field(root, "config", true, &rec->config_digest)) < 0 ||
            (r = dup_field(root, "os", false, &rec->os)) < 0 ||
            (r = dup_field(root, "architecture", false, &rec->architecture)) < 0 ||
            (r = dup_field(root, "variant", false, &rec->variant)) < 0)
                return r;
        if (!streq(rec->digest, digest) || !digest_hex(rec->config_digest))
                return -EBADMSG;
        v = json_guard_get(root, "size");
        rec->size = v && YAJL_IS_INTEGER(v) ? (uint64_t) YAJL_GET_INTEGER(v) : 0;
        v = json_guard_get(root, "pulled_usec");
        rec->pulled_usec = v && YAJL_IS_INTEGER(v) ? (uint64_t) YAJL_GET_INTEGER(v) : 0;

        layers = json_guard_get(root, "layers");
        if (!layers || !YAJL_IS_ARRAY(layers) || layers->u.array.len > MANIFEST_MAX_LAYERS)
                return -EBADMSG;
        if (layers->u.array.len > 0) {
                rec->layers = calloc(layers->u.array.len, sizeof(ImageLayer));
                if (!rec->layers)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < layers->u.array.len; i++) {
                yajl_val l = layers->u.array.values[i];
                ImageLayer *il = &rec->layers[rec->n_layers++];

                if ((r = dup_field(l, "digest", true, &il->digest)) < 0 ||
                    (r = dup_field(l, "mediaType", true, &il->media_type)) < 0 ||
                    (r = dup_field(l, "diff_id", true, &il->diff_id)) < 0)
                        return r;
                if (!digest_hex(il->digest) || !digest_hex(il->diff_id))
                        return -EBADMSG;
                v = json_guard_get(l, "size");
                il->size = v && YAJL_IS_INTEGER(v) ? (uint64_t) YAJL_GET_INTEGER(v) : 0;
        }

        r = blobstore_read_blob(s, rec->config_digest, CONFIG_MAX_SIZE, &cfg, &cfg_len);
        if (r < 0)
                return r;
        r = image_config_parse(cfg, cfg_len, &rec->config);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(rec);
        return 0;
}

/* Tag file names: the canonical reference with '/' (never valid in a tag,
 * always present after the domain) replaced by '+' (never valid anywhere in a
 * reference). Anything else is refused rather than escaped. */
static int tag_file_name(const char *name, char **ret) {
        char *f;

        if (isempty(name) || strlen(name) > 250 || name[0] == '.')
                return -EINVAL;
        for (const char *p = name; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:/@", *p))
                        return -EINVAL;
        f = strdup(name);
        if (!f)
                return -ENOMEM;
        for (char *p = f; *p; p++)
                if (*p == '/')
                        *p = '+';
        *ret = f;
        return 0;
}

int image_tag_set(BlobStore *s, const char *name, const char *digest) {
        _cleanup_free_ char *fn = NULL, *line = NULL;
        int r;

        if (!digest_hex(digest))
                return -EINVAL;
        r = tag_file_name(name, &fn);
        if (r < 0)
                return r;
        if (asprintf(&line, "%s\n", digest) < 0)
                return -ENOMEM;
        return write_atomic(s->tags_fd, fn, line, strlen(line));
}

int image_tag_get(BlobStore *s, const char *name, char **ret_digest) {
        _cleanup_free_ char *fn = NULL, *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = tag_file_name(name, &fn);
        if (r < 0)
                return r;
        fd = openat(s->tags_fd, fn, O_RDONLY|O_CLOEXEC|O_NOFOLLOW|O_NOCTTY);
        if (fd < 0)
                return -errno;
        r = read_all_fd(fd, 128, &text, NULL);
        if (r < 0)
                return r;
        text[strcspn(text, "\n")] = 0;
        if (!digest_hex(text))
                return -EBADMSG;
        *ret_digest = TAKE_PTR(text);
        return 0;
}

int image_record_load(BlobStore *s, const char *key, ImageRecord **ret) {
        _cleanup_(image_reference_freep) ImageReference *ref = NULL;
        _cleanup_free_ char *tkey = NULL, *digest = NULL;
        int r;

        if (!key)
                return -EINVAL;
        if (startswith(key, "sha256:"))
                return record_load_digest(s, key, ret);

        r = image_reference_parse(key, &ref, NULL);
        if (r < 0)
                return r;
        r = image_reference_key(ref, &tkey);
        if (r < 0)
                return r;
        r = image_tag_get(s, tkey, &digest);
        if (r == -ENOENT && ref->digest)
                return record_load_digest(s, ref->digest, ret);
        if (r < 0)
                return r;
        return record_load_digest(s, digest, ret);
}

int image_record_list(BlobStore *s, char ***ret_digests) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct dirent *de;
        DIR *d;
        int r = 0;

        fd = openat(s->records_fd, ".", O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        TAKE_FD(fd);

        l = calloc(1, sizeof(char *));
        if (!l) {
                closedir(d);
                return -ENOMEM;
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *dg = NULL;

                if (de->d_name[0] == '.')
                        continue;
                if (asprintf(&dg, "sha256:%s", de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (!digest_is_valid(dg))
                        continue;
                r = strv_consume(&l, TAKE_PTR(dg));
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;
        *ret_digests = TAKE_PTR(l);
        return 0;
}

int blobstore_remove_blob(BlobStore *s, const char *digest) {
        const char *hex = digest_hex(digest);

        if (!hex)
                return -EINVAL;
        if (unlinkat(s->blobs_fd, hex, 0) < 0)
                return errno == ENOENT ? 0 : -errno;
        return 0;
}

/* Tags first: a tag without its record would resolve to nothing, a record
 * without tags is still listed (and can be removed again). */
static int remove_tags_of(BlobStore *s, const char *digest) {
        _cleanup_close_ int fd = -EBADF;
        struct dirent *de;
        DIR *d;
        int r = 0;

        fd = openat(s->tags_fd, ".", O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        TAKE_FD(fd);
        while ((de = readdir(d))) {
                _cleanup_free_ char *text = NULL;
                _cleanup_close_ int tfd = -EBADF;

                if (de->d_name[0] == '.')
                        continue;
                tfd = openat(s->tags_fd, de->d_name, O_RDONLY|O_CLOEXEC|O_NOFOLLOW|O_NOCTTY);
                if (tfd < 0)
                        continue;
                if (read_all_fd(tfd, 128, &text, NULL) < 0)
                        continue;
                text[strcspn(text, "\n")] = 0;
                if (!streq(text, digest))
                        continue;
                if (unlinkat(s->tags_fd, de->d_name, 0) < 0 && errno != ENOENT) {
                        r = -errno;
                        break;
                }
        }
        closedir(d);
        return r;
}

int image_record_remove(BlobStore *s, const char *digest) {
        const char *hex = digest_hex(digest);
        int r;

        if (!hex)
                return -EINVAL;
        r = remove_tags_of(s, digest);
        if (r < 0)
                return r;
        if (unlinkat(s->records_fd, hex, 0) < 0)
                return errno == ENOENT ? 0 : -errno;
        return 1;
}
