#!/bin/sh
# auth_e2e_test.sh <google_auth_e2e binary> <source dir of tests/google_cloud>
#
# Proves, end to end on loopback, that census's Google token source:
#  1. signs a JWT assertion that OpenSSL (`openssl dgst -sha256 -verify`, an implementation
#     independent of ours) and node crypto both accept for the test's freshly generated RSA key;
#  2. puts the right header (alg RS256, typ JWT, kid = the key's private_key_id) and claims (iss =
#     client_email, scope, aud = token_uri, iat ~ now, iat < exp <= iat + 3600) in it, and posts it
#     form-encoded with the jwt-bearer grant type;
#  3. reuses a token until near expiry, then refreshes it (counted by the server as well as by us);
#  4. reports a refused assertion (signed with another key) with the endpoint's own error;
#  5. gets tokens from a metadata server, always sending "Metadata-Flavor: Google".
set -eu
BIN=$1
SRC=$2
export NODE_PATH="${NODE_PATH:-$SRC/../interop/node_modules}"
TMP=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP/key.pem" 2>/dev/null
openssl pkey -in "$TMP/key.pem" -pubout -out "$TMP/pub.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP/other.pem" 2>/dev/null

TTL=4
cat > "$TMP/cfg.json" <<EOF
{"publicKeyFile": "$TMP/pub.pem", "tokenTtl": $TTL, "log": "$TMP/log.jsonl",
 "metadata": {"project/project-id": "meta-project"}}
EOF
node "$SRC/fake_google.js" "$TMP/cfg.json" > "$TMP/port" &
PID=$!
i=0; while [ ! -s "$TMP/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
PORT=$(head -n1 "$TMP/port")
[ -n "$PORT" ] || fail "fake server did not start"
URL="http://127.0.0.1:$PORT/token"
SCOPE="https://www.googleapis.com/auth/monitoring.write"

# Service-account key files, built with jq (private key as a JSON string).
mkkey() { # <pem> <out>
  jq -n --rawfile pk "$1" --arg uri "$URL" '{type: "service_account", project_id: "key-project",
    private_key_id: "kid-0123456789abcdef", private_key: $pk,
    client_email: "census-test@key-project.iam.gserviceaccount.com", token_uri: $uri}' > "$2"
}
mkkey "$TMP/key.pem" "$TMP/key.json"
mkkey "$TMP/other.pem" "$TMP/other.json"

START=$(date +%s)
GOOGLE_APPLICATION_CREDENTIALS="$TMP/key.json" "$BIN" keyfile key-project $TTL
END=$(date +%s)
STATE=$(curl -sf "http://127.0.0.1:$PORT/_state")
[ "$(echo "$STATE" | jq .tokenRequests)" = 3 ] || fail "server saw $(echo "$STATE" | jq .tokenRequests) token requests, expected 3 (fetch, refresh, after invalidate)"

# Verify every assertion the server received with OpenSSL, and check header and claims.
n=0
for a in $(echo "$STATE" | jq -r '.assertions[].assertion'); do
  n=$((n + 1))
  h=$(echo "$a" | cut -d. -f1); c=$(echo "$a" | cut -d. -f2); s=$(echo "$a" | cut -d. -f3)
  printf '%s.%s' "$h" "$c" > "$TMP/signed"
  b64d() { # base64url (no padding) -> bytes
    v=$(printf '%s' "$1" | tr '_-' '/+'); while [ $(( ${#v} % 4 )) -ne 0 ]; do v="$v="; done
    printf '%s' "$v" | base64 -d
  }
  b64d "$s" > "$TMP/sig"
  openssl dgst -sha256 -verify "$TMP/pub.pem" -signature "$TMP/sig" "$TMP/signed" > /dev/null \
    || fail "openssl rejects the signature of assertion $n"
  # Negative control: the same check fails against the other key.
  openssl pkey -in "$TMP/other.pem" -pubout -out "$TMP/otherpub.pem"
  if openssl dgst -sha256 -verify "$TMP/otherpub.pem" -signature "$TMP/sig" "$TMP/signed" > /dev/null 2>&1; then
    fail "signature check cannot fail"
  fi
  hdr=$(b64d "$h"); clm=$(b64d "$c")
  [ "$(echo "$hdr" | jq -r .alg)" = RS256 ] || fail "alg: $hdr"
  [ "$(echo "$hdr" | jq -r .typ)" = JWT ] || fail "typ: $hdr"
  [ "$(echo "$hdr" | jq -r .kid)" = kid-0123456789abcdef ] || fail "kid: $hdr"
  [ "$(echo "$clm" | jq -r .iss)" = census-test@key-project.iam.gserviceaccount.com ] || fail "iss: $clm"
  [ "$(echo "$clm" | jq -r .scope)" = "$SCOPE" ] || fail "scope: $clm"
  [ "$(echo "$clm" | jq -r .aud)" = "$URL" ] || fail "aud: $clm"
  iat=$(echo "$clm" | jq .iat); exp=$(echo "$clm" | jq .exp)
  [ "$iat" -ge $((START - 5)) ] && [ "$iat" -le $((END + 5)) ] || fail "iat $iat not within [$START,$END]"
  [ "$exp" -gt "$iat" ] && [ "$exp" -le $((iat + 3600)) ] || fail "exp $exp vs iat $iat"
done
[ $n = 3 ] || fail "checked $n assertions"
[ "$(echo "$STATE" | jq '[.assertions[] | select(.nodeVerified == true)] | length')" = 3 ] \
  || fail "node crypto did not verify all assertions"
[ "$(echo "$STATE" | jq -r '[.assertions[].grantType] | unique | .[0]')" = urn:ietf:params:oauth:grant-type:jwt-bearer ] || fail "grant type"
[ "$(echo "$STATE" | jq -r '.assertions[0].contentType')" = application/x-www-form-urlencoded ] || fail "content type"

# A key the endpoint does not know: refused, and the refusal is reported.
GOOGLE_APPLICATION_CREDENTIALS="$TMP/other.json" "$BIN" badkey

# The metadata server path.
env -u GOOGLE_APPLICATION_CREDENTIALS GCE_METADATA_HOST="127.0.0.1:$PORT" "$BIN" metadata meta-project
STATE=$(curl -sf "http://127.0.0.1:$PORT/_state")
[ "$(echo "$STATE" | jq .metadataTokenRequests)" = 1 ] || fail "metadata token requests"
[ "$(echo "$STATE" | jq .metadataMissingFlavor)" = 0 ] || fail "a metadata request lacked Metadata-Flavor"
# Negative control: the fake refuses a request without the header (so the check above can fail).
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/computeMetadata/v1/project/project-id")
[ "$code" = 403 ] || fail "fake metadata server accepted a request without Metadata-Flavor"
echo "auth e2e: all checks passed"
