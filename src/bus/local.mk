# src/bus: transient scopes, slices and services over sd-bus, asynchronous
# (see scope.h, service.h).
libtank_la_SOURCES += \
	src/bus/job.h \
	src/bus/job.c \
	src/bus/scope.h \
	src/bus/scope.c \
	src/bus/service.h \
	src/bus/service.c
