# SPDX-License-Identifier: LGPL-2.1-or-later
# Registry fixtures for system tests (sourced, bash). Loopback only.
#
#   registry_start_with_busybox [PORT]   start docker-registry on 127.0.0.1:PORT
#                                        (default 5000) and push
#                                        127.0.0.1:PORT/tank/busybox:latest
#                                        (static busybox, applet symlinks, Cmd ["sh"])
#   reg_start NAME PORT [AUTH_YAML]      another registry instance on the same storage
#   reg_mkimage OUT ARGS...              build an OCI layout (see reg_mkimage_py)
#   reg_push OCI_DIR REPO:TAG [PORT]     skopeo copy --all into the registry
#   reg_proxy_start PORT UPSTREAM_PORT   fault-injecting proxy; reg_proxy_mode PORT MODE
#   reg_token_start PORT                 JWT token issuer for `auth: token`
#   reg_cleanup                          stop everything started here
# Everything lives under $REG_DIR (a temp dir unless set).

REG_PY=${REG_PY:-/usr/bin/python3}
REG_DIR=${REG_DIR:-$(mktemp -d /tmp/tank-registry.XXXXXX)}
REG_PIDS=()

reg_log() { echo "registry-lib: $*" >&2; }

reg_wait_port() {
        local port=$1 i
        for i in $(seq 1 100); do
                if curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then
                        return 0
                fi
                sleep 0.1
        done
        reg_log "nothing listens on 127.0.0.1:$port"
        return 1
}

# reg_start NAME PORT [AUTH_YAML]: all instances share $REG_DIR/storage.
reg_start() {
        local name=$1 port=$2 auth=${3:-}
        # Debian's docker-registry.service (port 5000, htpasswd) must not answer
        # in our place: the sandbox masks it; anywhere else, refuse to guess.
        if curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then
                reg_log "127.0.0.1:$port is already in use (docker-registry.service? mask it in the sandbox)"
                return 1
        fi
        mkdir -p "$REG_DIR/storage"
        cat >"$REG_DIR/$name.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REG_DIR/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: tank-test-secret
$auth
EOF
        docker-registry serve "$REG_DIR/$name.yml" >"$REG_DIR/$name.log" 2>&1 &
        REG_PIDS+=($!)
        reg_wait_port "$port"
}

reg_cleanup() {
        local p
        for p in "${REG_PIDS[@]}"; do
                kill "$p" 2>/dev/null
        done
        for p in "${REG_PIDS[@]}"; do
                wait "$p" 2>/dev/null
        done
        REG_PIDS=()
}

# reg_mkimage OUT [--arch A[/V]]... [--layer DIR | --layer-tar FILE]... [--cmd sh] [--index]
# Builds an OCI layout in OUT with ref "latest". Files are root's in the layers
# made from a DIR, unless REG_KEEP_OWNERS=1 (then as on disk). One --arch: an image manifest;
# several (or --index): an image index with one manifest per arch, sharing layers.
reg_mkimage() {
        "$REG_PY" - "$@" <<'PYEOF'
import gzip, hashlib, io, json, os, sys, tarfile

args = sys.argv[1:]
out = args.pop(0)
arches, layers, cmd, force_index, user = [], [], ["sh"], False, None
while args:
    a = args.pop(0)
    if a == "--arch": arches.append(args.pop(0))
    elif a == "--layer": layers.append(args.pop(0))
    elif a == "--layer-tar": layers.append(("tar", args.pop(0)))   # a tar file as it is (hostile tests)
    elif a == "--cmd": cmd = args.pop(0).split()
    elif a == "--index": force_index = True
    elif a == "--user": user = args.pop(0)
    else: sys.exit("reg_mkimage: unknown argument " + a)
arches = arches or ["amd64"]
os.makedirs(out + "/blobs/sha256", exist_ok=True)

def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(out + "/blobs/sha256/" + d, "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)

def tar_dir(root):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(dirnames + filenames):
                p = os.path.join(dirpath, name)
                ti = t.gettarinfo(p, os.path.relpath(p, root))
                if os.environ.get("REG_KEEP_OWNERS") != "1":
                    ti.uid = ti.gid = 0
                    ti.uname = ti.gname = "root"
                else:
                    ti.uname = ti.gname = ""
                ti.mtime = 0
                if ti.isreg():
                    with open(p, "rb") as f:
                        t.addfile(ti, f)
                else:
                    t.addfile(ti)
    return buf.getvalue()

descs, diff_ids = [], []
for l in layers:
    if isinstance(l, tuple):
        with open(l[1], "rb") as f:
            raw = f.read()
    else:
        raw = tar_dir(l)
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    gz = gzip.compress(raw, compresslevel=6, mtime=0)
    d, n = put(gz)
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n})

