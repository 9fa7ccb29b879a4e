/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Store client, pure parts: base64, the incremental JSON framer fed byte by
 * byte, request building and response parsing with hostile inputs. */
#include <check.h>
#include <inttypes.h>

#include "check-run.h"
#include "store/base64.h"
#include "store/etcd-json.h"
#include "store/json-stream.h"
#include "store/userns.h"
#include "store/lease.h"
#include "store/nodes.h"
#include "store/bindings.h"
#include "store/status.h"
#include "strv.h"

START_TEST(test_base64_vectors) {
        static const struct { const char *plain, *enc; } v[] = {
                { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
                { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
        };
        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                _cleanup_free_ char *e = NULL, *d = NULL;
                size_t n;

                ck_assert_int_eq(store_base64_encode(v[i].plain, strlen(v[i].plain), &e), 0);
                ck_assert_str_eq(e, v[i].enc);
                ck_assert_int_eq(store_base64_decode(e, strlen(e), &d, &n), 0);
                ck_assert_uint_eq(n, strlen(v[i].plain));
                ck_assert_str_eq(d, v[i].plain);
        }
}
END_TEST

START_TEST(test_base64_roundtrip) {
        unsigned char buf[300];

        for (size_t i = 0; i < sizeof buf; i++)
                buf[i] = (unsigned char) (i * 37 + 11);
        for (size_t len = 0; len <= sizeof buf; len++) {
                _cleanup_free_ char *e = NULL, *d = NULL;
                size_t n;

                ck_assert_int_eq(store_base64_encode(buf, len, &e), 0);
                ck_assert_uint_eq(strlen(e), store_base64_encoded_size(len));
                ck_assert_int_eq(store_base64_decode(e, strlen(e), &d, &n), 0);
                ck_assert_uint_eq(n, len);
                ck_assert_mem_eq(d, buf, len);
        }
}
END_TEST

START_TEST(test_base64_invalid) {
        static const char *bad[] = { "Z", "Zg=", "Zg", "Z===", "====", "Zm9v\n", " Zm9v", "Zm9-", "Zh==",
                                     "Zm9=", "Zg==Zg==", "=Zg=", "Zm\0v" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *d = NULL;
                size_t n;
                size_t len = i == ELEMENTSOF(bad) - 1 ? 4 : strlen(bad[i]);

                ck_assert_msg(store_base64_decode(bad[i], len, &d, &n) == -EINVAL, "accepted \"%s\"", bad[i]);
                ck_assert_ptr_null(d);
        }
}
END_TEST

typedef struct Collect {
        char *msgs[16];
        size_t n;
} Collect;

static int collect(const char *json, size_t len, void *userdata) {
        Collect *c = userdata;

        ck_assert_uint_eq(strlen(json), len);
        ck_assert_uint_lt(c->n, ELEMENTSOF(c->msgs));
        c->msgs[c->n++] = strdup(json);
        return 0;
}

static void collect_done(Collect *c) {
        for (size_t i = 0; i < c->n; i++)
                free(c->msgs[i]);
        c->n = 0;
}

START_TEST(test_stream_byte_by_byte) {
        static const char input[] =
                "{\"result\":{\"created\":true}}\n"
                "  {\"a\":\"}{\\\"]\",\"b\":[1,{\"c\":[]}]}\r\n"
                "{\"s\":\"\\\\\"}{\"x\":1}";
        JsonStream j;
        Collect c = {};
        const char *e = NULL;

        json_stream_init(&j, 1024);
        for (size_t i = 0; i < strlen(input); i++)
                ck_assert_int_eq(json_stream_feed(&j, input + i, 1, collect, &c, &e), 0);
        ck_assert(!json_stream_pending(&j));
        ck_assert_uint_eq(c.n, 4);
        ck_assert_str_eq(c.msgs[0], "{\"result\":{\"created\":true}}");
        ck_assert_str_eq(c.msgs[1], "{\"a\":\"}{\\\"]\",\"b\":[1,{\"c\":[]}]}");
        ck_assert_str_eq(c.msgs[2], "{\"s\":\"\\\\\"}");
        ck_assert_str_eq(c.msgs[3], "{\"x\":1}");
        collect_done(&c);

        /* the same, all at once, and split at every position */
        for (size_t split = 0; split <= strlen(input); split++) {
                json_stream_reset(&j);
                ck_assert_int_eq(json_stream_feed(&j, input, split, collect, &c, &e), 0);
                ck_assert_int_eq(json_stream_feed(&j, input + split, strlen(input) - split, collect, &c, &e), 0);
                ck_assert_uint_eq(c.n, 4);
                ck_assert_str_eq(c.msgs[1], "{\"a\":\"}{\\\"]\",\"b\":[1,{\"c\":[]}]}");
                collect_done(&c);
        }

        /* a partial object stays pending */
        json_stream_reset(&j);
        ck_assert_int_eq(json_stream_feed(&j, "{\"a\":", 5, collect, &c, &e), 0);
        ck_assert(json_stream_pending(&j));
        json_stream_done(&j);
}
END_TEST

START_TEST(test_stream_hostile) {
        JsonStream j;
        Collect c = {};
        const char *e = NULL;
        char big[2000];

        json_stream_init(&j, 1000);
        ck_assert_int_eq(json_stream_feed(&j, "[1]", 3, collect, &c, &e), -EBADMSG);
        ck_assert_str_eq(e, "expected a JSON object");
        /* a failed stream stays failed */
        ck_assert_int_eq(json_stream_feed(&j, "{}", 2, collect, &c, &e), -EBADMSG);
        json_stream_done(&j);

        json_stream_init(&j, 1000);
        ck_assert_int_eq(json_stream_feed(&j, "{}}", 3, collect, &c, &e), -EBADMSG);
        ck_assert_uint_eq(c.n, 1);
        collect_done(&c);
        json_stream_done(&j);

        /* nesting bomb */
        json_stream_init(&j, 1000000);
        memset(big, '[', sizeof big);
        big[0] = '{';
        ck_assert_int_eq(json_stream_feed(&j, "{\"a\":", 5, collect, &c, &e), 0);
        ck_assert_int_eq(json_stream_feed(&j, big, sizeof big, collect, &c, &e), -EBADMSG);
        ck_assert_str_eq(e, "nested too deeply");
        json_stream_done(&j);

        /* oversized, fed in pieces */
        json_stream_init(&j, 1000);
        memset(big, ' ', sizeof big);
        big[0] = '{';
        big[1] = '"';
        int r = 0;
        for (size_t i = 0; i < sizeof big && r == 0; i += 100)
                r = json_stream_feed(&j, big + i, 100, collect, &c, &e);
        ck_assert_int_eq(r, -EMSGSIZE);
        ck_assert_uint_eq(c.n, 0);
        json_stream_done(&j);
}
END_TEST

START_TEST(test_requests) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL, *f = NULL, *end = NULL;

        ck_assert_int_eq(etcd_request_put("a", "b", 1, &a), 0);
        ck_assert_str_eq(a, "{\"key\":\"YQ==\",\"value\":\"Yg==\"}");
        ck_assert_int_eq(etcd_request_range("/tank/", "/tank0", &b), 0);
        ck_assert_str_eq(b, "{\"key\":\"L3Rhbmsv\",\"range_end\":\"L3Rhbmsw\"}");
        ck_assert_int_eq(etcd_request_txn("a", ETCD_COMPARE_CREATE, 0, "b", 1, &c), 0);
        ck_assert_str_eq(c, "{\"compare\":[{\"key\":\"YQ==\",\"target\":\"CREATE\",\"result\":\"EQUAL\","
                         "\"create_revision\":\"0\"}],\"success\":[{\"request_put\":{\"key\":\"YQ==\",\"value\":\"Yg==\"}}],"
                         "\"failure\":[{\"request_range\":{\"key\":\"YQ==\"}}]}");
        ck_assert_int_eq(etcd_request_txn("a", ETCD_COMPARE_MOD, 42, NULL, 0, &d), 0);
        ck_assert(strstr(d, "\"target\":\"MOD\"") && strstr(d, "\"mod_revision\":\"42\"") &&
                  strstr(d, "\"request_delete_range\":{\"key\":\"YQ==\"}"));
        ck_assert_int_eq(etcd_request_watch("/tank/", "/tank0", 7, &e), 0);
        ck_assert_str_eq(e, "{\"create_request\":{\"key\":\"L3Rhbmsv\",\"range_end\":\"L3Rhbmsw\",\"start_revision\":\"7\"}}");
        /* a value with quotes and NULs never needs escaping: it is base64 */
        ck_assert_int_eq(etcd_request_put("k", "\"\0\\", 3, &f), 0);
        ck_assert_str_eq(f, "{\"key\":\"aw==\",\"value\":\"IgBc\"}");

        ck_assert_int_eq(store_prefix_range_end("/tank/", &end), 0);
        ck_assert_str_eq(end, "/tank0");
        free(end);
        ck_assert_int_eq(store_prefix_range_end("a\xff\xff", &end), 0);
        ck_assert_str_eq(end, "b");
        free(end);
        end = NULL;
        ck_assert_int_eq(store_prefix_range_end("\xff", &end), -EINVAL);
}
END_TEST

