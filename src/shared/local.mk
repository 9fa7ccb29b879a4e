libtank_la_SOURCES += \
	src/shared/macro.h \
	src/shared/log.h \
	src/shared/log.c \
	src/shared/strv.h \
	src/shared/strv.c \
	src/shared/unit-name.h \
	src/shared/unit-name.c
