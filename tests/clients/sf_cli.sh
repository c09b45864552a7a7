#!/usr/bin/env bash
# The Salesforce CLI (`sf`, on Node 22 from the npm registry) against the simulated org, through a
# loopback proxy that refuses every host but the simulator: `sf` retries a failed login against
# Salesforce's public hosts on its own, and no test may send traffic off loopback.
# Called by tests/clients/run with SIM_JSON, CLIENTS_SF_DIR (the install) and ROWS (the rows file).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$CLIENTS_SF_DIR/node_modules/.bin"
work="$(mktemp -d)"
proxy_pid=""
cleanup() {
  if [[ -n "$proxy_pid" ]]; then kill -TERM "$proxy_pid" 2>/dev/null || true; wait "$proxy_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

read -r inst port ca < <(python3 -c 'import json,sys,urllib.parse as u; d=json.load(open(sys.argv[1])); print(d["instance_url"], u.urlsplit(d["instance_url"]).port, d["ca_file"])' "$SIM_JSON")
python3 "$here/loopback_proxy.py" "$port" >"$work/proxy.port" 2>"$work/proxy.log" &
proxy_pid=$!
for _ in $(seq 1 50); do [[ -s "$work/proxy.port" ]] && break; sleep 0.1; done
proxy="http://127.0.0.1:$(cat "$work/proxy.port")"

token="$(python3 - "$SIM_JSON" <<'PY'
import json, ssl, sys, urllib.parse, urllib.request
d = json.load(open(sys.argv[1]))
ctx = ssl.create_default_context(cafile=d["ca_file"])
form = urllib.parse.urlencode({"grant_type": "password", "client_id": d["client_id"],
    "client_secret": d["client_secret"], "username": d["username"], "password": d["password"]}).encode()
print(json.load(urllib.request.urlopen(d["login_url"] + "/services/oauth2/token", form, context=ctx))["access_token"])
PY
)"

export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share" XDG_CACHE_HOME="$work/home/.cache"
mkdir -p "$HOME"
export SF_DISABLE_TELEMETRY=true SF_AUTOUPDATE_DISABLE=true SF_SKIP_NEW_VERSION_CHECK=true \
  SF_USE_GENERIC_UNIX_KEYCHAIN=true SF_DISABLE_DNS_CHECK=true
export HTTPS_PROXY="$proxy" HTTP_PROXY="$proxy" https_proxy="$proxy" http_proxy="$proxy" NO_PROXY= no_proxy=
export NODE_EXTRA_CA_CERTS="$ca" PATH="$bin:$PATH"
version="$(sf --version 2>/dev/null | awk '{print $1}' | sed 's#@salesforce/cli/#sf #')"
[[ -n "$version" ]] || version="sf"

# row CALL CHECK -- sf ARGS...: runs sf --json and applies CHECK (python over `d`, the JSON).
row() {
  local call="$1" check="$2"; shift 3
  local out detail
  out="$(timeout 180 sf "$@" --json 2>/dev/null)"
  if detail="$(python3 -c "import json,sys; d=json.loads(sys.stdin.read()); assert d.get('status')==0, d.get('message'); print($check)" <<<"$out" 2>&1)"; then
    echo "$version|$call|PASS|${detail//|/ }" >>"$ROWS"
  else
    echo "$version|$call|FAIL|$(tail -1 <<<"$detail" | cut -c1-160)" >>"$ROWS"
  fi
}
SF_ACCESS_TOKEN="$token" row "org login access-token" "d['result']['orgId']" -- \
  org login access-token --instance-url "$inst" --no-prompt --alias sim
row "org display" "d['result']['connectedStatus']" -- org display --target-org sim
row "data query (paging, Team Member)" "str(d['result']['totalSize']) + ' records, ' + str(len(d['result']['records'])) + ' fetched'" -- \
  data query --query "SELECT Id, Name FROM fHCM2__Team_Member__c" --target-org sim
row "data query --use-tooling-api" "str(d['result']['totalSize']) + ' package(s)'" -- \
  data query --use-tooling-api --query "SELECT Id, SubscriberPackage.Name FROM InstalledSubscriberPackage" --target-org sim
row "limits api display" "[l for l in d['result'] if l['name']=='DailyApiRequests'][0]['max']" -- \
  limits api display --target-org sim
row "org open --url-only (singleaccess)" "'frontdoor.jsp' in d['result']['url']" -- \
  org open --target-org sim --url-only
tunnelled="$(grep -c 'tunnelled' "$work/proxy.log" || true)"
refused="$(grep -c 'refused' "$work/proxy.log" || true)"
echo "$version|no traffic off loopback|PASS|$tunnelled connection(s) through the loopback proxy to the simulator, $refused refused" >>"$ROWS"
