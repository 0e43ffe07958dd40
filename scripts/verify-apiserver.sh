#!/usr/bin/env bash
# A manual check of sigil against a real kube-apiserver (not part of the test
# suite: no kube-apiserver can be installed by the suite). Give it the binaries:
#
#   KUBE_APISERVER=/path/to/kube-apiserver ETCD=/usr/bin/etcd bash scripts/verify-apiserver.sh
#
# It starts etcd, sigil (built dist/, PGlite, two static users) and kube-apiserver wired with the
# flags `sigil kube apiserver-config` prints, binds the role's group with RBAC, and walks one
# grant: before approval the person is forbidden, after approval and a refresh allowed, after
# the grant ends (its id_token's exp) refused and the next refresh forbidden again. Then, wired
# as for a `requireMFA` cluster, the API server refuses a password-only token by itself; last
# it prints `sigil audit`. Everything listens on 127.0.0.1 and is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${KUBE_APISERVER:?set KUBE_APISERVER to a kube-apiserver binary}"
ETCD=${ETCD:-etcd}
GRANT=${GRANT:-45s}
work=$(mktemp -d /tmp/sigil-apiserver.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
fail() { echo "  FAILED: $*" >&2; exit 1; }
node_bin=$(npm exec -c 'command -v node')

step "certificates and users in $work"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=verify-ca -keyout "$work/ca.key" \
  -out "$work/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$work/server.key" \
  -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$work/san.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
  -CAcreateserial -days 1 -extfile "$work/san.ext" -out "$work/server.crt" 2>/dev/null
openssl genrsa -out "$work/sa.key" 2048 2>/dev/null
openssl rsa -in "$work/sa.key" -pubout -out "$work/sa.pub" 2>/dev/null
hash() { "$node_bin" -e "import('bcryptjs').then(({default:b})=>console.log(b.hashSync(process.argv[1],10)))" "$1"; }
admin_token=$(openssl rand -hex 16)
echo "$admin_token,verify-admin,verify-admin,system:masters" >"$work/tokens.csv"
cat >"$work/sigil.yaml" <<YAML
issuer: https://localhost:15556
storage: { type: pglite, config: { dataDir: $work/data } }
web: { https: 127.0.0.1:15556, tlsCert: $work/server.crt, tlsKey: $work/server.key, tlsCA: $work/ca.crt }
logger: { level: warn }
enablePasswordDB: true
staticPasswords:
  - { username: alice, email: alice@example.com, userID: alice-1, hash: '$(hash alice-password-long)', groups: [developers] }
  - { username: bob, email: bob@example.com, userID: bob-1, hash: '$(hash bob-password-long)', groups: [sre] }
staticClients:
  - { id: kubernetes, public: true, passwordGrant: true }
clusters:
  - { name: verify, server: 'https://127.0.0.1:16443', clientID: kubernetes }
elevation:
  roles:
    - { name: cluster-admin, group: 'elevated:cluster-admin', eligible: [developers], maxDuration: 1h, approval: { approvers: [sre] }, requireMFA: false, clusters: [verify] }
YAML
sigil() { "$node_bin" dist/main.js "$@"; }
sigil config check "$work/sigil.yaml"

step "etcd, sigil, kube-apiserver"
"$ETCD" --data-dir "$work/etcd" --listen-client-urls http://127.0.0.1:23790 \
  --advertise-client-urls http://127.0.0.1:23790 --listen-peer-urls http://127.0.0.1:23800 \
  >"$work/etcd.log" 2>&1 &
pids+=($!)
"$node_bin" dist/main.js serve --config "$work/sigil.yaml" >"$work/sigil.log" 2>&1 &
sigil_pid=$!
pids+=($sigil_pid)
for _ in $(seq 60); do curl -sf --cacert "$work/ca.crt" https://localhost:15556/readyz >/dev/null && break; sleep 0.5; done
curl -sf --cacert "$work/ca.crt" https://localhost:15556/readyz >/dev/null || fail "sigil did not start: $(tail -3 "$work/sigil.log")"
kube() { curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "https://127.0.0.1:16443$2"; }
# kube-apiserver with the flags `sigil kube apiserver-config` prints for the config $1.
start_apiserver() {
  mapfile -t oidc_flags < <(sigil kube apiserver-config --config "$1" --cluster verify | tr -d "'")
  printf '  %s\n' "${oidc_flags[@]}"
  "$KUBE_APISERVER" --etcd-servers=http://127.0.0.1:23790 --bind-address=127.0.0.1 \
    --secure-port=16443 --cert-dir="$work/apiserver" --authorization-mode=RBAC \
    --token-auth-file="$work/tokens.csv" --service-account-key-file="$work/sa.pub" \
    --service-account-signing-key-file="$work/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc --service-cluster-ip-range=10.96.0.0/16 \
    "${oidc_flags[@]}" >>"$work/apiserver.log" 2>&1 &
  apiserver_pid=$!
  pids+=($apiserver_pid)
  for _ in $(seq 120); do [ "$(kube "$admin_token" /readyz)" = 200 ] && break; sleep 1; done
}
start_apiserver "$work/sigil.yaml"
"$KUBE_APISERVER" --version

step "RBAC: the role's group (with the cluster's groups prefix) is cluster-admin"
curl -sk -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' \
  https://127.0.0.1:16443/apis/rbac.authorization.k8s.io/v1/clusterrolebindings -d '{
  "metadata": {"name": "jit-cluster-admin"},
  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
  "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:elevated:cluster-admin"}]}' |
  jq -c '{name: .metadata.name, group: .subjects[0].name}'

