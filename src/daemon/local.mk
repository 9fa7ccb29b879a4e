libtank_la_SOURCES += \
	src/daemon/manager.h \
	src/daemon/manager.c \
	src/daemon/store-setup.c \
	src/daemon/store-server.h \
	src/daemon/store-server.c \
	src/daemon/bus-api.h \
	src/daemon/bus-api.c \
	src/daemon/bus-pod.c \
	src/daemon/bus-rollout.h \
	src/daemon/bus-rollout.c \
	src/daemon/seed.h \
	src/daemon/seed.c \
	src/daemon/volumes.h \
	src/daemon/volumes.c

sbin_PROGRAMS += tankd
tankd_SOURCES = src/daemon/tankd.c
tankd_LDADD = $(TANK_LIBS)

# Exec and Attach (issue 8)
libtank_la_SOURCES += \
	src/daemon/bus-exec.h \
	src/daemon/bus-exec.c

# startup benchmark; tools that run and install tankd
EXTRA_DIST += bench/startup/run.sh tools/tank-up tools/install-deps.sh

# H11: image GC on the bus (RemoveImage, PruneImages, ImagesWithUsers)
libtank_la_SOURCES += src/daemon/bus-images.h src/daemon/bus-images.c
