/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A static helper copied into test containers (busybox cannot make these
 * calls):
 *   shim-probe syscalls      one "name=RESULT" line per risky syscall
 *   shim-probe fds           the open fds, not counting the one used to list
 *   shim-probe write PATH    "ok" or the errno name
 *   shim-probe read PATH     "bytes=N" or the errno name
 *   shim-probe notify TEXT   TEXT ("\n" escapes a newline) as one datagram to
 *                            $NOTIFY_SOCKET, with an fd of /dev/null attached
 *                            (a listener must close it): "sent" or the errno */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *result(long r) {
        return r < 0 ? strerrorname_np(errno) : "ok";
}

int main(int argc, char *argv[]) {
        if (argc == 2 && strcmp(argv[1], "syscalls") == 0) {
                printf("keyctl=%s\n", result(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)));
                printf("add_key=%s\n", result(syscall(SYS_add_key, "user", "tank", "x", 1, KEY_SPEC_PROCESS_KEYRING)));
                printf("mount=%s\n", result(mount("none", "/tmp", "tmpfs", 0, NULL)));
                printf("umount2=%s\n", result(umount2("/proc", MNT_DETACH)));
                printf("unshare_user=%s\n", result(unshare(CLONE_NEWUSER)));
                printf("unshare_net=%s\n", result(unshare(CLONE_NEWNET)));
                printf("bpf=%s\n", result(syscall(SYS_bpf, 0, NULL, 0)));
                printf("perf_event_open=%s\n", result(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0)));
                printf("userfaultfd=%s\n", result(syscall(SYS_userfaultfd, 0)));
                printf("clone3=%s\n", result(syscall(SYS_clone3, NULL, 0)));
                printf("getpid=%s\n", result(getpid()));
                return 0;
        }
        if (argc == 2 && strcmp(argv[1], "fds") == 0) {
                DIR *d = opendir("/proc/self/fd");
                struct dirent *de;
                if (!d)
                        return perror("opendir"), 1;
                while ((de = readdir(d)))
                        if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
                                printf("%s\n", de->d_name);
                closedir(d);
                return 0;
        }
        if (argc == 3 && strcmp(argv[1], "write") == 0) {
                int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || write(fd, "probe\n", 6) != 6)
                        printf("%s\n", strerrorname_np(errno));
                else
                        printf("ok\n");
                return 0;
        }
        if (argc == 3 && strcmp(argv[1], "read") == 0) {
                char buf[4096];
                long total = 0;
                ssize_t n;
                int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return printf("%s\n", strerrorname_np(errno)), 0;
                while ((n = read(fd, buf, sizeof buf)) > 0)
                        total += n;
                if (n < 0)
                        printf("%s\n", strerrorname_np(errno));
                else
                        printf("bytes=%ld\n", total);
                return 0;
        }
        if (argc == 3 && strcmp(argv[1], "notify") == 0) {
                const char *path = getenv("NOTIFY_SOCKET");
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                char text[8192];
                size_t n = 0;
                union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } control = {};
                struct iovec iov;
                struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov, .msg_iovlen = 1,
                                     .msg_control = &control, .msg_controllen = sizeof control };
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                int fd, devnull;

                if (!path || strlen(path) >= sizeof sa.sun_path)
                        return printf("no NOTIFY_SOCKET\n"), 0;
                strcpy(sa.sun_path, path);
                for (const char *p = argv[2]; *p && n < sizeof text; p++)
                        if (p[0] == '\\' && p[1] == 'n')
                                text[n++] = '\n', p++;
                        else
                                text[n++] = *p;
                iov = (struct iovec) { .iov_base = text, .iov_len = n };
                devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &devnull, sizeof(int));
                fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                if (fd < 0 || sendmsg(fd, &mh, 0) < 0)
                        return printf("%s\n", strerrorname_np(errno)), 0;
                printf("sent\n");
                return 0;
        }
        fprintf(stderr, "usage: shim-probe syscalls|fds|write PATH|read PATH|notify TEXT\n");
        return 2;
}
