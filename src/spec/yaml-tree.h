/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A YAML document tree built from libyaml's event parser, internal to src/spec/
 * (the Kubernetes front end, kube.h).
 *
 * libyaml's own document loader expands aliases without limit and has no caps;
 * this builder refuses, before allocating more: input above max_len, NUL bytes
 * in the raw text, invalid UTF-8 (libyaml's reader, forced to UTF-8), nesting
 * deeper than YAML_DEPTH_MAX, more than YAML_NODES_MAX nodes per stream with
 * every alias counted as the nodes it expands to (a "billion laughs" stops
 * there), scalars above YAML_SCALAR_MAX bytes, mappings above YAML_PAIRS_MAX
 * pairs, non-scalar or duplicate keys, explicit tags (`!!python/object`,
 * `!!str` too: nothing here needs them) and %TAG directives. Every node keeps
 * its line and column (1-based) for the messages. */

#include <stdint.h>

#include "macro.h"

#define YAML_DEPTH_MAX 32
#define YAML_NODES_MAX 65536
#define YAML_SCALAR_MAX (256 * 1024)
#define YAML_PAIRS_MAX 1024
#define YAML_DOCUMENTS_MAX 1024

typedef enum YamlNodeType {
        YNODE_SCALAR,
        YNODE_SEQUENCE,
        YNODE_MAPPING,
} YamlNodeType;

typedef struct YamlNode YamlNode;

typedef struct YamlPair {
        YamlNode *key;     /* always a scalar */
        YamlNode *value;
} YamlPair;

struct YamlNode {
        YamlNodeType type;
        unsigned line, column;
        union {
                struct {
                        char *str;        /* NUL-terminated; may hold NULs ("\0" escapes): see len */
                        size_t len;
                        bool plain;       /* unquoted: subject to type resolution */
                };
                struct {
                        YamlNode **items;
                        size_t n_items;
                };
                struct {
                        YamlPair *pairs;
                        size_t n_pairs;
                };
        };
};

YamlNode *yaml_node_free(YamlNode *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(YamlNode *, yaml_node_free);
void yaml_documents_free(YamlNode **docs, size_t n);

/* Parse a stream of YAML documents. An empty document (or a stream with none)
 * yields no entry. -EINVAL with a malloc'd "document N: line L, column C:
 * reason" in *ret_error on a refused stream, -ENOMEM otherwise. */
int yaml_parse_documents(const char *text, size_t len, size_t max_len,
                         YamlNode ***ret, size_t *ret_n, char **ret_error);

/* How a plain scalar resolves under YAML 1.2's core schema; quoted scalars are
 * always strings. */
typedef enum YamlScalarKind {
        YSCALAR_STRING,
        YSCALAR_NULL,
        YSCALAR_BOOL,
        YSCALAR_INT,
        YSCALAR_FLOAT,
} YamlScalarKind;
YamlScalarKind yaml_scalar_kind(const YamlNode *n);
bool yaml_node_is_null(const YamlNode *n);
const char *yaml_node_describe(const YamlNode *n);    /* "a mapping", "a number", ... */