static int parse(EtcdOp op, const char *json, StoreResult *res, char **err) {
        yajl_val root = NULL;
        int r;

        *err = NULL;
        r = etcd_parse_json(json, strlen(json), 4096, &root, err);
        if (r < 0)
                return r;
        r = etcd_parse_result(op, root, res, err);
        yajl_tree_free(root);
        return r;
}

START_TEST(test_parse_good) {
        StoreResult res = {};
        char *err = NULL;

        ck_assert_int_eq(parse(ETCD_OP_RANGE,
                "{\"header\":{\"cluster_id\":\"4057687761381503033\",\"revision\":\"2\",\"raft_term\":\"2\"},"
                "\"kvs\":[{\"key\":\"YQ==\",\"create_revision\":\"2\",\"mod_revision\":\"3\",\"version\":\"2\",\"value\":\"Yg==\"},"
                "{\"key\":\"Yg==\",\"create_revision\":\"4\",\"mod_revision\":\"4\",\"version\":\"1\"}],\"count\":\"2\"}",
                &res, &err), 0);
        ck_assert_int_eq(res.revision, 2);
        ck_assert_uint_eq(res.n_kvs, 2);
        ck_assert_str_eq(res.kvs[0].key, "a");
        ck_assert_str_eq(res.kvs[0].value, "b");
        ck_assert_int_eq(res.kvs[0].mod_revision, 3);
        ck_assert_int_eq(res.kvs[0].version, 2);
        ck_assert_str_eq(res.kvs[1].value, "");      /* omitted = empty */
        store_result_done(&res);

        /* proto3 omits false and empty: a failed txn with no kv */
        ck_assert_int_eq(parse(ETCD_OP_TXN, "{\"header\":{\"revision\":\"9\"},\"responses\":[{\"response_range\":"
                               "{\"header\":{\"revision\":\"9\"}}}]}", &res, &err), 0);
        ck_assert(!res.succeeded);
        ck_assert_uint_eq(res.n_kvs, 0);
        store_result_done(&res);

        ck_assert_int_eq(parse(ETCD_OP_TXN, "{\"header\":{\"revision\":\"10\"},\"succeeded\":true,\"responses\":"
                               "[{\"response_put\":{\"header\":{\"revision\":\"10\"}}}]}", &res, &err), 0);
        ck_assert(res.succeeded);
        ck_assert_int_eq(res.revision, 10);
        store_result_done(&res);

        ck_assert_int_eq(parse(ETCD_OP_DELETE, "{\"header\":{\"revision\":\"11\"},\"deleted\":\"3\"}", &res, &err), 0);
        ck_assert_int_eq(res.n_deleted, 3);
        store_result_done(&res);
}
END_TEST

