/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "daemon/volumes.h"
#include "fs-util.h"
#include "spec/pod.h"
#include "thread-job.h"

void volume_info_array_free(VolumeInfo *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(v[i].pod);
                free(v[i].name);
        }
        free(v);
}

static uint64_t tree_size(int dir_fd, dev_t dev, unsigned depth) {
        _cleanup_close_ int fd = -EBADF;
        uint64_t sum = 0;
        struct dirent *de;
        DIR *d;

        /* Deep trees are counted as far as a sane depth; sizes are informational. */
        if (depth > 256)
                return 0;
        fd = dup(dir_fd);
        if (fd < 0)
                return 0;
        d = fdopendir(fd);
        if (!d)
                return 0;
        fd = -EBADF;
        while ((de = readdir(d))) {
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
                        continue;
                if (S_ISREG(st.st_mode))
                        sum += (uint64_t) st.st_size;
                else if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int sub = openat(dirfd(d), de->d_name,
                                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                sum += tree_size(sub, dev, depth + 1);
                }
        }
        closedir(d);
        return sum;
}

static int append_pod_volumes(int root_fd, const char *pod, VolumeInfo **v, size_t *n) {
        _cleanup_close_ int pod_fd = openat(root_fd, pod, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct dirent *de;
        DIR *d;

        if (pod_fd < 0)
                return 0;
        d = fdopendir(pod_fd);
        if (!d)
                return -errno;
        pod_fd = -EBADF;
        while ((de = readdir(d))) {
                _cleanup_close_ int vfd = -EBADF;
                struct stat st;
                VolumeInfo *a;

                if (!pod_name_is_valid(de->d_name))
                        continue;
                vfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (vfd < 0 || fstat(vfd, &st) < 0)
                        continue;
                a = realloc(*v, (*n + 1) * sizeof(VolumeInfo));
                if (!a) {
                        closedir(d);
                        return -ENOMEM;
                }
                *v = a;
                a[*n] = (VolumeInfo) {
                        .pod = strdup(pod),
                        .name = strdup(de->d_name),
                        .size = tree_size(vfd, st.st_dev, 0),
                };
                if (!a[*n].pod || !a[*n].name) {
                        free(a[*n].pod);
                        free(a[*n].name);
                        closedir(d);
                        return -ENOMEM;
                }
                (*n)++;
        }
        closedir(d);
        return 0;
}

int volumes_list(const char *data_dir, VolumeInfo **ret, size_t *ret_n) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        VolumeInfo *v = NULL;
        struct dirent *de;
        size_t n = 0;
        DIR *d;
        int r = 0;

        if (asprintf(&path, "%s/volumes", data_dir) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno != ENOENT)
                        return -errno;
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -EBADF;
        while (r >= 0 && (de = readdir(d)))
                if (pod_name_is_valid(de->d_name))
                        r = append_pod_volumes(dirfd(d), de->d_name, &v, &n);
        closedir(d);
        if (r < 0) {
                volume_info_array_free(v, n);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

struct VolumesListJob {
        ThreadJob *thread;
        char *data_dir;
        volumes_list_handler_t cb;
        void *userdata;
        bool cancelled;
        /* Written by the thread, read after the join. */
        int result;
        VolumeInfo *v;
        size_t n;
};

static void volumes_list_job_free(VolumesListJob *j) {
        if (!j)
                return;
        thread_job_free(j->thread);
        free(j->data_dir);
        volume_info_array_free(j->v, j->n);
        free(j);
}

static void volumes_list_work(void *userdata) {
        VolumesListJob *j = userdata;

        j->result = volumes_list(j->data_dir, &j->v, &j->n);
}

static void on_volumes_listed(void *userdata) {
        VolumesListJob *j = userdata;

        if (!j->cancelled) {
                j->cb(j->result, TAKE_PTR(j->v), j->n, j->userdata);
                j->n = 0;
        }
        volumes_list_job_free(j);
}

void volumes_list_job_cancel(VolumesListJob *j) {
        if (j)
                j->cancelled = true;    /* freed by on_volumes_listed once the thread is done */
}

int volumes_list_async(sd_event *event, const char *data_dir, volumes_list_handler_t cb, void *userdata,
                       VolumesListJob **ret) {
        VolumesListJob *j;
        int r;

        j = calloc(1, sizeof(VolumesListJob));
        if (!j)
                return -ENOMEM;
        j->cb = cb;
        j->userdata = userdata;
        j->data_dir = strdup(data_dir);
        if (!j->data_dir) {
                volumes_list_job_free(j);
                return -ENOMEM;
        }
        r = thread_job_start(event, volumes_list_work, on_volumes_listed, j, &j->thread);
        if (r < 0) {
                volumes_list_job_free(j);
                return r;
        }
        if (ret)
                *ret = j;
        return 0;
}

int volumes_remove_pod(RmRfQueue *trash, const char *data_dir, const char *pod) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!pod_name_is_valid(pod))
                return -EINVAL;
        if (asprintf(&path, "%s/volumes", data_dir) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        r = rm_rf_queue_add(trash, fd, pod);
        if (r > 0 && fsync(fd) < 0)
                return -errno;
        return r;
}
