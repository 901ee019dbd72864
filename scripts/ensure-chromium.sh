#!/usr/bin/env bash
# The browser tests drive Debian's chromium (Playwright's own browser download cannot work offline).
# Installs it when missing and apt is usable (CI runs as root); otherwise the browser tests skip
# and say why.
set -uo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[browser] installing Debian's chromium for the browser tests"
  if DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >var/log/chromium-install.log 2>&1 \
    || { apt-get update >>var/log/chromium-install.log 2>&1 \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >>var/log/chromium-install.log 2>&1; }; then
    exit 0
  fi
  echo "[browser] could not install chromium (see var/log/chromium-install.log); browser tests will skip" >&2
else
  echo "[browser] /usr/bin/chromium is missing and apt is not usable here; browser tests will skip" >&2
fi
exit 0
