#!/usr/bin/env bash
# Runs the public IRC conformance suite (irctest, core profile) against the built grove, two tests at a time, each
# with a fresh server. Installs its Debian prerequisites when missing. The last line is irctest's own
# "N passed, M failed, K skipped"; the exit status is non-zero on any failure.
#   scripts/irctest.sh [extra pytest arguments, e.g. -k part]
# Environment: GROVE_IRCTEST (the folder with run.sh; default ../shared/irctest beside the repository),
# IRCTEST_PROFILE (core by default; full, chathistory), GROVE_BIN (default src/Grove/bin/Debug/net10.0/grove).
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

suite="${GROVE_IRCTEST:-}"
if [ -z "$suite" ]; then
  for d in "$repo/../shared/irctest" "$repo/../../shared/irctest"; do
    [ -x "$d/run.sh" ] && { suite="$(cd "$d" && pwd)"; break; }
  done
fi
if [ -z "$suite" ] || [ ! -x "$suite/run.sh" ]; then
  echo "irctest: the suite was not found (set GROVE_IRCTEST to the folder holding run.sh)."
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

grove="${GROVE_BIN:-$repo/src/Grove/bin/Debug/net10.0/grove}"
if [ ! -x "$grove" ]; then
  echo "irctest: $grove is not built; run: dotnet build Grove.slnx"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

# irctest is Python: Debian's pytest with its timeout and parallel (xdist) plugins, and the libraries its tests
# import (ecdsa and cryptography for SASL, websockets for its WebSocket cases, filelock for xdist).
missing=()
for p in python3-pytest python3-pytest-timeout python3-pytest-xdist python3-ecdsa python3-cryptography \
         python3-websockets python3-websocket python3-filelock faketime openssl; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "irctest: installing its prerequisites (the conformance suite runs on Debian's pytest): ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    sudo -n apt-get update -qq >/dev/null && sudo -n DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi || echo "irctest: could not install ${missing[*]}; the run will likely fail."
fi

scratch="$(mktemp -d "${TMPDIR:-/tmp}/grove-irctest.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
# What the suite expects of the server (../shared/irctest/README.md): its name, an IRC operator, in-band account
# registration with short passwords, no flood control; LINKS shows "test server" and a linked services server.
export IRCTEST_DIR="$scratch" GROVE_OPERATORS__0__NAME=operuser GROVE_OPERATORS__0__PASSWORD=operpassword \
  IRCTEST_EXTERNAL_REGISTER=draft IRCTEST_SERVER_SASL_MECHS=PLAIN
started=$(date +%s)
"$suite/run.sh" --server-cmd "$grove serve --host {hostname} --irc-port {port} --port 0 --http-port -1 \
  --data {dir}/data --log-file {dir}/log.txt --server-name My.Little.Server --flood-control false \
  --min-password-length 1 --server-description 'test server' --services-name My.Little.Services" -n 2 "$@" \
  > "$scratch/out.txt" 2>&1
status=$?
grep -E '^(FAILED|ERROR) ' "$scratch/out.txt" | sed 's/^/irctest: /'
summary=$(tail -n 1 "$scratch/out.txt")
echo "irctest: $((($(date +%s) - started))) s, profile ${IRCTEST_PROFILE:-core}"
if ! [[ "$summary" =~ ^[0-9]+\ passed,\ [0-9]+\ failed,\ [0-9]+\ skipped$ ]]; then
  tail -n 20 "$scratch/out.txt"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
echo "$summary"
exit "$status"
