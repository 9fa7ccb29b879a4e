# src/bus: transient scopes and slices over sd-bus, asynchronous (see scope.h).
libtank_la_SOURCES += \
	src/bus/scope.h \
	src/bus/scope.c
