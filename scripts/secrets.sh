#!/usr/bin/env bash
# Creates var/secrets.env with random secrets (Rasa API, action calls, cookie signing, demo
# console passwords) on first use; prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
if [ ! -f var/secrets.env ]; then
  umask 077
  echo "APP_RASA_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')" > var/secrets.env
fi
# Files written before the action token existed get one too.
if ! grep -q '^APP_ACTION_TOKEN=' var/secrets.env; then
  echo "APP_ACTION_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')" >> var/secrets.env
fi
if ! grep -q '^APP_SECRET_KEY=' var/secrets.env; then
  echo "APP_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')" >> var/secrets.env
fi
# The demo console accounts `make run` creates (scripts/run.sh prints them).
for who in ADMIN LEAD AGENT; do
  if ! grep -q "^DEMO_${who}_PASSWORD=" var/secrets.env; then
    echo "DEMO_${who}_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')" >> var/secrets.env
  fi
done
echo var/secrets.env
