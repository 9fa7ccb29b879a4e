# src/spec: the pod spec (pod.h), image references (reference.h) and the OCI
# image config rules (oci.h). See the headers for what each promises.
libtank_la_SOURCES += \
	src/spec/pod.h \
	src/spec/pod.c \
	src/spec/reference.h \
	src/spec/reference.c \
	src/spec/oci.h \
	src/spec/oci.c \
	src/spec/json.h \
	src/spec/json.c \
	src/spec/parse-util.h \
	src/spec/parse-util.c \
	src/spec/parse.c \
	src/spec/spec-util.h \
	src/spec/spec-util.c \
	src/spec/serialize.c \
	src/spec/hash.c
