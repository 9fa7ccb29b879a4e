/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Test and benchmark driver for the layer store and root filesystems (not
 * installed):
 *   layer-tool unpack [--no-sync] DATA_DIR DIFF_ID BLOB [MEDIA_TYPE]
 *   layer-tool path DATA_DIR DIFF_ID
 *   layer-tool remove DATA_DIR DIFF_ID
 *   layer-tool mount DATA_DIR SCRATCH_DIR TARGET DIFF_ID...   (lowest first)
 * BLOB may be a pipe. Exit 0 on success, 1 on failure (message on stderr). */

#include <fcntl.h>
#include <inttypes.h>

#include "image/layer.h"
#include "image/rootfs.h"
#include "log.h"
#include "shim/overlay.h"
#include "strv.h"

static int do_unpack(int argc, char **argv) {
        _cleanup_(layer_store_freep) LayerStore *s = NULL;
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int fd = -EBADF;
        bool sync = true;
        int r;

        if (argc > 0 && streq(argv[0], "--no-sync")) {
                sync = false;
                argc--, argv++;
        }
        if (argc < 3 || argc > 4)
                return log_error_errno(EINVAL, "usage: unpack [--no-sync] DATA_DIR DIFF_ID BLOB [MEDIA_TYPE]");

        r = layer_store_open(argv[0], &s);
        if (r < 0)
                return log_error_errno(r, "Failed to open layer store in %s: %m", argv[0]);
        layer_store_set_sync(s, sync);
        fd = open(argv[2], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", argv[2]);
        r = layer_store_unpack(s, fd, argc > 3 ? argv[3] : NULL, argv[1], &error);
        if (r < 0)
                return log_error_errno(r, "Failed to unpack %s: %s", argv[1], strempty(error));
        printf("%s\n", r > 0 ? "present" : "unpacked");
        return 0;
}

static int do_path(int argc, char **argv) {
        _cleanup_(layer_store_freep) LayerStore *s = NULL;
        _cleanup_free_ char *p = NULL;
        int r;

        if (argc != 2)
                return log_error_errno(EINVAL, "usage: path DATA_DIR DIFF_ID");
        r = layer_store_open(argv[0], &s);
        if (r < 0)
                return log_error_errno(r, "Failed to open layer store in %s: %m", argv[0]);
        r = layer_store_root_path(s, argv[1], &p);
        if (r < 0)
                return log_error_errno(r, "Layer %s: %m", argv[1]);
        printf("%s\n", p);
        return 0;
}

static int do_remove(int argc, char **argv) {
        _cleanup_(layer_store_freep) LayerStore *s = NULL;
        int r;

        if (argc != 2)
                return log_error_errno(EINVAL, "usage: remove DATA_DIR DIFF_ID");
        r = layer_store_open(argv[0], &s);
        if (r < 0)
                return log_error_errno(r, "Failed to open layer store in %s: %m", argv[0]);
        r = layer_store_remove(s, argv[1]);
        if (r < 0)
                return log_error_errno(r, "Failed to remove %s: %m", argv[1]);
        return 0;
}

static int do_mount(int argc, char **argv) {
        _cleanup_(layer_store_freep) LayerStore *s = NULL;
        _cleanup_free_ char *upper = NULL, *work = NULL, *error = NULL;
        _cleanup_strv_free_ char **dirs = NULL;
        int r;

        if (argc < 4)
                return log_error_errno(EINVAL, "usage: mount DATA_DIR SCRATCH_DIR TARGET DIFF_ID...");
        r = layer_store_open(argv[0], &s);
        if (r < 0)
                return log_error_errno(r, "Failed to open layer store in %s: %m", argv[0]);
        for (int i = 3; i < argc; i++) {
                char *p;

                r = layer_store_root_path(s, argv[i], &p);
                if (r < 0)
                        return log_error_errno(r, "Layer %s: %m", argv[i]);
                r = strv_consume(&dirs, p);
                if (r < 0)
                        return log_oom();
        }
        r = rootfs_prepare_scratch(argv[1], &upper, &work, &error);
        if (r < 0)
                return log_error_errno(r, "%s", strempty(error));
        r = overlay_mount(dirs, upper, work, argv[2], &error);
        if (r < 0)
                return log_error_errno(r, "%s", strempty(error));
        return 0;
}

/* What a pull does with a downloaded layer under [Images] limits (pull.h):
 * decompress, hash and read the headers, write nothing. */
static int do_scan(int argc, char **argv) {
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int fd = -EBADF;
        uint64_t size = 0;
        int r;

        if (argc < 2)
                return log_error_errno(EINVAL, "usage: scan DIFF_ID BLOB [MEDIA_TYPE]");
        fd = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", argv[1]);
        r = layer_scan(fd, argc > 2 ? argv[2] : NULL, argv[0], NULL, 0, NULL, &size, &error);
        if (r < 0)
                return log_error_errno(r, "Failed to scan %s: %s", argv[0], strempty(error));
        printf("%" PRIu64 "\n", size);
        return 0;
}

int main(int argc, char **argv) {
        int r;

        log_set_prefix("layer-tool");
        log_parse_environment();
        if (argc < 2)
                r = log_error_errno(EINVAL, "usage: layer-tool unpack|scan|path|remove|mount ...");
        else if (streq(argv[1], "unpack"))
                r = do_unpack(argc - 2, argv + 2);
        else if (streq(argv[1], "scan"))
                r = do_scan(argc - 2, argv + 2);
        else if (streq(argv[1], "path"))
                r = do_path(argc - 2, argv + 2);
        else if (streq(argv[1], "remove"))
                r = do_remove(argc - 2, argv + 2);
        else if (streq(argv[1], "mount"))
                r = do_mount(argc - 2, argv + 2);
        else
                r = log_error_errno(EINVAL, "Unknown command %s", argv[1]);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
