/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Privileges of the workload: Podman's default capabilities (bounding,
 * effective, permitted; inheritable and ambient empty), the image user,
 * no_new_privs and a seccomp filter modelled on Docker's default profile.
 *
 * Docker's profile is an allow-list; we build the equivalent deny-list with
 * libseccomp (default allow, EPERM for the listed calls), which is shorter,
 * lets new harmless syscalls through, and matches its effective behaviour for
 * a container without CAP_SYS_ADMIN et al.:
 *
 *   syscall(s)                        why denied
 *   keyctl add_key request_key        kernel keyrings are not namespaced
 *   mount umount2 pivot_root          changing the mount tree (CAP_SYS_ADMIN);
 *   fsopen fsconfig fsmount fspick    also the new mount API, which has no
 *   move_mount open_tree              capability check of its own to lean on
 *   mount_setattr
 *   unshare setns                     new namespaces are kernel attack surface
 *   clone/clone3 with CLONE_NEW*      (docker: only with CAP_SYS_ADMIN); clone3
 *                                     gets ENOSYS so libc falls back to clone,
 *                                     whose flags a filter can inspect
 *   swapon swapoff reboot             host-wide effects
 *   kexec_load kexec_file_load
 *   init_module finit_module          loading kernel code
 *   delete_module create_module
 *   get_kernel_syms query_module
 *   acct                              host-wide process accounting
 *   bpf perf_event_open               kernel attack surface, host observation
 *   userfaultfd                       exploit primitive (stalls the kernel)
 *   io_uring_setup/enter/register     large attack surface, bypasses filters
 *   clock_settime clock_adjtime       the clock is not namespaced
 *   settimeofday stime
 *   iopl ioperm                       raw port I/O
 *   quotactl quotactl_fd              host quotas
 *   open_by_handle_at                 the "shocker" escape (file handles
 *   name_to_handle_at                 reach outside the root)
 *   lookup_dcookie                    kernel profiling, leaks paths
 *   move_pages mbind set_mempolicy    NUMA control of host memory
 *   get_mempolicy migrate_pages       (docker: CAP_SYS_NICE)
 *   kcmp                              inspects other processes' kernel state
 *   syslog                            the host kernel log (CAP_SYSLOG)
 *   vhangup sethostname setdomainname hostname belongs to the pod
 *   uselib ustat sysfs _sysctl        obsolete, never needed
 *   nfsservctl vm86 vm86old
 *   personality is allowed: Docker restricts its arguments, which a deny
 *   list cannot express; the personality flags that matter (READ_IMPLIES_EXEC,
 *   ADDR_NO_RANDOMIZE) only weaken the workload itself.
 *   ptrace process_vm_readv/writev are allowed, as in Docker since kernel 4.8
 *   (the seccomp bypass via ptrace is fixed there); without CAP_SYS_PTRACE the
 *   workload can only trace its own descendants anyway.
 * The filter covers the native ABI and, on x86-64, the i386 and x32 ABIs, so
 * a 32-bit syscall cannot walk around it.
 *
 * Every name must be known to libseccomp, or the filter is not built (and
 * tankd does not start): seccomp_syscall_resolve_name() answers
 * __NR_SCMP_ERROR for a name it does not know (an older libseccomp than the
 * table, or a typo), and a rule skipped for that reason is a hole. A name it
 * knows but that is no syscall of the native ABI resolves to a negative
 * pseudo-syscall number, which libseccomp translates for the ABIs that have
 * it. On x86-64 those are the i386-only umount, stime, vm86, vm86old,
 * clock_settime64 and clock_adjtime64 (tests/unit/test-seccomp.c keeps this
 * list and checks every name has a number on one of the filter's ABIs). */
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container.h"
#include "fs-util.h"
#include "security.h"

struct SeccompFilter {
        scmp_filter_ctx ctx;        /* built here, or */
        struct sock_filter *insns;  /* the program read from tankd's file */
        unsigned short n_insns;
};

static const char *const denied_syscalls[] = {
        "keyctl", "add_key", "request_key",
        "mount", "umount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick",
        "move_mount", "open_tree", "mount_setattr",
        "unshare", "setns",
        "swapon", "swapoff", "reboot", "kexec_load", "kexec_file_load",
        "init_module", "finit_module", "delete_module", "create_module", "get_kernel_syms",
        "query_module", "acct", "bpf", "perf_event_open", "userfaultfd",
        "io_uring_setup", "io_uring_enter", "io_uring_register",
        "clock_settime", "clock_settime64", "clock_adjtime", "clock_adjtime64", "settimeofday",
        "stime", "iopl", "ioperm", "quotactl", "quotactl_fd", "open_by_handle_at",
        "name_to_handle_at", "lookup_dcookie", "move_pages", "mbind", "set_mempolicy",
        "get_mempolicy", "migrate_pages", "kcmp", "syslog", "vhangup", "sethostname",
        "setdomainname", "uselib", "ustat", "sysfs", "_sysctl", "nfsservctl", "vm86", "vm86old",
};

static const unsigned long clone_ns_flags[] = {
        CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
        CLONE_NEWCGROUP,
};

static const int default_caps[] = {
        CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_NET_BIND_SERVICE,
        CAP_SETFCAP, CAP_SETGID, CAP_SETPCAP, CAP_SETUID, CAP_SYS_CHROOT,
};

const char *const *security_denied_syscalls(size_t *ret_n) {
        *ret_n = ELEMENTSOF(denied_syscalls);
        return denied_syscalls;
}

uint64_t security_default_caps(void) {
        uint64_t m = 0;

        FOREACH_ARRAY(c, default_caps, ELEMENTSOF(default_caps))
                m |= UINT64_C(1) << *c;
        return m;
}

void security_seccomp_free(void *ctx) {
        if (ctx)
                seccomp_release(ctx);
}

int security_seccomp_build(void **ret_ctx, char **ret_error) {
        scmp_filter_ctx ctx;
        int r;

        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return shim_error(ret_error, -ENOMEM, "seccomp_init");

#if defined(__x86_64__)
        /* Cover the compat ABIs too; EEXIST: already the native one. */
        r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
        if (r < 0 && r != -EEXIST) {
                (void) shim_error(ret_error, r, "add the i386 ABI to the seccomp filter");
                goto fail;
        }
        r = seccomp_arch_add(ctx, SCMP_ARCH_X32);
        if (r < 0 && r != -EEXIST) {
                (void) shim_error(ret_error, r, "add the x32 ABI to the seccomp filter");
                goto fail;
        }
#endif

        FOREACH_ARRAY(name, denied_syscalls, ELEMENTSOF(denied_syscalls)) {
                int nr = seccomp_syscall_resolve_name(*name);

                if (nr == __NR_SCMP_ERROR) {
                        const struct scmp_version *v = seccomp_version();

                        r = shim_error(ret_error, -ENOSYS, "seccomp rule for %s: syscall unknown to libseccomp %u.%u.%u",
                                       *name, v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0);
                        goto fail;
                }
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
                /* -EDOM/-EINVAL: a pseudo-syscall (not native) that one of the
                 * compat ABIs lacks too; a native syscall must be added. */
                if (r < 0 && (nr >= 0 || (r != -EDOM && r != -EINVAL))) {
                        (void) shim_error(ret_error, r, "seccomp rule for %s", *name);
                        goto fail;
                }
        }

        FOREACH_ARRAY(f, clone_ns_flags, ELEMENTSOF(clone_ns_flags)) {
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                     SCMP_A0(SCMP_CMP_MASKED_EQ, *f, *f));
                if (r < 0) {
                        (void) shim_error(ret_error, r, "seccomp rule for clone");
                        goto fail;
                }
        }
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
        if (r < 0 && r != -EDOM && r != -EINVAL) {
                (void) shim_error(ret_error, r, "seccomp rule for clone3");
                goto fail;
        }

        /* The filter is ours: do not let libseccomp set no_new_privs on load
         * (we do it explicitly, at a known point). */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r < 0) {
                (void) shim_error(ret_error, r, "seccomp_attr_set");
                goto fail;
        }

        *ret_ctx = ctx;
        return 0;
