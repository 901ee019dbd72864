#!/usr/bin/env bash
# Trains the Rasa model when its training data changed and prints the model's path.
# The model is named by a hash of config.yml, domain.yml and bot/, so unchanged data is never retrained.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_CACHE_DIRECTORY="${RASA_CACHE_DIRECTORY:-$PWD/var/rasa-cache}"
hash=$(cat config.yml domain.yml $(find bot/nlu bot/rules bot/stories -name '*.yml' | sort) | sha256sum | cut -c1-16)
model="models/bot-${hash}.tar.gz"
if [ ! -f "$model" ]; then
  echo "[rasa] training data changed: training ${model} ..." >&2
  start=$(date +%s)
  .venv-rasa/bin/rasa train --data bot/nlu bot/rules bot/stories --domain domain.yml --config config.yml \
    --out models --fixed-model-name "bot-${hash}" --quiet >&2
  echo "[rasa] trained in $(( $(date +%s) - start ))s" >&2
  # Keep the three newest models only.
  ls -t models/bot-*.tar.gz 2>/dev/null | tail -n +4 | xargs -r rm -f
fi
echo "$model"
