/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "yaml-tree.h"

YamlNode *yaml_node_free(YamlNode *n) {
        if (!n)
                return NULL;
        switch (n->type) {
        case YNODE_SCALAR:
                free(n->str);
                break;
        case YNODE_SEQUENCE:
                for (size_t i = 0; i < n->n_items; i++)
                        yaml_node_free(n->items[i]);
                free(n->items);
                break;
        case YNODE_MAPPING:
                for (size_t i = 0; i < n->n_pairs; i++) {
                        yaml_node_free(n->pairs[i].key);
                        yaml_node_free(n->pairs[i].value);
                }
                free(n->pairs);
                break;
        }
        free(n);
        return NULL;
}

void yaml_documents_free(YamlNode **docs, size_t n) {
        for (size_t i = 0; i < n; i++)
                yaml_node_free(docs[i]);
        free(docs);
}

static char *memdup_suffix0(const void *p, size_t len) {
        char *s = malloc(len + 1);

        if (!s)
                return NULL;
        memcpy(s, p, len);
        s[len] = 0;
        return s;
}

static bool one_of(const char *s, const char *const *set) {
        for (; *set; set++)
                if (streq(s, *set))
                        return true;
        return false;
}

typedef struct Anchor {
        char *name;
        YamlNode *node;     /* borrowed: owned by the document */
} Anchor;

typedef struct Builder {
        YamlNode *stack[YAML_DEPTH_MAX + 1];
        YamlNode *pending_key[YAML_DEPTH_MAX + 1];   /* a mapping's key waiting for its value */
        char *stack_anchor[YAML_DEPTH_MAX + 1];
        unsigned depth;
        size_t nodes;
        Anchor *anchors;
        size_t n_anchors;
        unsigned document;    /* 1-based, of the document being read */
        char *error;
} Builder;

static void builder_reset(Builder *b) {
        for (unsigned i = 0; i < b->depth; i++) {
                yaml_node_free(b->stack[i]);
                yaml_node_free(b->pending_key[i]);
                free(b->stack_anchor[i]);
        }
        b->depth = 0;
        for (size_t i = 0; i < b->n_anchors; i++)
                free(b->anchors[i].name);
        b->anchors = mfree(b->anchors);
        b->n_anchors = 0;
}

