#!/usr/bin/env bash
# Installs what the tests need and runs them all: the README's second command.
# As root it installs missing Debian packages itself; otherwise it prints the command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the test peers come from: "package:file-that-proves-it-is-installed".
REQUIRED=(
  "slapd:/usr/sbin/slapd"
  "ldap-utils:/usr/bin/ldapsearch"
  "openssl:/usr/bin/openssl"
  "golang-go:/usr/bin/go"
  "golang-github-coreos-go-oidc-dev:/usr/share/gocode/src/github.com/coreos/go-oidc"
  "oidc-agent-cli:/usr/bin/oidc-gen"
  "chromium:/usr/bin/chromium"
  "docker-compose:/usr/bin/docker-compose"
)

# The PostgreSQL server binaries (initdb, pg_ctl) are needed even when a server answers on
# 5432: the outage and HA fault tests start, stop and restart a cluster of their own.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  REQUIRED+=("postgresql:/usr/lib/postgresql")
fi

missing=()
for entry in "${REQUIRED[@]}"; do
  pkg="${entry%%:*}"
  file="${entry#*:}"
  [ -e "$file" ] || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "test-all: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test-all: missing Debian packages. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

# Debian starts slapd as a system service on install; the tests run their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet slapd 2>/dev/null; then
  systemctl stop slapd || true
fi

npm ci --no-audit --no-fund
npm run build
npm run lint
npm test