S=https://localhost:15556
token() { curl -sf --cacert "$work/ca.crt" "$S/token" -d client_id=kubernetes "$@" || fail "POST /token $*"; }
login() { token -d grant_type=password -d "username=$1" -d "password=$2" -d 'scope=openid email groups'; }
claims() { jq -r .id_token | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null; }
apicall() {
  curl -sf --cacert "$work/ca.crt" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    "$S/api/v1$2" "${@:3}" || fail "POST /api/v1$2"
}
expect() { if [ "$2" = "$3" ]; then echo "  ok: $1 ($3)"; else fail "$1: expected $2, got $3"; fi; }

step "before approval: alice is forbidden"
alice=$(login alice alice-password-long)
# kube-apiserver fetches the issuer's discovery document in the background after it starts:
# until then every id_token is 401 (`oidc: authenticator not initialized`).
for _ in $(seq 60); do [ "$(kube "$(echo "$alice" | jq -r .id_token)" /api/v1/namespaces)" != 401 ] && break; sleep 1; done
expect "alice's id_token groups" '["developers"]' "$(echo "$alice" | claims | jq -c .groups)"
expect "GET /api/v1/namespaces as alice" 403 "$(kube "$(echo "$alice" | jq -r .id_token)" /api/v1/namespaces)"

step "alice asks (API, her own access token), bob approves"
req=$(apicall "$(echo "$alice" | jq -r .access_token)" /elevations -d "{\"role\":\"cluster-admin\",\"duration\":\"$GRANT\",\"reason\":\"INC-1234 etcd is full\"}")
id=$(echo "$req" | jq -r .id)
echo "  $(echo "$req" | jq -c '{id, state}')"
bob=$(login bob bob-password-long)
apicall "$(echo "$bob" | jq -r .access_token)" "/elevations/$id/approve" -d '{"comment":"go"}' | jq -c '{state, ends}'

step "after approval and a refresh: alice is allowed"
elevated=$(token -d grant_type=refresh_token -d "refresh_token=$(echo "$alice" | jq -r .refresh_token)")
echo "  id_token: $(echo "$elevated" | claims | jq -c '{groups, exp, jti}')"
expect "GET /api/v1/namespaces as alice" 200 "$(kube "$(echo "$elevated" | jq -r .id_token)" /api/v1/namespaces)"

step "after the grant ends: the elevated id_token has expired, the next one is forbidden"
exp=$(echo "$elevated" | claims | jq .exp)
while [ "$(date +%s)" -le "$exp" ]; do sleep 1; done
sleep 1
expect "the elevated id_token after its exp" 401 "$(kube "$(echo "$elevated" | jq -r .id_token)" /api/v1/namespaces)"
after=$(token -d grant_type=refresh_token -d "refresh_token=$(echo "$elevated" | jq -r .refresh_token)")
expect "groups after the end" '["developers"]' "$(echo "$after" | claims | jq -c .groups)"
expect "GET /api/v1/namespaces as alice" 403 "$(kube "$(echo "$after" | jq -r .id_token)" /api/v1/namespaces)"

step "requireMFA: the API server itself refuses a password-only token (--oidc-required-claim)"
# The cluster as sigil would describe it with requireMFA: true. sigil (still serving the config
# without it) issues alice a password-only token for this audience, as a misconfigured or
# compromised issuer might: the API server must refuse it on its own.
sed 's/clientID: kubernetes }/clientID: kubernetes, requireMFA: true }/' "$work/sigil.yaml" >"$work/sigil-mfa.yaml"
kill -TERM "$apiserver_pid" && wait "$apiserver_pid" || true
start_apiserver "$work/sigil-mfa.yaml"
pwd_only=$(login alice alice-password-long)
expect "the token's acr" '"urn:sigil:pwd"' "$(echo "$pwd_only" | claims | jq -c .acr)"
for _ in $(seq 60); do [ "$(kube "$(echo "$pwd_only" | jq -r .id_token)" /api/v1/namespaces)" = 401 ] && grep -q 'required claim acr' "$work/apiserver.log" && break; sleep 1; done
expect "GET /api/v1/namespaces with a password-only token" 401 "$(kube "$(echo "$pwd_only" | jq -r .id_token)" /api/v1/namespaces)"
echo "  kube-apiserver: $(grep -o 'required claim acr[^]]*' "$work/apiserver.log" | tail -1)"

step "sigil audit (after the sweeper's next pass, at most 30 s; sigil stopped first: the embedded database has one owner)"
sleep 31
kill -TERM "$sigil_pid" && wait "$sigil_pid" || true
sigil audit --config "$work/sigil.yaml" --event 'elevation.*'
sigil audit --config "$work/sigil.yaml" --event 'elevation.*' --json |
  jq -c 'select(.event == "elevation.approved" or .event == "elevation.token") | {event, details}'
echo
echo "verified against $("$KUBE_APISERVER" --version)"
