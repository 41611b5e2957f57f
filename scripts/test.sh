#!/usr/bin/env bash
# Runs every test of Grove: builds the solution, installs what the tests need when it is missing (as root, with
# apt-get), runs all test projects and ends with one line: "N passed, N failed[, N skipped]".
set -uo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests drive for real, each said with its reason before apt-get runs (see why+=… below).
missing=() why=()
command -v tmux >/dev/null 2>&1 || { missing+=(tmux); why+=("tmux: runs grove connect and grove peer in a pseudo-terminal"); }
command -v ii >/dev/null 2>&1 || { missing+=(ii); why+=("ii: a real IRC client against the IRC door"); }
command -v weechat-headless >/dev/null 2>&1 || { missing+=(weechat-headless); why+=("weechat-headless: a real IRC client logging in with SASL"); }
[ -x /usr/bin/chromium ] || { missing+=(chromium); why+=("chromium: the browser that Playwright drives for the web client"); }
# The PostgreSQL store's tests start their own server with initdb (tests/Grove.Testing/PostgresServer.cs); the package
# also makes the postgres user they run it as. Debian's cluster that the package starts is not used.
{ [ -x /usr/lib/postgresql/15/bin/initdb ] || command -v initdb >/dev/null 2>&1; } || { missing+=(postgresql); why+=("postgresql: a real PostgreSQL 15 for the PostgreSQL store's tests"); }
if [ ${#missing[@]} -gt 0 ]; then
  echo "The tests need these Debian packages, which are missing; installing them with apt-get (as root, or sudo -n):"
  printf '  %s\n' "${why[@]}"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    sudo -n apt-get update -qq >/dev/null && sudo -n DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi || echo "Could not install ${missing[*]}; the tests that need them will fail."
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
if ! dotnet build Grove.slnx -nologo -v quiet -clp:ErrorsOnly; then
  echo "The build failed."
  echo "0 passed, 1 failed"
  exit 1
fi

projects=$(ls tests/*/*.csproj | grep -v Grove.Testing | wc -l)
log=$(mktemp)
# A hung test must not eat the CI budget: past 15 minutes one test is reported as failed (with a small dump of the
# test host under its TestResults folder) and its project's run ends. 15, not less: the install test's self-contained
# publish may take 12 on two busy cores. No phase may run past its own limit either (timeout kills the whole process
# group; a project that then printed no summary counts as failed below).
hang=(--blame-hang-timeout 15m --blame-hang-dump-type mini)
# First every test project at once; then, alone on a quiet machine, the few tests that compare timings (the
# "Quiet" phase: latency and response-time checks), which two shared cores under a parallel test run would skew.
timeout -k 30s 40m dotnet test Grove.slnx --no-build -nologo "${hang[@]}" --filter "Phase!=Quiet" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# One project at a time (a project without such a test would print no summary line to count), one test at a time.
for quiet in tests/Grove.Server.Tests tests/Grove.Tests; do
  timeout -k 30s 17m dotnet test "$quiet" --no-build -nologo "${hang[@]}" --filter "Phase=Quiet" -- xUnit.ParallelizeTestCollections=false 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  projects=$((projects + 1))
done

# One summary line per test project, as "Passed!  - Failed: 0, Passed: 76, Skipped: 0, Total: 76, …". A run cut
# short (a hung test killed by --blame-hang-timeout, a crashed host) may still say "Passed!" for the tests before it,
# then "Test Run Aborted.": that counts as one failure more.
read -r passed failed skipped summaries aborted < <(awk '
  /^(Passed|Failed)! +- Failed:/ {
    gsub(",", ""); n++
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1)
    }
  }
  /^Test Run Aborted/ { a++ }
  END { print p+0, f+0, s+0, n+0, a+0 }' "$log")
rm -f "$log"

failed=$((failed + aborted))
if [ "$summaries" -lt "$projects" ]; then
  # A test run that was killed (the phase's time limit) prints no summary: count that as a failure, not as nothing.
  echo "Only $summaries of $projects test projects reported results."
  failed=$((failed + projects - summaries))
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi

# ---- IRC conformance (issue 23): the public irctest suite, core profile, against the grove just built. Each of
# its tests counts in the summary below like a test of ours (GROVE_SKIP_IRCTEST=1 leaves it out).
if [ "${GROVE_SKIP_IRCTEST:-0}" != "1" ]; then
  irc_log=$(mktemp)
  ./scripts/irctest.sh 2>&1 | tee "$irc_log"
  read -r irc_p irc_f irc_s < <(tail -n 1 "$irc_log" | awk '{ print $1+0, $3+0, $5+0 }')
  rm -f "$irc_log"
  passed=$((passed + irc_p)); failed=$((failed + irc_f)); skipped=$((skipped + irc_s))
fi
# ---- end of IRC conformance

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
