libtank_la_SOURCES += \
	src/net/netns.h \
	src/net/netns.c
