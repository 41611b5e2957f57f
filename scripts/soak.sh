#!/usr/bin/env bash
# Soak: 5,000 held connections (IRC door), moderate traffic into a room of 100 and connection churn, for a bounded
# time, sampling the server's memory (RSS, and the managed heap from /metrics) and CPU every 5 s and the delivery
# p99 every 10 s. Loopback only.
#   DURATION=300 CONNECTIONS=5000 ./scripts/soak.sh      (defaults: 120 s, 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-120}
CONNECTIONS=${CONNECTIONS:-5000}
dotnet build -c Release src/Grove -nologo -v quiet -clp:ErrorsOnly
GROVE="dotnet src/Grove/bin/Release/net10.0/grove.dll"
work=$(mktemp -d)
$GROVE serve --port 17669 --irc-port 17673 --http-port 17680 --flood-control false --data "$work/data" \
  --log-file "$work/grove.log" --log-level warning >"$work/grove.out" 2>&1 &
sleep 3
PID=$(ss -ltnpH "sport = :17673" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
trap 'kill -TERM $PID 2>/dev/null || true' EXIT
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' "/proc/$PID/stat"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$PID/status"; }
# The managed heap after the last GC, and what the GC has committed, in MiB.
gc() { curl -s http://127.0.0.1:17680/metrics | awk '/^grove_gc_heap_bytes/ {h=$2} /^grove_gc_committed_bytes/ {c=$2} END {printf "%d | %d", h/1048576, c/1048576}'; }

$GROVE bench idle --door irc --port 17673 --connections "$CONNECTIONS" --hold "$DURATION" --json >"$work/idle.json" 2>&1 &
IDLE=$!
sleep 5
$GROVE bench churn --door irc --port 17673 --concurrency 4 --duration "$((DURATION - 10))" --json >"$work/churn.json" 2>&1 &
CHURN=$!
(
  end=$((SECONDS + DURATION - 15))
  while [ $SECONDS -lt $end ]; do
    $GROVE bench fanout --door irc --port 17673 --clients 100 --senders 5 --rate 200 --window 1000 --duration 10 --room "#soak" --json 2>/dev/null | tail -1
  done
) >"$work/traffic.jsonl" &
TRAFFIC=$!

echo "| t (s) | server RSS (MiB) | managed heap (MiB) | GC committed (MiB) | server CPU (% of one core, last 5 s) |"
echo "| --- | --- | --- | --- | --- |"
last=$(cpu); t=0
while kill -0 $IDLE 2>/dev/null && [ $t -lt $((DURATION + 10)) ]; do
  sleep 5; t=$((t + 5))
  now=$(cpu)
  echo "| $t | $(( $(rss) / 1024 )) | $(gc) | $(( (now - last) * 100 / ticks / 5 )) |"
  last=$now
done
wait $TRAFFIC $CHURN $IDLE 2>/dev/null || true
echo
echo "Traffic (200 msg/s into a room of 100, 10 s slices): p99 ms per slice, lost, duplicated:"
python3 - "$work/traffic.jsonl" <<'PY'
import json, sys
for i, line in enumerate(open(sys.argv[1])):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    print(f"  slice {i + 1}: p99 {r['latencyP99Ms']:.1f} ms, {r['messagesSent']} messages, lost {r['lost']}, duplicated {r['duplicated']}")
PY
echo "Churn: $(python3 -c "import json,sys; r=json.load(open('$work/churn.json')); print(f\"{r['cyclesPerSecond']} cycles/s, {r['failures']} failed\")" 2>/dev/null || cat "$work/churn.json")"
echo "Idle: $(python3 -c "import json,sys; r=json.loads(open('$work/idle.json').read().splitlines()[-1]); print(f\"{r['connections']} held, {r['failures']} failed\")" 2>/dev/null || tail -1 "$work/idle.json")"
