#!/usr/bin/env bash
# Build the seed corpora for the fuzz targets from ../shared/fixtures/jira and the simulator's
# canned answers; run from the fuzz/ directory. Corpora go to corpus/<target>/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures="${JIRALINK_SHARED_DIR:-../../shared}/fixtures/jira"
[ -d "$fixtures" ] || fixtures="../../../shared/fixtures/jira"
for t in config_parse jira_responses oauth_problem pem_import manifest; do mkdir -p "corpus/$t"; done

# jira_responses: byte 0 = model, bytes 1-2 = status (LE, offset 100), headers, NUL, body.
resp_seed() { # kind status file-or-string name
  local kind=$1 status=$2 src=$3 name=$4 s=$(( $2 - 100 ))
  {
    printf "\\x$(printf %02x "$kind")\\x$(printf %02x $((s % 256)))\\x$(printf %02x $((s / 256)))"
    printf 'content-type: application/json;charset=UTF-8\n\0'
    if [ -f "$src" ]; then cat "$src"; else printf '%s' "$src"; fi
  } > "corpus/jira_responses/$name"
}
for f in "$fixtures"/*.json; do
  b=$(basename "$f")
  case "$b" in
    serverInfo*) k=0 ;; user*) k=1 ;; project-list*) k=2 ;; project.*) k=2 ;;
    permissions-check*) k=4 ;; permissionscheme*) k=5 ;; role*) k=7 ;; error*) k=11 ;; *) k=9 ;;
  esac
  resp_seed $k 200 "$f" "$b"
  case "$b" in error.401*) resp_seed 11 401 "$f" "401-$b" ;; error.400*) resp_seed 11 400 "$f" "400-$b" ;; esac
done
resp_seed 3 200 '{"startAt":0,"maxResults":50,"total":1,"isLast":true,"values":[{"id":"10000","key":"ABC","name":"A"}]}' paged
resp_seed 8 200 '{"id":10100,"displayName":"jira-users","type":"atlassian-group-role-actor","name":"jira-users","actorGroup":{"name":"jira-users"}}' actor
resp_seed 6 200 '{"permissionSchemes":[{"id":0,"name":"Default Permission Scheme"}]}' schemes
resp_seed 10 200 '{"type":"projectRole","parameter":"10002","projectRole":{"id":10002,"name":"Administrators"}}' holder
resp_seed 9 200 '{"Administrators":"http://j/rest/api/2/project/ABC/role/10002"}' roles
resp_seed 0 200 '<!DOCTYPE html><html><head><title>Log in - Jira</title></head></html>' html-login
{ printf '\x00\xc8\x00x-seraph-loginreason: AUTHENTICATED_FAILED\nx-ausername: anonymous\n\0{}'; } > corpus/jira_responses/seraph
{ printf '\x00\xc9\x00retry-after: 3\n\0'; } > corpus/jira_responses/429
{ printf '\x00\x2d\x01location: https://idp.example.com/saml/login\n\0'; } > corpus/jira_responses/302
{ printf '\x00\x2d\x01x-authentication-denied-reason: CAPTCHA_CHALLENGE; login-url=https://j/login.jsp\n\0'; } > corpus/jira_responses/captcha

printf 'OAuth realm="https://j", oauth_problem="signature_invalid", oauth_signature_base_string="GET%%26https%%253A%%252F%%252Fj%%252Frest%%26oauth_token%%253Dabc"\0' > corpus/oauth_problem/header
printf '\0oauth_problem=timestamp_refused&oauth_acceptable_timestamps=1700000000-1700000600' > corpus/oauth_problem/body
printf 'OAuth oauth_problem=consumer_key_unknown\0oauth_problem=token_rejected' > corpus/oauth_problem/both

cat > corpus/config_parse/basic.toml <<'TOML'
[defaults]
timeout_secs = 30

[[connection]]
name = "prod"
url = "https://jira.example.com/jira"
auth = "pat"
token = { env = "JIRA_PAT" }

[[connection]]
name = "basic"
url = "http://localhost:8080"
auth = "basic"
username = "admin"
password = { cmd = "pass show jira" }
TOML
[ -f ../config.example.toml ] && cp ../config.example.toml corpus/config_parse/example.toml

printf '<?xml version="1.0"?><manifest><id>abc</id><name>Jira</name><typeId>jira</typeId><version>10.3.19</version><buildNumber>10030019</buildNumber><applinksVersion>10.0.4</applinksVersion><inboundAuthenticationTypes>com.atlassian.applinks.api.auth.types.OAuthAuthenticationProvider</inboundAuthenticationTypes><url>https://jira.example.com</url><publicSignup>false</publicSignup></manifest>' > corpus/manifest/xml
printf '{"id":"abc","name":"Jira","typeId":"jira","version":"10.3.19","buildNumber":10030019,"applinksVersion":"10.0.4","inboundAuthenticationTypes":["x"],"url":"https://jira.example.com"}' > corpus/manifest/json

# PEM seeds: a fresh small key in both encodings and its public half (openssl is on the image).
if command -v openssl >/dev/null; then
  openssl genrsa -traditional 1024 2>/dev/null > corpus/pem_import/pkcs1.pem || openssl genrsa 1024 2>/dev/null > corpus/pem_import/pkcs1.pem
  openssl pkcs8 -topk8 -nocrypt -in corpus/pem_import/pkcs1.pem > corpus/pem_import/pkcs8.pem
  openssl rsa -in corpus/pem_import/pkcs1.pem -pubout 2>/dev/null > corpus/pem_import/public.pem
  grep -v -- '-----' corpus/pem_import/public.pem | tr -d '\n' > corpus/pem_import/public-bare
fi
echo "seeds written to $(pwd)/corpus"