fail:
        seccomp_release(ctx);
        return r;
}

int security_seccomp_export(void *ctx, int fd) {
        return seccomp_export_bpf(ctx, fd);
}

SeccompFilter *security_seccomp_filter_free(SeccompFilter *f) {
        if (!f)
                return NULL;
        security_seccomp_free(f->ctx);
        free(f->insns);
        return mfree(f);
}

/* Only what root wrote and no one else could have changed: the program
 * decides what every container may call. */
static int seccomp_program_read(const char *path, struct sock_filter **ret, unsigned short *ret_n) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t size;
        int r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
                return -EPERM;
        r = read_fd_capped(fd, BPF_MAXINSNS * sizeof(struct sock_filter), 0, &data, &size);   /* S_ISREG: above */
        if (r < 0)
                return r;
        if (size == 0 || size % sizeof(struct sock_filter) != 0)
                return -EBADMSG;
        /* read_fd_capped() NUL-terminates: the buffer is size + 1 bytes, and
         * malloc's alignment suits struct sock_filter. */
        *ret = (struct sock_filter *) (void *) TAKE_PTR(data);
        *ret_n = (unsigned short) (size / sizeof(struct sock_filter));
        return 0;
}

int security_seccomp_prepare(const char *path, SeccompFilter **ret, char **ret_error) {
        _cleanup_(security_seccomp_filter_freep) SeccompFilter *f = NULL;
        void *ctx = NULL;
        int r;

        f = calloc(1, sizeof *f);
        if (!f)
                return shim_error(ret_error, -ENOMEM, "seccomp filter");
        if (path && seccomp_program_read(path, &f->insns, &f->n_insns) >= 0) {
                *ret = TAKE_PTR(f);
                return 1;
        }
        r = security_seccomp_build(&ctx, ret_error);
        if (r < 0)
                return r;
        f->ctx = ctx;
        *ret = TAKE_PTR(f);
        return 0;
}