START_TEST(test_parse_hostile) {
        static const struct { const char *json, *error; } v[] = {
                { "", "empty document" },
                { "hello", "expected a JSON object" },
                { "{\"header\":", "truncated JSON" },
                { "{\"header\":{}} {}", "trailing garbage" },
                { "[]", "expected a JSON object" },
                { "{\"header\":{\"revision\":2,}}", "invalid object key" },
                { "{}", "header: missing" },
                { "{\"header\":[]}", "header: missing" },
                { "{\"header\":{\"revision\":{}}}", "header.revision: not an integer" },
                { "{\"header\":{\"revision\":\"12x\"}}", "header.revision: not an integer" },
                { "{\"header\":{\"revision\":\"\"}}", "header.revision: not an integer" },
                { "{\"header\":{\"revision\":\" 1\"}}", "header.revision: not an integer" },
                { "{\"header\":{\"revision\":\"123456789012345678901234567890\"}}", "integer out of range" },
                { "{\"header\":{\"revision\":1e400}}", "header.revision: not an integer" },
                { "{\"header\":{\"revision\":\"-5\"}}", "negative revision" },
                { "{\"header\":{\"revision\":\"1\"},\"kvs\":{}}", "kvs: not an array" },
                { "{\"header\":{\"revision\":\"1\"},\"kvs\":[1]}", "kv: not an object" },
                { "{\"header\":{\"revision\":\"1\"},\"kvs\":[{\"key\":\"!!!!\"}]}", "kv.key: invalid base64" },
                { "{\"header\":{\"revision\":\"1\"},\"kvs\":[{\"key\":\"YQ==\",\"value\":7}]}", "kv.value: not a string" },
                { "{\"header\":{\"revision\":\"1\"},\"kvs\":[{}]}", "kv.key: empty" },
                { "{\"header\":{\"revision\":\"1\"},\"kvs\":[{\"key\":\"YQBi\"}]}", "kv.key: empty or contains NUL" },
                { "{\"header\":{\"revision\":\"1\"},\"kvs\":[{\"key\":\"YQ==\",\"mod_revision\":true}]}", "kv.mod_revision: not an integer" },
        };

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                StoreResult res = {};
                char *err = NULL;
                int r = parse(ETCD_OP_RANGE, v[i].json, &res, &err);

                ck_assert_msg(r == -EBADMSG, "%s: r=%d", v[i].json, r);
                ck_assert_msg(err && strstr(err, v[i].error), "%s: error \"%s\", wanted \"%s\"", v[i].json,
                              strempty(err), v[i].error);
                free(err);
        }

        /* txn specifics */
        StoreResult res = {};
        char *err = NULL;
        ck_assert_int_eq(parse(ETCD_OP_TXN, "{\"header\":{\"revision\":\"1\"},\"succeeded\":\"yes\"}", &res, &err), -EBADMSG);
        free(err);
        ck_assert_int_eq(parse(ETCD_OP_TXN, "{\"header\":{\"revision\":\"1\"}}", &res, &err), -EBADMSG);
        ck_assert(strstr(err, "missing response_range"));
        free(err);

        /* size cap and NUL bytes */
        yajl_val root = NULL;
        ck_assert_int_eq(etcd_parse_json("{\"a\":1}", 7, 6, &root, &err), -EMSGSIZE);
        free(err);
        ck_assert_int_eq(etcd_parse_json("{\"a\":\"\0\"}", 9, 100, &root, &err), -EBADMSG);
        ck_assert_str_eq(err, "invalid response: NUL byte at offset 6");
        free(err);
}
END_TEST

