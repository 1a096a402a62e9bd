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
#  5. gets tokens from a metadata server, always sending "Metadata-Flavor: Google", and refuses
#     an answer that does not carry that header back.
set -eu
BIN=$1
google_dir=$2
. "$google_dir/fake_google_lib.sh"

new_rsa_key "$work/key.pem"
openssl pkey -in "$work/key.pem" -pubout -out "$work/pub.pem"
new_rsa_key "$work/other.pem"

TTL=4
start_fake_google <<EOF
{"publicKeyFile": "$work/pub.pem", "tokenTtl": $TTL, "log": "$work/log.jsonl",
 "metadata": {"project/project-id": "meta-project"},
 "metadataWithoutFlavor": {"instance/imposter": "imposter-value"}}
EOF
URL="http://127.0.0.1:$port/token"
SCOPE="https://www.googleapis.com/auth/monitoring.write"

# Service-account key files, built with jq (private key as a JSON string; token_uri = $URL).
mkkey() { # <pem> <out>
  write_key_file "$1" "$2" kid-0123456789abcdef census-test@key-project.iam.gserviceaccount.com
}
mkkey "$work/key.pem" "$work/key.json"
mkkey "$work/other.pem" "$work/other.json"

START=$(date +%s)
GOOGLE_APPLICATION_CREDENTIALS="$work/key.json" "$BIN" keyfile key-project $TTL
END=$(date +%s)
STATE=$(fake_google_state)
[ "$(echo "$STATE" | jq .tokenRequests)" = 3 ] || fail "server saw $(echo "$STATE" | jq .tokenRequests) token requests, expected 3 (fetch, refresh, after invalidate)"

# Verify every assertion the server received with OpenSSL, and check header and claims.
n=0
for a in $(echo "$STATE" | jq -r '.assertions[].assertion'); do
  n=$((n + 1))
  h=$(echo "$a" | cut -d. -f1); c=$(echo "$a" | cut -d. -f2); s=$(echo "$a" | cut -d. -f3)
  printf '%s.%s' "$h" "$c" > "$work/signed"
  b64d() { # base64url (no padding) -> bytes
    v=$(printf '%s' "$1" | tr '_-' '/+'); while [ $(( ${#v} % 4 )) -ne 0 ]; do v="$v="; done
    printf '%s' "$v" | base64 -d
  }
  b64d "$s" > "$work/sig"
  openssl dgst -sha256 -verify "$work/pub.pem" -signature "$work/sig" "$work/signed" > /dev/null \
    || fail "openssl rejects the signature of assertion $n"
  # Negative control: the same check fails against the other key.
  openssl pkey -in "$work/other.pem" -pubout -out "$work/otherpub.pem"
  if openssl dgst -sha256 -verify "$work/otherpub.pem" -signature "$work/sig" "$work/signed" > /dev/null 2>&1; then
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
GOOGLE_APPLICATION_CREDENTIALS="$work/other.json" "$BIN" badkey

# The metadata server path.
env -u GOOGLE_APPLICATION_CREDENTIALS GCE_METADATA_HOST="127.0.0.1:$port" "$BIN" metadata meta-project
STATE=$(fake_google_state)
[ "$(echo "$STATE" | jq .metadataTokenRequests)" = 1 ] || fail "metadata token requests"
[ "$(echo "$STATE" | jq .metadataMissingFlavor)" = 0 ] || fail "a metadata request lacked Metadata-Flavor"
# Negative control: the fake refuses a request without the header (so the check above can fail).
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/computeMetadata/v1/project/project-id")
[ "$code" = 403 ] || fail "fake metadata server accepted a request without Metadata-Flavor"
# Control for the driver's refusal of an answer without "Metadata-Flavor: Google": the same path
# does answer 200 with its value to a request carrying the header (so census's NULL comes from
# the missing response header, not from a 404).
body=$(curl -s -H 'Metadata-Flavor: Google' "http://127.0.0.1:$port/computeMetadata/v1/instance/imposter")
[ "$body" = imposter-value ] || fail "fake metadata server does not serve instance/imposter: $body"
echo "auth e2e: all checks passed"