static int seccomp_filter_load(const SeccompFilter *f) {
        if (f->ctx)
                return seccomp_load(f->ctx);

        /* What seccomp_load() does for a filter with libseccomp's default
         * attributes (no TSYNC, no logging, no SSB flag): flags 0. */
        struct sock_fprog prog = { .len = f->n_insns, .filter = f->insns };
        return RET_NERRNO(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0));
}

static int drop_bounding_set(uint64_t keep) {
        for (unsigned long c = 0; c < 64; c++) {
                if (keep & (UINT64_C(1) << c))
                        continue;
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
                        if (errno == EINVAL)   /* past CAP_LAST_CAP */
                                break;
                        return -errno;
                }
        }
        return 0;
}

/* Effective and permitted: caps. Inheritable: empty, as in crun and runc
 * since CVE-2022-24769: with the default set inheritable, a non-root workload
 * exec'ing a file with inheritable file capabilities gained them. Nothing
 * needs it: ambient capabilities (which need it) stay empty. */
static int set_caps(uint64_t caps) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};

        for (int i = 0; i < 2; i++)
                d[i].effective = d[i].permitted = (uint32_t) (caps >> (32 * i));
        return RET_NERRNO((int) syscall(SYS_capset, &h, d));
}

int security_apply(const UserIds *u, const SeccompFilter *filter, char **ret_error) {
        uint64_t caps = security_default_caps();
        int r;

        r = drop_bounding_set(caps);
        if (r < 0)
                return shim_error(ret_error, r, "drop capability bounding set");

        /* Keep the permitted set across setresuid() so capset() below can
         * still grant the default set; an exec as non-root then clears it,
         * as in docker (no file caps, no ambient). */
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return shim_error(ret_error, -errno, "PR_SET_KEEPCAPS");
        if (setgroups(u->n_gids, u->gids) < 0)
                return shim_error(ret_error, -errno, "setgroups");
        if (setresgid(u->gid, u->gid, u->gid) < 0)
                return shim_error(ret_error, -errno, "setresgid(%u)", (unsigned) u->gid);
        if (setresuid(u->uid, u->uid, u->uid) < 0)
                return shim_error(ret_error, -errno, "setresuid(%u)", (unsigned) u->uid);
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return shim_error(ret_error, -errno, "PR_SET_KEEPCAPS");

        r = set_caps(caps);
        if (r < 0)
                return shim_error(ret_error, r, "capset");
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                return shim_error(ret_error, -errno, "clear ambient capabilities");

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return shim_error(ret_error, -errno, "PR_SET_NO_NEW_PRIVS");

        r = seccomp_filter_load(filter);
        if (r < 0)
                return shim_error(ret_error, r, "load seccomp filter");
        return 0;
}