START_TEST(test_parse_watch) {
        static const char *msgs[] = {
                "{\"result\":{\"header\":{\"revision\":\"2\"},\"created\":true}}",
                "{\"result\":{\"header\":{\"revision\":\"4\"},\"events\":[{\"kv\":{\"key\":\"YQ==\",\"create_revision\":\"3\","
                "\"mod_revision\":\"3\",\"version\":\"1\",\"value\":\"Yg==\"}},{\"type\":\"DELETE\",\"kv\":{\"key\":\"YQ==\","
                "\"mod_revision\":\"4\"}}]}}",
                "{\"result\":{\"header\":{},\"canceled\":true,\"compact_revision\":\"3\"}}",
        };
        EtcdWatchMessage m = {};
        yajl_val root;
        char *err = NULL;

        ck_assert_int_eq(etcd_parse_json(msgs[0], strlen(msgs[0]), 4096, &root, &err), 0);
        ck_assert_int_eq(etcd_parse_watch_message(root, &m, &err), 0);
        yajl_tree_free(root);
        ck_assert(m.created && !m.canceled && m.n_events == 0 && m.revision == 2);
        etcd_watch_message_done(&m);

        ck_assert_int_eq(etcd_parse_json(msgs[1], strlen(msgs[1]), 4096, &root, &err), 0);
        ck_assert_int_eq(etcd_parse_watch_message(root, &m, &err), 0);
        yajl_tree_free(root);
        ck_assert_uint_eq(m.n_events, 2);
        ck_assert_int_eq(m.events[0].type, STORE_EVENT_PUT);
        ck_assert_str_eq(m.events[0].kv.value, "b");
        ck_assert_int_eq(m.events[1].type, STORE_EVENT_DELETE);
        ck_assert_int_eq(m.events[1].kv.mod_revision, 4);
        etcd_watch_message_done(&m);

        ck_assert_int_eq(etcd_parse_json(msgs[2], strlen(msgs[2]), 4096, &root, &err), 0);
        ck_assert_int_eq(etcd_parse_watch_message(root, &m, &err), 0);
        yajl_tree_free(root);
        ck_assert(m.canceled && m.compact_revision == 3);
        etcd_watch_message_done(&m);

        static const struct { const char *json, *error; } bad[] = {
                { "{\"x\":1}", "result: missing" },
                { "{\"result\":{\"header\":{\"revision\":\"4\"},\"events\":[{\"type\":\"EXPLODE\",\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"1\"}}]}}", "unknown event type" },
                { "{\"result\":{\"header\":{\"revision\":\"4\"},\"events\":[{\"kv\":{\"key\":\"YQ==\"}}]}}", "mod_revision: missing" },
                { "{\"result\":{\"header\":{\"revision\":\"4\"},\"events\":[{\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"5\"}},"
                  "{\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"4\"}}]}}", "out of order" },
                { "{\"result\":{\"header\":{\"revision\":\"4\"},\"events\":{}}}", "events: not an array" },
                { "{\"result\":{\"header\":{\"revision\":\"4\"},\"created\":1}}", "created: not a boolean" },
                { "{\"result\":{\"events\":[]}}", "header: missing" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ck_assert_int_eq(etcd_parse_json(bad[i].json, strlen(bad[i].json), 4096, &root, &err), 0);
                ck_assert_msg(etcd_parse_watch_message(root, &m, &err) == -EBADMSG, "%s", bad[i].json);
                ck_assert_msg(strstr(err, bad[i].error), "%s: %s", bad[i].json, err);
                free(err);
                yajl_tree_free(root);
        }

        /* a gateway error on the stream */
        static const char e[] = "{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"etcdserver: no leader\"}}";
        ck_assert_int_eq(etcd_parse_json(e, strlen(e), 4096, &root, &err), 0);
        ck_assert_int_eq(etcd_parse_error(root, &err), 1);
        ck_assert_str_eq(err, "etcdserver: no leader");
        free(err);
        yajl_tree_free(root);
}
END_TEST

/* /tank/v1/userns/<pod> values are hostile: only the exact shape, and never a
 * range that holds host id 0 or runs past the last id. */
START_TEST(test_userns_values) {
        static const char *const bad[] = {
                "", "{}", "[]", "null", "{\"uid\":1,\"gid\":1}",
                "{\"uid\":0,\"gid\":1,\"size\":65536}", "{\"uid\":1,\"gid\":0,\"size\":65536}",
                "{\"uid\":1,\"gid\":1,\"size\":0}", "{\"uid\":-1,\"gid\":1,\"size\":1}",
                "{\"uid\":4294901760,\"gid\":1,\"size\":65536}", "{\"uid\":\"1\",\"gid\":1,\"size\":1}",
                "{\"uid\":1,\"uid\":2,\"gid\":1}", "{\"uid\":1,\"gid\":1,\"size\":1,\"x\":1}",
                "{\"uid\":1.5,\"gid\":1,\"size\":1}",
        };
        _cleanup_free_ char *json = NULL, *key = NULL;
        StoreUserns u = { .uid = 524288, .gid = 589824, .size = 65536 }, v = {};

        ck_assert_int_eq(store_userns_format(&u, &json), 0);
        ck_assert_str_eq(json, "{\"uid\":524288,\"gid\":589824,\"size\":65536}");
        ck_assert_int_eq(store_userns_parse(json, strlen(json), &v), 0);
        ck_assert_uint_eq(v.uid, 524288);
        ck_assert_uint_eq(v.gid, 589824);
        ck_assert_uint_eq(v.size, 65536);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ck_assert_msg(store_userns_parse(bad[i], strlen(bad[i]), &v) == -EINVAL, "accepted: %s", bad[i]);
        ck_assert_int_eq(store_userns_parse("{\"uid\":1}\0x", 12, &v), -EINVAL);
        ck_assert_int_eq(store_userns_key("web", &key), 0);
        ck_assert_str_eq(key, "/tank/v1/userns/web");
        ck_assert_str_eq(store_userns_key_pod(key), "web");
        ck_assert_ptr_null(store_userns_key_pod("/tank/v1/userns/Web"));
        ck_assert_ptr_null(store_userns_key_pod("/tank/v1/pods/web"));
        ck_assert_int_eq(store_userns_key("../x", &key), -EINVAL);
}
END_TEST

START_TEST(test_lease_answers) {
        _cleanup_free_ char *e = NULL, *body = NULL;
        int64_t id = 0, ttl = 0;
        const char *grant = "{\"header\":{\"revision\":\"1\"},\"ID\":\"7587899291647161861\",\"TTL\":\"3\"}";
        const char *alive = "{\"result\":{\"header\":{},\"ID\":\"7587899291647161861\",\"TTL\":\"3\"}}";
        const char *gone = "{\"result\":{\"header\":{},\"ID\":\"7587899291647161861\"}}";

        ck_assert_int_eq(store_lease_parse_grant(grant, strlen(grant), &id, &ttl, &e), 0);
        ck_assert_int_eq(id, INT64_C(7587899291647161861));
        ck_assert_int_eq(ttl, 3);
        ck_assert_int_eq(store_lease_parse_keepalive(alive, strlen(alive), id, &ttl, &e), 0);
        ck_assert_int_eq(ttl, 3);
        ck_assert_int_eq(store_lease_parse_keepalive(gone, strlen(gone), id, &ttl, NULL), -ENOENT);
        /* another lease's answer, a grant without an ID or TTL, junk */
        ck_assert_int_eq(store_lease_parse_keepalive(alive, strlen(alive), 1, &ttl, NULL), -EBADMSG);
        ck_assert_int_eq(store_lease_parse_grant("{\"TTL\":\"3\"}", 11, &id, &ttl, NULL), -EBADMSG);
        ck_assert_int_eq(store_lease_parse_grant("{\"ID\":\"5\"}", 10, &id, &ttl, NULL), -EBADMSG);
        ck_assert_int_eq(store_lease_parse_grant("{\"ID\":\"x\",\"TTL\":\"3\"}", 20, &id, &ttl, NULL), -EBADMSG);
        ck_assert_int_eq(store_lease_parse_keepalive("[]", 2, 5, &ttl, NULL), -EBADMSG);
        ck_assert_int_eq(store_lease_request_put("/a", "x", 1, 42, &body), 0);
        ck_assert_str_eq(body, "{\"key\":\"L2E=\",\"value\":\"eA==\",\"lease\":\"42\"}");
        ck_assert_int_eq(store_lease_request_put("/a", "x", 1, 0, &body), -EINVAL);
}
END_TEST

START_TEST(test_node_records) {
        _cleanup_free_ char *json = NULL, *key = NULL, *key2 = NULL, *e = NULL;
        char *labels[] = { (char *) "zone=a", (char *) "tank.io/role=", NULL };
        NodeRecord in = {
                .name = (char *) "n-1", .labels = labels, .cpus = 2, .memory_bytes = UINT64_C(8) << 30,
                .version = (char *) "0.1", .boot_id = (char *) "abc-def", .started_usec = 1700000000000000,
        }, out = {};

        ck_assert_int_eq(node_record_format(&in, &json), 0);
        ck_assert_str_eq(json, "{\"name\":\"n-1\",\"labels\":{\"zone\":\"a\",\"tank.io/role\":\"\"},"
                         "\"capacity\":{\"cpus\":2,\"memory_bytes\":8589934592},\"version\":\"0.1\","
                         "\"boot_id\":\"abc-def\",\"started_usec\":1700000000000000}");
        ck_assert_int_eq(node_record_parse(json, strlen(json), &out, &e), 0);
        ck_assert_str_eq(out.name, "n-1");
        ck_assert(strv_equal(out.labels, labels));
        ck_assert_uint_eq(out.memory_bytes, UINT64_C(8) << 30);
        ck_assert_uint_eq(out.started_usec, 1700000000000000);
        node_record_done(&out);

        /* unknown fields are a newer tankd's: ignored */
        ck_assert_int_eq(node_record_parse("{\"name\":\"a\",\"zones\":[1]}", 24, &out, NULL), 0);
        node_record_done(&out);
        ck_assert_int_eq(node_record_parse("{\"name\":\"A\"}", 12, &out, NULL), -EBADMSG);
        ck_assert_int_eq(node_record_parse("{\"name\":\"a\",\"labels\":{\"-x\":\"1\"}}", 32, &out, NULL), -EBADMSG);
        ck_assert_int_eq(node_record_parse("{\"name\":\"a\",\"capacity\":{\"cpus\":-1}}", 35, &out, NULL), -EBADMSG);
        ck_assert_int_eq(node_record_parse("{\"name\":", 8, &out, NULL), -EBADMSG);

        /* The host facts: round trip; hostile names refused; absent: not known. */
        {
                _cleanup_free_ char *j = NULL;
                char *ifs[] = { (char *) "eth0", (char *) "eth1", NULL };
                NodeRecord f = { .name = (char *) "n-1", .has_facts = true, .interfaces = ifs, .uplink = (char *) "eth0" };
                const char *bad = "{\"name\":\"a\",\"interfaces\":[\"../x\"]}";
                const char *bad2 = "{\"name\":\"a\",\"interfaces\":[],\"uplink\":\"a b\"}";

                ck_assert_int_eq(node_record_format(&f, &j), 0);
                ck_assert_ptr_nonnull(strstr(j, ",\"interfaces\":[\"eth0\",\"eth1\"],\"uplink\":\"eth0\"}"));
                ck_assert_int_eq(node_record_parse(j, strlen(j), &out, &e), 0);
                ck_assert(out.has_facts);
                ck_assert(strv_equal(out.interfaces, ifs));
                ck_assert_str_eq(out.uplink, "eth0");
                node_record_done(&out);
                ck_assert_int_eq(node_record_parse(json, strlen(json), &out, &e), 0);
                ck_assert(!out.has_facts);
                node_record_done(&out);
                ck_assert_int_eq(node_record_parse(bad, strlen(bad), &out, NULL), -EBADMSG);
                ck_assert_int_eq(node_record_parse(bad2, strlen(bad2), &out, NULL), -EBADMSG);
        }

        ck_assert_int_eq(store_node_key("n-1", &key), 0);
        ck_assert_str_eq(key, "/tank/v1/nodes/n-1");
        ck_assert_str_eq(store_node_key_name(key), "n-1");
        ck_assert_ptr_null(store_node_key_name("/tank/v1/nodes/N"));
        ck_assert_str_eq(store_cordon_key_name("/tank/v1/cordoned/n-1"), "n-1");
        ck_assert_int_eq(store_cordon_key("bad name", &key2), -EINVAL);
}
END_TEST


/* store_txn(): the body etcd's gateway takes, and the answer with the kvs of
 * the branch's range ops. */
START_TEST(test_txn_ops) {
        _cleanup_free_ char *a = NULL, *b = NULL;
        StoreCompare cmp[] = {
                { .key = "a", .target = STORE_COMPARE_CREATE, .result = STORE_COMPARE_EQUAL, .number = 0 },
                { .key = "b", .target = STORE_COMPARE_MOD, .result = STORE_COMPARE_NOT_EQUAL, .number = 7 },
                { .key = "a", .target = STORE_COMPARE_VERSION, .result = STORE_COMPARE_GREATER, .number = 1 },
                { .key = "b", .target = STORE_COMPARE_VALUE, .result = STORE_COMPARE_LESS, .value = "x", .value_size = 1 },
        };
        StoreTxnOp ok[] = {
                { .type = STORE_TXN_PUT, .key = "a", .value = "b", .value_size = 1 },
                { .type = STORE_TXN_PUT, .key = "a", .value = "b", .value_size = 1, .lease = 5 },
                { .type = STORE_TXN_DELETE, .key = "b" },
        };
        StoreTxnOp ko[] = { { .type = STORE_TXN_GET, .key = "a" } };
        StoreCompare bad_cmp = { .key = "a", .target = STORE_COMPARE_MOD, .number = -1 };
        StoreTxnOp bad_op = { .type = STORE_TXN_PUT, .key = "" };
        StoreTxnOp many[STORE_TXN_OPS_MAX + 1];
        StoreResult res = {};
        char *err = NULL, *x = NULL;

        ck_assert_int_eq(etcd_request_txn_ops(&(StoreTxn) { cmp, 4, ok, 3, ko, 1 }, &a), 0);
        ck_assert_str_eq(a, "{\"compare\":["
                         "{\"key\":\"YQ==\",\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\"},"
                         "{\"key\":\"Yg==\",\"target\":\"MOD\",\"result\":\"NOT_EQUAL\",\"mod_revision\":\"7\"},"
                         "{\"key\":\"YQ==\",\"target\":\"VERSION\",\"result\":\"GREATER\",\"version\":\"1\"},"
                         "{\"key\":\"Yg==\",\"target\":\"VALUE\",\"result\":\"LESS\",\"value\":\"eA==\"}],"
                         "\"success\":[{\"request_put\":{\"key\":\"YQ==\",\"value\":\"Yg==\"}},"
                         "{\"request_put\":{\"key\":\"YQ==\",\"value\":\"Yg==\",\"lease\":\"5\"}},"
                         "{\"request_delete_range\":{\"key\":\"Yg==\"}}],"
                         "\"failure\":[{\"request_range\":{\"key\":\"YQ==\"}}]}");
        /* no failure ops, no compares */
        ck_assert_int_eq(etcd_request_txn_ops(&(StoreTxn) { .success = ok, .n_success = 1 }, &b), 0);
        ck_assert_str_eq(b, "{\"compare\":[],\"success\":[{\"request_put\":{\"key\":\"YQ==\",\"value\":\"Yg==\"}}],"
                         "\"failure\":[]}");
        ck_assert_int_eq(etcd_request_txn_ops(&(StoreTxn) { .compare = &bad_cmp, .n_compare = 1 }, &x), -EINVAL);
        ck_assert_int_eq(etcd_request_txn_ops(&(StoreTxn) { .success = &bad_op, .n_success = 1 }, &x), -EINVAL);
        ck_assert_int_eq(etcd_request_txn_ops(&(StoreTxn) { .n_success = 1 }, &x), -EINVAL);
        for (size_t i = 0; i < ELEMENTSOF(many); i++)
                many[i] = (StoreTxnOp) { .type = STORE_TXN_DELETE, .key = "a" };
        ck_assert_int_eq(etcd_request_txn_ops(&(StoreTxn) { .success = many, .n_success = ELEMENTSOF(many) }, &x),
                         -EINVAL);
        ck_assert_ptr_null(x);

        /* a failed compare: the kvs of both range ops, an absent key adds none */
        ck_assert_int_eq(parse(ETCD_OP_TXN_OPS, "{\"header\":{\"revision\":\"9\"},\"responses\":["
                               "{\"response_range\":{\"header\":{\"revision\":\"9\"},\"kvs\":[{\"key\":\"YQ==\","
                               "\"create_revision\":\"2\",\"mod_revision\":\"3\",\"version\":\"1\",\"value\":\"Yg==\"}]}},"
                               "{\"response_range\":{\"header\":{\"revision\":\"9\"}}},"
                               "{\"response_range\":{\"kvs\":[{\"key\":\"Yg==\",\"create_revision\":\"4\","
                               "\"mod_revision\":\"5\",\"version\":\"1\"}]}}]}", &res, &err), 0);
        ck_assert(!res.succeeded);
        ck_assert_uint_eq(res.n_kvs, 2);
        ck_assert_str_eq(res.kvs[0].key, "a");
        ck_assert_int_eq(res.kvs[0].mod_revision, 3);
        ck_assert_str_eq(res.kvs[1].key, "b");
        ck_assert_int_eq(res.kvs[1].mod_revision, 5);
        store_result_done(&res);
        ck_assert_int_eq(parse(ETCD_OP_TXN_OPS, "{\"header\":{\"revision\":\"10\"},\"succeeded\":true,\"responses\":["
                               "{\"response_put\":{}},{\"response_put\":{}},{\"response_delete_range\":{\"deleted\":\"1\"}}]}",
                               &res, &err), 0);
        ck_assert(res.succeeded);
        ck_assert_int_eq(res.revision, 10);
        ck_assert_uint_eq(res.n_kvs, 0);
        store_result_done(&res);
        ck_assert_int_eq(parse(ETCD_OP_TXN_OPS, "{\"header\":{\"revision\":\"10\"},\"succeeded\":\"yes\"}", &res, &err),
                         -EBADMSG);
        err = mfree(err);
        ck_assert_int_eq(parse(ETCD_OP_TXN_OPS, "{\"header\":{\"revision\":\"10\"},\"responses\":{}}", &res, &err),
                         -EBADMSG);
        err = mfree(err);
}
END_TEST

START_TEST(test_status_values) {
        static const char * const bad[] = {
                "{\"node\":\"b\",\"phase\":\"flying\",\"ready\":0,\"containers\":1,\"restarts\":0,\"updated_usec\":1}",
                "{\"node\":\"B\",\"phase\":\"running\",\"ready\":0,\"containers\":1,\"restarts\":0,\"updated_usec\":1}",
                "{\"node\":\"b\",\"phase\":\"running\",\"ready\":2,\"containers\":1,\"restarts\":0,\"updated_usec\":1}",
                "{\"node\":\"b\",\"phase\":\"running\",\"ready\":-1,\"containers\":1,\"restarts\":0,\"updated_usec\":1}",
                "{\"node\":\"b\",\"phase\":\"running\",\"ready\":0,\"containers\":1,\"restarts\":0}",
                "[1]",
                "{\"node\":",
        };
        _cleanup_free_ char *k = NULL, *json = NULL;
        _cleanup_(pod_status_record_done) PodStatusRecord r = {};
        PodStatusRecord in = { .node = (char *) "b", .phase = (char *) "running", .ready = 1, .containers = 2,
                               .restarts = 3, .updated_usec = 42 };

        ck_assert_int_eq(store_status_key("web", &k), 0);
        ck_assert_str_eq(k, "/tank/v1/status/web");
        ck_assert_str_eq(store_status_key_pod("/tank/v1/status/web"), "web");
        ck_assert_ptr_null(store_status_key_pod("/tank/v1/status/We"));
        ck_assert_int_eq(pod_status_record_format(&in, &json), 0);
        ck_assert_int_eq(pod_status_record_parse(json, strlen(json), &r, NULL), 0);
        ck_assert_str_eq(r.node, "b");
        ck_assert_str_eq(r.phase, "running");
        ck_assert_uint_eq(r.ready, 1);
        ck_assert_uint_eq(r.containers, 2);
        ck_assert_uint_eq(r.restarts, 3);
        ck_assert_uint_eq(r.updated_usec, 42);
        in.phase = (char *) "flying";
        ck_assert_int_eq(pod_status_record_format(&in, &json), -EINVAL);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *err = NULL;
                PodStatusRecord x = {};

                ck_assert_int_eq(pod_status_record_parse(bad[i], strlen(bad[i]), &x, &err), -EBADMSG);
                ck_assert_ptr_nonnull(err);
                ck_assert_ptr_null(x.node);
        }
}
END_TEST

