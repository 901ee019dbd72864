#!/usr/bin/env bash
# Prints a Python 3.10 interpreter for the Rasa environment (Rasa 3.6 supports Python <= 3.10).
set -euo pipefail
for candidate in "${PYTHON310:-}" "$(command -v python3.10 || true)" \
    $(ls -d "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V -r); do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    echo "$candidate"
    exit 0
  fi
done
cat >&2 <<'MSG'
No Python 3.10 found; Rasa 3.6 needs it for the dialogue engine.
Install one, then run make again, e.g.:
  pyenv install 3.10.13                     (pyenv)
  apt-get install python3.10 python3.10-venv  (Debian/Ubuntu with 3.10 packages)
or point PYTHON310 at an interpreter: make run PYTHON310=/path/to/python3.10
MSG
exit 1
