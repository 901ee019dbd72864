#!/usr/bin/env bash
# Rasa's own checks: the training data validates, every test story in bot/tests passes end to end
# (intents from the NLU model, actions from the policies), and the Rasa environment's own code works:
# the launcher (rasa_launcher/) and the routing step after DIET (rasa_routing/).
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077
export RASA_CACHE_DIRECTORY="${RASA_CACHE_DIRECTORY:-$PWD/var/rasa-cache}"
model="$1"
mkdir -p var/log
echo "[rasa] launcher tests (rasa_launcher/tests)"
.venv-rasa/bin/python -m unittest discover -v -s rasa_launcher/tests -t . >var/log/rasa-launcher-test.log 2>&1 ||
  { tail -30 var/log/rasa-launcher-test.log; exit 1; }
# The PostgreSQL tracker store tests skip without a server: say so, with the reason.
grep -E " \.\.\. skipped " var/log/rasa-launcher-test.log | sed 's/^/[rasa]   /' || true
echo "[rasa] routing step tests (rasa_routing/tests)"
.venv-rasa/bin/python -m unittest discover -s rasa_routing/tests -t . >var/log/rasa-routing-test.log 2>&1 ||
  { tail -30 var/log/rasa-routing-test.log; exit 1; }
echo "[rasa] data validate"
.venv-rasa/bin/rasa data validate --data bot/nlu bot/rules bot/stories --domain domain.yml --config config.yml \
  --fail-on-warnings >var/log/rasa-validate.log 2>&1 || { tail -30 var/log/rasa-validate.log; exit 1; }
echo "[rasa] test stories (bot/tests) against ${model}"
if ! .venv-rasa/bin/rasa test core --e2e --stories bot/tests --model "$model" --out var/rasa-test \
    --fail-on-prediction-errors --no-plot >var/log/rasa-test.log 2>&1; then
  tail -40 var/log/rasa-test.log
  echo "Rasa test stories failed; see var/rasa-test/failed_test_stories.yml" >&2
  exit 1
fi
grep -E "Correct:" var/log/rasa-test.log | sed 's/.*Correct:/[rasa]   correct:/'
