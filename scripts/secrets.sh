#!/usr/bin/env bash
# Creates var/secrets.env with random tokens (Rasa API, action calls) on first use; prints its path.
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
echo var/secrets.env