manifests = []
for a in arches:
    arch, _, variant = a.partition("/")
    cfg = {"architecture": arch, "os": "linux",
           "config": {"Cmd": cmd, "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                      "WorkingDir": "/"},
           "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    if variant: cfg["variant"] = variant
    if user: cfg["config"]["User"] = user
    cd, cn = put(json.dumps(cfg, sort_keys=True).encode())
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
         "layers": descs}
    md, mn = put(json.dumps(m).encode())
    plat = {"architecture": arch, "os": "linux"}
    if variant: plat["variant"] = variant
    manifests.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": mn,
                      "platform": plat})

if len(manifests) == 1 and not force_index:
    top = dict(manifests[0]); top.pop("platform")
else:
    idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}
    d, n = put(json.dumps(idx).encode())
    top = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": d, "size": n}
top["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
with open(out + "/index.json", "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [top]}, f)
with open(out + "/oci-layout", "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
print(top["digest"])
PYEOF
}

# A root filesystem with a static busybox and its applets as symlinks.
reg_busybox_rootfs() {
        local root=$1 bb a
        bb=$(command -v busybox)
        mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
        cp "$bb" "$root/bin/busybox"
        for a in $("$bb" --list); do
                [ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
        done
        printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/:/bin/sh\n' >"$root/etc/passwd"
        printf 'root:x:0:\napp:x:1000:\n' >"$root/etc/group"
        echo "tank test image" >"$root/etc/tank-release"
}

reg_push() {
        local dir=$1 dest=$2 port=${3:-5000}
        skopeo copy --quiet --all --dest-tls-verify=false \
                "oci:$dir:latest" "docker://127.0.0.1:$port/$dest" >"$REG_DIR/push.log" 2>&1 || {
                cat "$REG_DIR/push.log" >&2
                return 1
        }
}

registry_start_with_busybox() {
        local port=${1:-5000}
        reg_start main "$port" || return 1
        rm -rf "$REG_DIR/busybox-root" "$REG_DIR/busybox-oci"
        reg_busybox_rootfs "$REG_DIR/busybox-root"
        reg_mkimage "$REG_DIR/busybox-oci" --layer "$REG_DIR/busybox-root" >/dev/null || return 1
        reg_push "$REG_DIR/busybox-oci" tank/busybox:latest "$port" || return 1
        # The same image running as the unprivileged user "app" (uid 1000).
        reg_mkimage "$REG_DIR/busybox-user-oci" --layer "$REG_DIR/busybox-root" --user app >/dev/null || return 1
        reg_push "$REG_DIR/busybox-user-oci" tank/busybox-user:latest "$port"
}

# reg_proxy_start PORT UPSTREAM_PORT: a proxy whose behaviour is set with
# reg_proxy_mode PORT MODE (read per request):
#   pass | 500:N | 429:N (Retry-After: 1) | tamper-blob |
#   tamper-manifest (body changed, Docker-Content-Digest kept) |
#   hang:N (first N object requests get no answer for 30 s) |
#   redirect:PORT (blob GETs -> 307 to 127.0.0.2:PORT) | slow (blobs at ~200 KiB/s) |
#   grow-blob (1 MiB of zeros appended to blob bodies over 64 KiB: layers, not configs)
# Every request line and its Authorization header (present or not) is appended
# to $REG_DIR/proxy-PORT.requests.
reg_proxy_mode() { echo "$2" >"$REG_DIR/proxy-$1.mode"; }
reg_proxy_start() {
        local port=$1 upstream=$2 bind=${3:-127.0.0.1}
        reg_proxy_mode "$port" pass
        : >"$REG_DIR/proxy-$port.requests"
        "$REG_PY" - "$bind" "$port" "$upstream" "$REG_DIR/proxy-$port.mode" "$REG_DIR/proxy-$port.requests" \
                >"$REG_DIR/proxy-$port.log" 2>&1 <<'PYEOF' &
import http.client, http.server, sys, threading, time

bind, port, upstream, modefile, reqlog = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
lock = threading.Lock()
state = {"mode": None, "count": 0}

def mode():
    with open(modefile) as f:
        m = f.read().strip()
    with lock:
        if m != state["mode"]:
            state["mode"], state["count"] = m, 0
        state["count"] += 1
        return m, state["count"]

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers: self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(body)
    def do_HEAD(self): self.do_GET()
    def do_GET(self):
        with lock, open(reqlog, "a") as f:
            f.write("%s %s auth=%s\n" % (self.command, self.path, "yes" if self.headers.get("Authorization") else "no"))
        m, n = mode()
        is_obj = self.path.startswith("/v2/") and self.path != "/v2/"
        is_blob = "/blobs/" in self.path
        if m.startswith("500:") and is_obj and n <= int(m[4:]):
            return self.reply(500, b'{"errors":[{"code":"UNKNOWN","message":"injected"}]}')
        if m.startswith("hang:") and is_obj and n <= int(m[5:]):
            time.sleep(30)
            self.close_connection = True
            return
        if m.startswith("429:") and is_obj and n <= int(m[4:]):
            return self.reply(429, b"slow down", [("Retry-After", "1")])
        if m.startswith("redirect:") and is_blob and self.command == "GET":
            return self.reply(307, b"", [("Location", "http://127.0.0.2:%s%s" % (m[9:], self.path))])
        c = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        c.request(self.command, self.path, headers=hdrs)
        r = c.getresponse()
        body = r.read()
        if m == "tamper-blob" and is_blob and r.status == 200 and body:
            body = bytes([body[0] ^ 1]) + body[1:]
        if m == "grow-blob" and is_blob and r.status == 200 and len(body) > 65536:
            body = body + bytes(1048576)
        if m == "tamper-manifest" and "/manifests/" in self.path and r.status == 200 and body:
            body = body.replace(b'"schemaVersion"', b' "schemaVersion"', 1)
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() in ("content-length", "connection", "transfer-encoding"): continue
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD": return
        if m == "slow" and is_blob:
            for i in range(0, len(body), 20480):
                self.wfile.write(body[i:i + 20480]); self.wfile.flush(); time.sleep(0.1)
        else:
            self.wfile.write(body)

http.server.ThreadingHTTPServer((bind, port), H).serve_forever()
PYEOF
        REG_PIDS+=($!)
        local i
        for i in $(seq 1 100); do
                curl -s -o /dev/null "http://$bind:$port/v2/" && return 0
                sleep 0.1
        done
        reg_log "proxy on $bind:$port did not start"
        return 1
}

# reg_token_start PORT [USER:PASS]: token issuer; writes $REG_DIR/token.{key,crt}.
# With USER:PASS it requires those Basic credentials, else it is anonymous.
# Writes the registry auth YAML to use to $REG_DIR/token-PORT.yml (not printed:
# call it directly, not in $(...), so that cleanup knows the issuer's pid).
reg_token_start() {
        local port=$1 creds=${2:-}
        [ -s "$REG_DIR/token.crt" ] ||
                openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=tank-test-token" \
                        -keyout "$REG_DIR/token.key" -out "$REG_DIR/token.crt" >/dev/null 2>&1 || return 1
        : >"$REG_DIR/token-$port.requests"
        "$REG_PY" - "$port" "$REG_DIR/token.key" "$REG_DIR/token.crt" "$creds" "$REG_DIR/token-$port.requests" \
                >"$REG_DIR/token-$port.log" 2>&1 <<'PYEOF' &
import base64, http.server, json, ssl, sys, time, urllib.parse, uuid
import jwt

port, keyfile, crtfile, creds, reqlog = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
key = open(keyfile).read()
der = ssl.PEM_cert_to_DER_cert(open(crtfile).read())
x5c = [base64.b64encode(der).decode()]

class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        auth = self.headers.get("Authorization", "")
        with open(reqlog, "a") as f:
            f.write("%s auth=%s\n" % (self.path, "yes" if auth else "no"))
        if creds and auth != "Basic " + base64.b64encode(creds.encode()).decode():
            self.send_response(401); self.send_header("Content-Length", "0"); self.end_headers(); return
        access = []
        for s in q.get("scope", []):
            typ, name, actions = s.split(":")
            access.append({"type": typ, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        tok = jwt.encode({"iss": "tank-test-issuer", "sub": "tank", "aud": q.get("service", [""])[0],
                          "exp": now + 300, "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()),
                          "access": access}, key, algorithm="RS256", headers={"x5c": x5c})
        body = json.dumps({"token": tok, "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PYEOF
        REG_PIDS+=($!)
        reg_wait_port "$port" || return 1
        cat >"$REG_DIR/token-$port.yml" <<EOF
auth:
  token:
    realm: http://127.0.0.1:$port/token
    service: tank-test-registry
    issuer: tank-test-issuer
    rootcertbundle: $REG_DIR/token.crt
EOF
}

# reg_htpasswd USER PASS: an htpasswd file (bcrypt) for `auth: htpasswd`.
reg_htpasswd() {
        "$REG_PY" -W ignore -c 'import crypt, sys
print("%s:%s" % (sys.argv[1], crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 5))))' "$1" "$2" \
                >"$REG_DIR/htpasswd"
        cat <<EOF
auth:
  htpasswd:
    realm: tank-test
    path: $REG_DIR/htpasswd
EOF
}
