#!/usr/bin/env bash
# Creates <dir>/secrets.env (default dir: var) with random secrets (Rasa API, action calls, cookie
# signing, demo console passwords) on first use, readable by its owner only; prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077
dir="${1:-var}"
file="$dir/secrets.env"
mkdir -p "$dir"
token() { python3 -c "import secrets; print(secrets.token_urlsafe($1))"; }
touch "$file"
# A file written before this script set its mode may be readable by others.
chmod 600 "$file"
# Each secret once (files written before a secret existed get it too).
for name in APP_RASA_TOKEN APP_ACTION_TOKEN; do
  grep -q "^${name}=" "$file" || echo "${name}=$(token 32)" >>"$file"
done
grep -q '^APP_SECRET_KEY=' "$file" || echo "APP_SECRET_KEY=$(token 48)" >>"$file"
# The demo console accounts `make run` creates (scripts/run.sh prints them on a development machine).
for who in ADMIN LEAD AGENT; do
  grep -q "^DEMO_${who}_PASSWORD=" "$file" || echo "DEMO_${who}_PASSWORD=$(token 12)" >>"$file"
done
echo "$file"
