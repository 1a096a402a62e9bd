# fake_google_lib.sh - sourced (POSIX sh) by the tests that run census against fake_google.js
# (tests/google_cloud/*_test.sh, examples/demo_exporters_test.sh). Set google_dir to the source
# directory tests/google_cloud before sourcing. It sources tests/support/node_receiver.sh ($work,
# start_node_receiver, stop_receiver; the server is killed and $work removed however the test
# ends, $work kept when KEEP_TMP is set), defaults NODE_PATH to tests/interop/node_modules and adds:
#   fail <message>                 prints FAIL: <message> and exits 1
#   start_fake_google [config]     stops the server already running, if any, writes the JSON
#                                  config (the argument, else stdin) to $work/cfg.json, starts
#                                  fake_google.js with it and sets $port (see fake_google.js)
#   fake_google_state              prints the server's GET /_state (fails if it does not answer)
#   new_rsa_key <pem>              writes a fresh 2048-bit RSA private key
#   write_key_file <pem> <out> <private_key_id> <client_email>
#                                  writes a service-account key file (project key-project) whose
#                                  token_uri is the running server's /token
export NODE_PATH="${NODE_PATH:-$google_dir/../interop/node_modules}"
. "$google_dir/../support/node_receiver.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }

start_fake_google() {
  [ -z "$receiver_pid" ] || stop_receiver
  if [ $# -gt 0 ]; then printf '%s\n' "$1" > "$work/cfg.json"; else cat > "$work/cfg.json"; fi
  start_node_receiver "$google_dir/fake_google.js" "$work/cfg.json"
}

fake_google_state() { curl -sf "http://127.0.0.1:$port/_state"; }

new_rsa_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }

write_key_file() {
  jq -n --rawfile pk "$1" --arg uri "http://127.0.0.1:$port/token" --arg kid "$3" --arg email "$4" \
    '{type: "service_account", project_id: "key-project", private_key_id: $kid, private_key: $pk,
      client_email: $email, token_uri: $uri}' > "$2"
}
