#!/usr/bin/env bash
# Before/after comparison of two Grove builds on the same machine, alternating so that a change in the machine's
# load hits both alike. Runs the figures the core redesign promised to keep (IRC door, flood control off):
# deliveries per server CPU-second in rooms of 200 and 1,000, p99 at 500 msg/s into a room of 200 with quick-ack
# clients, and resident bytes per idle registered connection. Loopback only; every run is bounded in time.
#   scripts/bench-ab.sh BEFORE_DIR AFTER_DIR      each a clone whose src/Grove is built (-c Release) by this script
#   ROUNDS=3 DURATION=5 IDLE=10000 scripts/bench-ab.sh …
set -euo pipefail
before=$(cd "$1" && pwd); after=$(cd "$2" && pwd)
ROUNDS=${ROUNDS:-3}; DURATION=${DURATION:-5}; IDLE=${IDLE:-10000}
work=$(mktemp -d); results="$work/ab.jsonl"; : > "$results"
ulimit -n 65536 || true
for tree in "$before" "$after"; do
  dotnet build -c Release "$tree/src/Grove" -nologo -v quiet -clp:ErrorsOnly >/dev/null
done
PORT=16690
start() { # tree
  dotnet "$1/src/Grove/bin/Release/net10.0/grove.dll" serve --port 0 --irc-port $PORT --http-port -1 --flood-control false \
    --data "$work/data-$RANDOM" --log-level warning >"$work/server.out" 2>&1 &
  for _ in $(seq 1 150); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
  PID=$(ss -ltnpH "sport = :$PORT" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
}
stop() { kill -TERM "$PID" 2>/dev/null || true; for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done; kill -KILL "$PID" 2>/dev/null || true; }
bench() { # label tree args...
  local label=$1 tree=$2; shift 2
  local line
  line=$(dotnet "$tree/src/Grove/bin/Release/net10.0/grove.dll" bench "$@" --door irc --port $PORT --server-pid "$PID" --json 2>/dev/null | tail -1) || line='{}'
  [ -n "$line" ] || line='{}'
  echo "{\"build\":\"$label\",\"run\":\"$*\",\"result\":$line}" | tee -a "$results"
}
for round in $(seq 1 "$ROUNDS"); do
  for pair in "before:$before" "after:$after"; do
    label=${pair%%:*}; tree=${pair#*:}
    for n in 200 1000; do
      start "$tree"; bench "$label" "$tree" fanout --clients $n --senders 10 --window 32 --duration "$DURATION" --room "#fan$n"; stop
    done
    start "$tree"; bench "$label" "$tree" fanout --clients 200 --senders 10 --rate 500 --window 1000 --duration "$DURATION" --room "#rateq" --quick-ack; stop
    start "$tree"; bench "$label" "$tree" idle --connections "$IDLE" --hold 3; stop
  done
done
python3 - "$results" <<'PY'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def vals(build, key, *must):
    out = []
    for r in rows:
        if r["build"] == build and all(m in r["run"] for m in must) and key in r["result"]:
            out.append(r["result"][key])
    return out
figs = [("deliveries per server CPU-s, room of 200", "deliveriesPerServerCpuSecond", ("--clients 200 ", "--window 32"), True),
        ("deliveries per server CPU-s, room of 1,000", "deliveriesPerServerCpuSecond", ("--clients 1000 ",), True),
        ("p99 ms at 500 msg/s, room of 200, quick-ack", "latencyP99Ms", ("--quick-ack",), False),
        ("resident bytes per idle connection", "rssPerConnectionBytes", ("idle",), False)]
print("| figure | before (median) | after (median) | change | runs |")
print("| --- | --- | --- | --- | --- |")
for name, key, must, higher in figs:
    b, a = vals("before", key, *must), vals("after", key, *must)
    if not b or not a:
        print(f"| {name} | {b} | {a} | – | |"); continue
    mb, ma = statistics.median(b), statistics.median(a)
    ch = (ma - mb) / mb * 100 if mb else 0
    print(f"| {name} | {mb:,.1f} | {ma:,.1f} | {ch:+.1f} % | before {', '.join(f'{x:,.0f}' for x in b)}; after {', '.join(f'{x:,.0f}' for x in a)} |")
lost = sum(r["result"].get("lost", 0) + r["result"].get("duplicated", 0) for r in rows)
print(f"\nlost or duplicated deliveries over all runs: {lost}")
PY
echo "raw results: $results"
