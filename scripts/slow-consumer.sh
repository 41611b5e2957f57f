#!/usr/bin/env bash
# The slow-consumer check of the hardening issue (not part of the test command: timing on a shared machine is
# noisy). A room of 200 on the plain door, 10 senders at 500 msg/s of 3,000-byte messages, 10 s per run, alternating
# runs without and with one member that never reads (1 KiB receive buffer). Passes when every stuck member was cut
# off ("send queue exceeded"), nobody else lost anything, and the mean p99 with the stuck member is at most 1.10x
# the mean p99 without it. Loopback only.
#   RUNS=3 ./scripts/slow-consumer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
dotnet build -c Release src/Grove -nologo -v quiet -clp:ErrorsOnly
GROVE="dotnet src/Grove/bin/Release/net10.0/grove.dll"
work=$(mktemp -d)
$GROVE serve --port 17769 --irc-port -1 --http-port -1 --flood-control false --data "$work/data" \
  --log-file "$work/grove.log" --log-level information >"$work/grove.out" 2>&1 &
sleep 3
PID=$(ss -ltnpH "sport = :17769" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
trap 'kill -TERM $PID 2>/dev/null || true' EXIT
for i in $(seq 1 "$RUNS"); do
  for stuck in 0 1; do
    extra=""; [ "$stuck" = 1 ] && extra="--stuck 1"
    line=$($GROVE bench fanout --door plain --port 17769 --server-pid "$PID" --clients 200 --senders 10 --rate 500 \
      --size 3000 --duration 10 --room "#slow$i$stuck" $extra --json 2>/dev/null | tail -1)
    echo "{\"stuck\":$stuck,\"result\":$line}" >>"$work/runs.jsonl"
  done
done
cuts=$(grep -c "send queue exceeded" "$work/grove.log" || true)
python3 - "$work/runs.jsonl" "$cuts" "$RUNS" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
cuts, expected = int(sys.argv[2]), int(sys.argv[3])
print("| run | stuck members | p50 ms | p90 ms | p99 ms | lost |")
print("| --- | --- | --- | --- | --- | --- |")
for i, r in enumerate(runs, 1):
    x = r["result"]
    print(f"| {i} | {r['stuck']} | {x['latencyP50Ms']:.2f} | {x['latencyP90Ms']:.2f} | {x['latencyP99Ms']:.2f} | {x['lost']} |")
def mean(s): return sum(s) / len(s)
without = mean([r["result"]["latencyP99Ms"] for r in runs if r["stuck"] == 0])
with_ = mean([r["result"]["latencyP99Ms"] for r in runs if r["stuck"] == 1])
lost = sum(r["result"]["lost"] for r in runs)
ratio = with_ / without
print(f"\nMean p99 without: {without:.2f} ms; with: {with_:.2f} ms ({ratio:.2f}x, at most 1.10x). Lost: {lost}. "
      f"Stuck members cut off: {cuts} of {expected}.")
ok = ratio <= 1.10 and lost == 0 and cuts >= expected
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
