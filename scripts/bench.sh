#!/usr/bin/env bash
# Side-by-side benchmark: ngircd, InspIRCd, Grove's IRC door and Grove's plain door on this machine, one after
# another, with the same `grove bench` workloads. Writes docs/benchmarks.md (the comparison section) and
# docs/bench-chart.svg. Loopback only; every run is bounded in time. Takes about 10 minutes.
#   DURATION=8 ./scripts/bench.sh        seconds per fan-out run (default 8)
#   IDLE=10000 ./scripts/bench.sh        connections for the idle workload (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-8}
IDLE=${IDLE:-10000}

need=()
command -v ngircd >/dev/null || need+=(ngircd)
command -v inspircd >/dev/null || need+=(inspircd)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing ${need[*]} from Debian"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# ngircd and InspIRCd as packaged start as services; the benchmark runs its own copies on other ports.
systemctl stop ngircd inspircd >/dev/null 2>&1 || true

dotnet build -c Release src/Grove -nologo -v quiet -clp:ErrorsOnly
GROVE="dotnet src/Grove/bin/Release/net10.0/grove.dll"
work=$(mktemp -d)
results="$work/results.jsonl"
: > "$results"
ulimit -n 65536 || true

cat > "$work/ngircd.conf" <<CONF
[Global]
Name = ngircd.bench
Info = benchmark
Listen = 127.0.0.1
Ports = 16671
PidFile = $work/ngircd.pid
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxNickLength = 30
MaxPenaltyTime = 0
PingTimeout = 600
PongTimeout = 600
[Options]
DNS = no
Ident = no
PAM = no
CONF

cat > "$work/inspircd.conf" <<CONF
<server name="inspircd.bench" description="benchmark" network="Bench">
<admin name="bench" nick="bench" email="bench@localhost">
<bind address="127.0.0.1" port="16672" type="clients">
<connect allow="*" timeout="120" threshold="1000000" pingfreq="600" hardsendq="1048576" softsendq="65536"
         recvq="65536" localmax="1000000" globalmax="1000000" limit="1000000" fakelag="no" commandrate="1000000000"
         resolvehostnames="no" useident="no" maxconnwarn="no">
<channels users="100" opers="100">
<limits maxnick="30" maxchan="64" maxtopic="307">
<performance softlimit="100000" somaxconn="4096" clonesonconnect="no" nouserdns="yes">
<dns server="127.0.0.1" timeout="1">
<pid file="$work/inspircd.pid">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="sparse" target="$work/inspircd.log">
CONF

start_server() { # name
  case "$1" in
    ngircd) ngircd -n -f "$work/ngircd.conf" >"$work/ngircd.out" 2>&1 & ;;
    inspircd) inspircd --nofork --runasroot --config "$work/inspircd.conf" >"$work/inspircd.out" 2>&1 & ;;
    grove-irc|grove-plain) $GROVE serve --port 16669 --irc-port 16673 --http-port -1 --flood-control false --data "$work/grove-data" \
        --log-file "$work/grove.log" --log-level warning >"$work/grove.out" 2>&1 & ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    if (exec 3<>/dev/tcp/127.0.0.1/"$(port "$1")") 2>/dev/null; then break; fi
    sleep 0.1
  done
  # dotnet and ngircd run as the process we started; find the real pid listening on the port.
  SERVER_PID=$(ss -ltnpH "sport = :$(port "$1")" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
}
stop_server() { kill -TERM "$SERVER_PID" 2>/dev/null || true; sleep 1; kill -KILL "$SERVER_PID" 2>/dev/null || true; sleep 0.5; }
port() { case "$1" in ngircd) echo 16671;; inspircd) echo 16672;; grove-irc) echo 16673;; grove-plain) echo 16669;; esac; }
door() { case "$1" in grove-plain) echo plain;; *) echo irc;; esac; }

run() { # server workload args...
  local server=$1; shift
  local line
  line=$($GROVE bench "$@" --door "$(door "$server")" --port "$(port "$server")" --server-pid "$SERVER_PID" --json 2>"$work/bench.err" | tail -1) || true
  if [ -z "$line" ]; then line="{\"error\":\"$(tr -d '"\n' < "$work/bench.err" | head -c 300)\"}"; fi
  echo "{\"server\":\"$server\",\"run\":\"$*\",\"result\":$line}" | tee -a "$results"
}

for server in ngircd inspircd grove-irc grove-plain; do
  echo "== $server"
  for n in 50 200 1000; do
    start_server "$server"
    run "$server" fanout --clients "$n" --senders 10 --window 32 --duration "$DURATION" --room "#fan$n"
    stop_server
  done
  start_server "$server"
  run "$server" fanout --clients 200 --senders 10 --rate 500 --window 1000 --duration "$DURATION" --room "#rate"
  run "$server" fanout --clients 200 --senders 10 --rate 500 --window 1000 --duration "$DURATION" --room "#rateq" --quick-ack
  run "$server" churn --concurrency 20 --duration 5
  stop_server
  start_server "$server"
  run "$server" idle --connections "$IDLE" --hold 3
  stop_server
done

python3 scripts/bench_report.py "$results" docs/benchmarks.md docs/bench-chart.svg
echo "Wrote docs/benchmarks.md and docs/bench-chart.svg (raw results: $results)"
