#!/usr/bin/env bash
# The tests drive real programs from Debian, never downloaded builds: Chromium for the browser tests,
# redis-server for the session store. Installs whichever is missing when this is a Debian machine we are
# root on (one apt-get update for all); otherwise says what to install.
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
redis="${REDIS_SERVER:-$(command -v redis-server || echo /usr/bin/redis-server)}"

missing=()
[ -x "$chromium" ] || missing+=(chromium fonts-noto-color-emoji)
[ -x "$redis" ] || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages for the tests: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "The tests need these Debian packages: ${missing[*]} (apt-get install -y ${missing[*]})," >&2
echo "or set CHROMIUM_PATH / REDIS_SERVER to existing binaries." >&2
exit 1