START_TEST(test_binding_values) {
        _cleanup_free_ char *k = NULL, *pfx = NULL, *bk = NULL, *uk = NULL, *v = NULL, *u = NULL, *node = NULL,
                *pod = NULL, *reason = NULL, *err = NULL, *bn = NULL;
        _cleanup_(binding_record_done) BindingRecord b = {};
        StoreTxnOp ops[4];
        char *strings[5], *x = NULL;
        const char *bad = "{\"node\":\"B\",\"pod\":\"web\",\"bound_usec\":1}";
        const char *ctl = "{\"reason\":\"a\\nb\",\"since_usec\":5}";
        uint64_t since;
        size_t n;

        ck_assert_int_eq(store_binding_key("b", "web", &k), 0);
        ck_assert_str_eq(k, "/tank/v1/bindings/b/web");
        ck_assert_int_eq(store_bindings_node_prefix("b", &pfx), 0);
        ck_assert_str_eq(pfx, "/tank/v1/bindings/b/");
        ck_assert_int_eq(store_bound_key("web", &bk), 0);
        ck_assert_str_eq(bk, "/tank/v1/bound/web");
        ck_assert_int_eq(store_unschedulable_key("web", &uk), 0);
        ck_assert_str_eq(uk, "/tank/v1/unschedulable/web");
        ck_assert_int_eq(store_binding_key("B", "web", &x), -EINVAL);
        ck_assert_int_eq(store_binding_key("b", "a/b", &x), -EINVAL);
        ck_assert_ptr_null(x);
        ck_assert_str_eq(store_bound_key_pod("/tank/v1/bound/web"), "web");
        ck_assert_ptr_null(store_bound_key_pod("/tank/v1/bound/We"));
        ck_assert_str_eq(store_unschedulable_key_pod("/tank/v1/unschedulable/web"), "web");
        ck_assert_int_eq(store_binding_key_parse("/tank/v1/bindings/b/web", &node, &pod), 0);
        ck_assert_str_eq(node, "b");
        ck_assert_str_eq(pod, "web");
        ck_assert_int_eq(store_binding_key_parse("/tank/v1/bindings/b/web/x", NULL, NULL), -EINVAL);
        ck_assert_int_eq(store_binding_key_parse("/tank/v1/bindings/web", NULL, NULL), -EINVAL);

        ck_assert_int_eq(binding_record_format("b", "web", 1234, &v), 0);
        ck_assert_str_eq(v, "{\"node\":\"b\",\"pod\":\"web\",\"bound_usec\":1234}");
        ck_assert_int_eq(binding_record_parse(v, strlen(v), &b, &err), 0);
        ck_assert_str_eq(b.node, "b");
        ck_assert_str_eq(b.pod, "web");
        ck_assert_uint_eq(b.bound_usec, 1234);
        binding_record_done(&b);
        ck_assert_int_eq(binding_record_parse(bad, strlen(bad), &b, &err), -EBADMSG);
        ck_assert_str_eq(err, "node: expected a node name");
        err = mfree(err);
        ck_assert_int_eq(binding_record_parse("[]", 2, &b, &err), -EBADMSG);
        err = mfree(err);

        ck_assert_int_eq(bound_value_parse("b", 1, &bn), 0);
        ck_assert_str_eq(bn, "b");
        ck_assert_int_eq(bound_value_parse("b\0", 2, &x), -EBADMSG);
        ck_assert_int_eq(bound_value_parse("", 0, &x), -EBADMSG);
        ck_assert_int_eq(bound_value_parse("B", 1, &x), -EBADMSG);

        ck_assert_int_eq(unschedulable_format("node b is not registered", 5, &u), 0);
        ck_assert_str_eq(u, "{\"reason\":\"node b is not registered\",\"since_usec\":5}");
        ck_assert_int_eq(unschedulable_parse(u, strlen(u), &reason, &since, &err), 0);
        ck_assert_str_eq(reason, "node b is not registered");
        ck_assert_uint_eq(since, 5);
        ck_assert_int_eq(unschedulable_parse(ctl, strlen(ctl), NULL, NULL, &err), -EBADMSG);
        err = mfree(err);

        ck_assert_int_eq(store_bind_ops("b", "web", "a", 7, ops, &n, strings), 0);
        ck_assert_uint_eq(n, 4);
        ck_assert_int_eq(ops[0].type, STORE_TXN_PUT);
        ck_assert_str_eq(ops[0].key, "/tank/v1/bindings/b/web");
        ck_assert_str_eq(ops[1].key, "/tank/v1/bound/web");
        ck_assert_mem_eq(ops[1].value, "b", 1);
        ck_assert_int_eq(ops[2].type, STORE_TXN_DELETE);
        ck_assert_str_eq(ops[2].key, "/tank/v1/unschedulable/web");
        ck_assert_str_eq(ops[3].key, "/tank/v1/bindings/a/web");
        for (size_t i = 0; i < 5; i++)
                free(strings[i]);
        ck_assert_int_eq(store_bind_ops("b", "web", NULL, 7, ops, &n, strings), 0);
        ck_assert_uint_eq(n, 3);
        for (size_t i = 0; i < 5; i++)
                free(strings[i]);
}
END_TEST

int main(void) {
        Suite *s = suite_create("store");
        TCase *tc = tcase_create("pure");

        tcase_add_test(tc, test_base64_vectors);
        tcase_add_test(tc, test_base64_roundtrip);
        tcase_add_test(tc, test_base64_invalid);
        tcase_add_test(tc, test_stream_byte_by_byte);
        tcase_add_test(tc, test_stream_hostile);
        tcase_add_test(tc, test_requests);
        tcase_add_test(tc, test_parse_good);
        tcase_add_test(tc, test_parse_hostile);
        tcase_add_test(tc, test_parse_watch);
        tcase_add_test(tc, test_userns_values);
        tcase_add_test(tc, test_lease_answers);
        tcase_add_test(tc, test_node_records);
        tcase_add_test(tc, test_txn_ops);
        tcase_add_test(tc, test_binding_values);
        tcase_add_test(tc, test_status_values);
        suite_add_tcase(s, tc);

        return check_run(s);
}