_printf_(4, 5)
static int bfail(Builder *b, size_t line, size_t column, const char *fmt, ...) {
        _cleanup_free_ char *reason = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&reason, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        free(b->error);
        if (asprintf(&b->error, "document %u: line %zu, column %zu: %s", b->document, line, column, reason) < 0) {
                b->error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

static YamlNode *copy_node(Builder *b, const YamlNode *n, unsigned depth, int *r) {
        _cleanup_(yaml_node_freep) YamlNode *c = NULL;

        if (++b->nodes > YAML_NODES_MAX) {
                *r = bfail(b, n->line, n->column, "more than %u nodes (aliases count as what they expand to)",
                           YAML_NODES_MAX);
                return NULL;
        }
        if (depth > YAML_DEPTH_MAX) {
                *r = bfail(b, n->line, n->column, "nested deeper than %u levels", YAML_DEPTH_MAX);
                return NULL;
        }
        c = calloc(1, sizeof *c);
        if (!c)
                goto oom;
        c->type = n->type;
        c->line = n->line;
        c->column = n->column;
        switch (n->type) {
        case YNODE_SCALAR:
                c->str = memdup_suffix0(n->str, n->len);
                if (!c->str)
                        goto oom;
                c->len = n->len;
                c->plain = n->plain;
                break;
        case YNODE_SEQUENCE:
                c->items = calloc(MAX(n->n_items, 1u), sizeof(YamlNode *));
                if (!c->items)
                        goto oom;
                for (size_t i = 0; i < n->n_items; i++) {
                        c->items[i] = copy_node(b, n->items[i], depth + 1, r);
                        if (!c->items[i])
                                return NULL;
                        c->n_items++;
                }
                break;
        case YNODE_MAPPING:
                c->pairs = calloc(MAX(n->n_pairs, 1u), sizeof(YamlPair));
                if (!c->pairs)
                        goto oom;
                for (size_t i = 0; i < n->n_pairs; i++) {
                        c->pairs[i].key = copy_node(b, n->pairs[i].key, depth + 1, r);
                        if (!c->pairs[i].key)
                                return NULL;
                        c->pairs[i].value = copy_node(b, n->pairs[i].value, depth + 1, r);
                        c->n_pairs++;
                        if (!c->pairs[i].value)
                                return NULL;
                }
                break;
        }
        return TAKE_PTR(c);
oom:
        *r = -ENOMEM;
        return NULL;
}

static int add_anchor(Builder *b, char *name, YamlNode *n) {
        Anchor *a;

        if (!name)
                return 0;
        a = reallocarray(b->anchors, b->n_anchors + 1, sizeof(Anchor));
        if (!a) {
                free(name);
                return -ENOMEM;
        }
        b->anchors = a;
        b->anchors[b->n_anchors++] = (Anchor) { .name = name, .node = n };
        return 0;
}

/* Attach a complete node to its parent, or make it the document's root. */
static int attach(Builder *b, YamlNode *n, YamlNode **root) {
        YamlNode *p;

        if (b->depth == 0) {
                *root = n;
                return 0;
        }
        p = b->stack[b->depth - 1];
        if (p->type == YNODE_SEQUENCE) {
                YamlNode **items = reallocarray(p->items, p->n_items + 1, sizeof(YamlNode *));
                if (!items) {
                        yaml_node_free(n);
                        return -ENOMEM;
                }
                p->items = items;
                p->items[p->n_items++] = n;
                return 0;
        }
        if (!b->pending_key[b->depth - 1]) {
                if (n->type != YNODE_SCALAR) {
                        int r = bfail(b, n->line, n->column, "mapping keys must be scalars");
                        yaml_node_free(n);
                        return r;
                }
                for (size_t i = 0; i < p->n_pairs; i++)
                        if (p->pairs[i].key->len == n->len && memcmp(p->pairs[i].key->str, n->str, n->len) == 0) {
                                int r = bfail(b, n->line, n->column, "duplicate key (first at line %u)",
                                              p->pairs[i].key->line);
                                yaml_node_free(n);
                                return r;
                        }
                if (p->n_pairs >= YAML_PAIRS_MAX) {
                        int r = bfail(b, n->line, n->column, "more than %u keys in one mapping", YAML_PAIRS_MAX);
                        yaml_node_free(n);
                        return r;
                }
                b->pending_key[b->depth - 1] = n;
                return 0;
        }
        YamlPair *pairs = reallocarray(p->pairs, p->n_pairs + 1, sizeof(YamlPair));
        if (!pairs) {
                yaml_node_free(n);
                return -ENOMEM;
        }
        p->pairs = pairs;
        p->pairs[p->n_pairs++] = (YamlPair) { .key = TAKE_PTR(b->pending_key[b->depth - 1]), .value = n };
        return 0;
}

static YamlNode *new_node(Builder *b, YamlNodeType t, const yaml_mark_t *m, int *r) {
        YamlNode *n;

        if (++b->nodes > YAML_NODES_MAX) {
                *r = bfail(b, m->line + 1, m->column + 1, "more than %u nodes", YAML_NODES_MAX);
                return NULL;
        }
        n = calloc(1, sizeof *n);
        if (!n) {
                *r = -ENOMEM;
                return NULL;
        }
        n->type = t;
        n->line = m->line + 1;
        n->column = m->column + 1;
        return n;
}

static int handle_event(Builder *b, const yaml_event_t *e, YamlNode **root) {
        const yaml_mark_t *m = &e->start_mark;
        _cleanup_free_ char *anchor = NULL;
        YamlNode *n;
        int r = 0;

        switch (e->type) {
        case YAML_DOCUMENT_START_EVENT:
                if (e->data.document_start.tag_directives.start != e->data.document_start.tag_directives.end)
                        return bfail(b, m->line + 1, m->column + 1, "%%TAG directives are not accepted");
                return 0;
        case YAML_ALIAS_EVENT:
                for (size_t i = b->n_anchors; i > 0; i--)
                        if (streq(b->anchors[i - 1].name, (const char *) e->data.alias.anchor)) {
                                n = copy_node(b, b->anchors[i - 1].node, b->depth, &r);
                                if (!n)
                                        return r;
                                return attach(b, n, root);
                        }
                return bfail(b, m->line + 1, m->column + 1, "alias to an unknown anchor");
        case YAML_SCALAR_EVENT:
                if (e->data.scalar.tag)
                        return bfail(b, m->line + 1, m->column + 1, "tags (\"%.64s\") are not accepted",
                                     (const char *) e->data.scalar.tag);
                if (e->data.scalar.length > YAML_SCALAR_MAX)
                        return bfail(b, m->line + 1, m->column + 1, "scalar longer than %u bytes", YAML_SCALAR_MAX);
                n = new_node(b, YNODE_SCALAR, m, &r);
                if (!n)
                        return r;
                n->str = memdup_suffix0(e->data.scalar.value, e->data.scalar.length);
                if (!n->str) {
                        yaml_node_free(n);
                        return -ENOMEM;
                }
                n->len = e->data.scalar.length;
                n->plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
                if (e->data.scalar.anchor) {
                        anchor = strdup((const char *) e->data.scalar.anchor);
                        if (!anchor || add_anchor(b, TAKE_PTR(anchor), n) < 0) {
                                yaml_node_free(n);
                                return -ENOMEM;
                        }
                }
                return attach(b, n, root);
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
                const yaml_char_t *tag = e->type == YAML_SEQUENCE_START_EVENT ? e->data.sequence_start.tag
                                                                               : e->data.mapping_start.tag;
                const yaml_char_t *a = e->type == YAML_SEQUENCE_START_EVENT ? e->data.sequence_start.anchor
                                                                             : e->data.mapping_start.anchor;
                if (tag)
                        return bfail(b, m->line + 1, m->column + 1, "tags (\"%.64s\") are not accepted",
                                     (const char *) tag);
                if (b->depth >= YAML_DEPTH_MAX)
                        return bfail(b, m->line + 1, m->column + 1, "nested deeper than %u levels", YAML_DEPTH_MAX);
                if (a) {
                        anchor = strdup((const char *) a);
                        if (!anchor)
                                return -ENOMEM;
                }
                n = new_node(b, e->type == YAML_SEQUENCE_START_EVENT ? YNODE_SEQUENCE : YNODE_MAPPING, m, &r);
                if (!n)
                        return r;
                b->stack[b->depth] = n;
                b->pending_key[b->depth] = NULL;
                b->stack_anchor[b->depth] = TAKE_PTR(anchor);
                b->depth++;
                return 0;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                assert(b->depth > 0);
                b->depth--;
                n = b->stack[b->depth];
                /* An anchor names its node once it is complete: an alias inside
                 * its own anchor's node is "unknown", so nothing is recursive. */
                r = add_anchor(b, TAKE_PTR(b->stack_anchor[b->depth]), n);
                if (r < 0) {
                        yaml_node_free(n);
                        return r;
                }
                return attach(b, n, root);
        default:
                return 0;
        }
}

int yaml_parse_documents(const char *text, size_t len, size_t max_len,
                         YamlNode ***ret, size_t *ret_n, char **ret_error) {
        Builder b = { .document = 1 };
        yaml_parser_t parser;
        YamlNode **docs = NULL, *root = NULL;
        size_t n_docs = 0;
        bool done = false;
        int r = 0;

        if (len > max_len)
                r = bfail(&b, 1, 1, "document larger than %zu bytes", max_len);
        else if (memchr(text, 0, len))
                r = bfail(&b, 1, 1, "NUL byte in the text");
        if (r < 0)
                goto finish;

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
        /* libyaml would otherwise honour a UTF-16 byte order mark */
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

        while (!done) {
                yaml_event_t e;

                if (!yaml_parser_parse(&parser, &e)) {
                        if (parser.error == YAML_MEMORY_ERROR)
                                r = -ENOMEM;
                        else
                                r = bfail(&b, parser.problem_mark.line + 1, parser.problem_mark.column + 1, "%s%s%s",
                                          strna(parser.problem), parser.context ? " " : "", strempty(parser.context));
                        break;
                }
                r = handle_event(&b, &e, &root);
                if (r >= 0 && e.type == YAML_DOCUMENT_END_EVENT) {
                        if (root && !yaml_node_is_null(root)) {
                                YamlNode **d;

                                if (n_docs >= YAML_DOCUMENTS_MAX)
                                        r = bfail(&b, e.start_mark.line + 1, 1, "more than %u documents",
                                                  YAML_DOCUMENTS_MAX);
                                else if (!(d = reallocarray(docs, n_docs + 1, sizeof(YamlNode *))))
                                        r = -ENOMEM;
                                else {
                                        docs = d;
                                        docs[n_docs++] = TAKE_PTR(root);
                                }
                        }
                        root = yaml_node_free(root);
                        builder_reset(&b);
                        b.document++;
                }
                done = e.type == YAML_STREAM_END_EVENT;
                yaml_event_delete(&e);
                if (r < 0)
                        break;
        }
        yaml_parser_delete(&parser);

finish:
        yaml_node_free(root);
        builder_reset(&b);
        if (r < 0) {
                yaml_documents_free(docs, n_docs);
                if (ret_error && b.error)
                        *ret_error = TAKE_PTR(b.error);
                free(b.error);
                return r;
        }
        *ret = docs;
        *ret_n = n_docs;
        return 0;
}

/* YAML 1.2 core schema: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+ */
static bool is_int(const char *s) {
        const char *digits = "0123456789";

        if (startswith(s, "0x")) {
                s += 2;
                digits = "0123456789abcdefABCDEF";
        } else if (startswith(s, "0o")) {
                s += 2;
                digits = "01234567";
        } else if (*s == '-' || *s == '+')
                s++;
        return *s && strspn(s, digits) == strlen(s);
}

static bool is_float(const char *s) {
        char *end;

        if (one_of(s, (const char *const[]) { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
                                              "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", NULL }))
                return true;
        if (!strpbrk(s, "0123456789"))
                return false;
        errno = 0;
        (void) strtod(s, &end);
        return *end == 0 && !strpbrk(s, "xXpP") && !strcasestr(s, "inf") && !strcasestr(s, "nan");
}

YamlScalarKind yaml_scalar_kind(const YamlNode *n) {
        if (n->type != YNODE_SCALAR || !n->plain)
                return YSCALAR_STRING;
        if (one_of(n->str, (const char *const[]) { "", "~", "null", "Null", "NULL", NULL }))
                return YSCALAR_NULL;
        if (one_of(n->str, (const char *const[]) { "true", "True", "TRUE", "false", "False", "FALSE", NULL }))
                return YSCALAR_BOOL;
        if (is_int(n->str))
                return YSCALAR_INT;
        if (is_float(n->str))
                return YSCALAR_FLOAT;
        return YSCALAR_STRING;
}

bool yaml_node_is_null(const YamlNode *n) {
        return n->type == YNODE_SCALAR && yaml_scalar_kind(n) == YSCALAR_NULL;
}

const char *yaml_node_describe(const YamlNode *n) {
        if (n->type == YNODE_SEQUENCE)
                return "a sequence";
        if (n->type == YNODE_MAPPING)
                return "a mapping";
        switch (yaml_scalar_kind(n)) {
        case YSCALAR_NULL:
                return "null";
        case YSCALAR_BOOL:
                return "a boolean";
        case YSCALAR_INT:
        case YSCALAR_FLOAT:
                return "a number";
        default:
                return "a string";
        }
}
