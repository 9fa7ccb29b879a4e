# src/image: see the module header for what it promises.

# H6: layer store, extraction, whiteouts, root filesystems
libtank_la_SOURCES += \
	src/image/layer.c src/image/layer.h \
	src/image/extract.c src/image/extract.h \
	src/image/whiteout.c src/image/whiteout.h
