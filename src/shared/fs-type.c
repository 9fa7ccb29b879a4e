/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#include "error-util.h"
#include "fs-type.h"

static const struct {
        long type;
        const char *name;
        bool upper_ok;
} fs_types[] = {
        { 0xEF53,               "ext4",      true  },
        { 0x58465342,           "xfs",       true  },
        { 0x9123683E,           "btrfs",     true  },
        { 0x01021994,           "tmpfs",     true  },
        { 0xF2F52010,           "f2fs",      true  },
        { 0x794c7630,           "overlay",   false },
        { 0x6969,               "nfs",       false },
        { 0x65735546,           "fuse",      false },
        { 0x01021997,           "9p",        false },
        { (long) 0xFF534D42,    "cifs",      false },
        { (long) 0xFE534D42,    "smb2",      false },
        { 0x517B,               "smb",       false },
        { 0x73717368,           "squashfs",  false },
        { 0x9660,               "iso9660",   false },
        { (long) 0xE0F5E1E2,    "erofs",     false },
        { 0x61756673,           "aufs",      false },
        { 0xF15F,               "ecryptfs",  false },
        { 0x4d44,               "vfat",      false },
        { 0x5346544e,           "ntfs",      false },
        { 0x2011BAB0,           "exfat",     false },
        { 0x62656572,           "sysfs",     false },
        { 0x9fa0,               "proc",      false },
        { 0x27e0eb,             "cgroup",    false },
        { 0x63677270,           "cgroup2",   false },
};

const char *fs_type_name(long f_type) {
        FOREACH_ARRAY(t, fs_types, ELEMENTSOF(fs_types))
                if ((t->type & 0xFFFFFFFFL) == (f_type & 0xFFFFFFFFL))
                        return t->name;
        return "unknown";
}

int fs_check_overlay_upper(const char *path, char **ret_error) {
        struct statfs sfs;
        struct statvfs svfs;

        if (statfs(path, &sfs) < 0)
                return error_set(ret_error, -errno, "cannot statfs %s: %m", path);
        FOREACH_ARRAY(t, fs_types, ELEMENTSOF(fs_types))
                if ((t->type & 0xFFFFFFFFL) == ((long) sfs.f_type & 0xFFFFFFFFL) && !t->upper_ok)
                        return error_set(ret_error, -EOPNOTSUPP,
                                         "%s is on a %s file system (f_type 0x%lx), which cannot hold "
                                         "overlayfs upper directories; put the data directory on "
                                         "ext4, xfs, btrfs or tmpfs",
                                         path, t->name, (unsigned long) sfs.f_type);
        if (statvfs(path, &svfs) < 0)
                return error_set(ret_error, -errno, "cannot statvfs %s: %m", path);
        if (svfs.f_flag & ST_RDONLY)
                return error_set(ret_error, -EROFS, "%s is on a read-only %s file system",
                                 path, fs_type_name((long) sfs.f_type));
        return 0;
}
