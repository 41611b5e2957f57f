#!/usr/bin/env bash
# The cluster benchmark (issue 24): NODES Grove nodes on a PostgreSQL of the script's own against one node on SQLite,
# with the same `grove bench fanout` runs on this machine. The clients are spread over the nodes and the senders are
# all on the first, so most deliveries cross nodes. Figures:
#   a. p99 at 500 msg/s into a room of 200 (the cluster's cross-node p99 against the single node's p99; goal ≤ 2×),
#      the median of REPEAT runs of each system, the two systems up together and their runs taking turns (one run's
#      p99 on this 2-core machine moves by ±30 %, and the machine's speed from minute to minute)
#   b. the most messages/s into rooms with zero loss (20 rooms of 10, one sender each, as fast as a window allows;
#      goal ≥ 20,000/s cluster-wide), and whether a fixed GOAL msg/s into the same rooms is held with zero loss
#   c. deliveries per CPU-second of the whole cluster (nodes and every PostgreSQL process) against one SQLite node
# Prints a table and a JSON line; cleans up after itself (nodes, PostgreSQL, temporary folder), even when stopped.
# Loopback only; every run is bounded in time; about 4 minutes with the defaults (REPEAT=7).
#   scripts/bench-cluster.sh                        3 nodes, plain door, 6 s per run
#   NODES=1 scripts/bench-cluster.sh                one node on PostgreSQL (works before the cluster core)
#   ONLY=latency scripts/bench-cluster.sh           only figure a (latency, most, goal or cpu; the others show –)
#   DURATION=8 DOOR=irc GOAL=20000 QUICKACK=0 BUILD=0 KEEP=1 PGOPTS="-c synchronous_commit=off" scripts/bench-cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."
NODES=${NODES:-3}; DURATION=${DURATION:-6}; DOOR=${DOOR:-plain}; GOAL=${GOAL:-20000}
ONLY=${ONLY:-}; REPEAT=${REPEAT:-7}; QUICKACK=${QUICKACK:-1}; BUILD=${BUILD:-1}; KEEP=${KEEP:-0}; PGOPTS=${PGOPTS:-}
case "$DOOR" in plain|irc) ;; *) echo "bench-cluster: DOOR must be plain or irc (got \"$DOOR\")." >&2; exit 2;; esac
case "$NODES" in [1-9]) ;; *) echo "bench-cluster: NODES must be 1 to 9 (got \"$NODES\")." >&2; exit 2;; esac
case "$REPEAT" in [1-9]) ;; *) echo "bench-cluster: REPEAT must be 1 to 9 (got \"$REPEAT\")." >&2; exit 2;; esac

if [ "$BUILD" != 0 ]; then dotnet build -c Release src/Grove -nologo -v quiet -clp:ErrorsOnly >/dev/null; fi
GROVE=(dotnet "$PWD/src/Grove/bin/Release/net10.0/grove.dll")
[ -f "${GROVE[1]}" ] || { echo "bench-cluster: no Release build at ${GROVE[1]}; run without BUILD=0." >&2; exit 1; }

pgbin=/usr/lib/postgresql/15/bin
if [ ! -x "$pgbin/initdb" ]; then
  if command -v initdb >/dev/null; then pgbin=$(dirname "$(command -v initdb)")
  else
    echo "Installing PostgreSQL from Debian"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
fi
# Root may not run PostgreSQL: as root, its programs run as the postgres user (the package creates it).
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d /tmp/grove-bench-cluster.XXXXXX)
chmod 755 "$work"
results="$work/results.jsonl"; : > "$results"
node_pids=(); bench_pid=
cleanup() {
  if [ -n "$bench_pid" ]; then kill -TERM "$bench_pid" 2>/dev/null || true; fi
  for pid in "${node_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${node_pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  node_pids=()
  if [ -f "$work/pg/data/postmaster.pid" ]; then as_pg "$pgbin/pg_ctl" stop -D "$work/pg/data" -m fast -w -t 30 >/dev/null 2>&1 || true; fi
  if [ "$KEEP" = 0 ]; then rm -rf "$work"; else echo "Kept $work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n 65536 2>/dev/null || true

start_postgres() {
  mkdir -p "$work/pg"
  [ "$(id -u)" != 0 ] || chown postgres "$work/pg"
  as_pg "$pgbin/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$work/pg/initdb.log" 2>&1 \
    || { echo "bench-cluster: initdb failed: $(tail -3 "$work/pg/initdb.log")" >&2; exit 1; }
  PGPORT=$(free_port)
  # PostgreSQL's defaults otherwise (fsync and synchronous_commit on): what a cluster runs with.
  # shellcheck disable=SC2086
  as_pg "$pgbin/pg_ctl" start -D "$work/pg/data" -l "$work/pg/postgres.log" -w -t 30 \
    -o "-p $PGPORT -k $work/pg -c listen_addresses=127.0.0.1 -c max_connections=300 $PGOPTS" >/dev/null \
    || { echo "bench-cluster: PostgreSQL did not start: $(tail -3 "$work/pg/postgres.log")" >&2; exit 1; }
  as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres grove
  # The write-ahead log as a PostgreSQL that has been running has it. A fresh initdb creates and zero-fills each 16 MB
  # segment the first time it is needed, and the append that crosses into one waited about 50 ms (once every 16 MB,
  # about once a run, and that one stall moved a run's p99). A running server recycles old segments at each checkpoint
  # instead. So 300 MB is written and checkpointed once, before any node starts; nothing of it stays in the database.
  as_pg "$pgbin/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d grove -qX -v ON_ERROR_STOP=1 \
    -c "CREATE TABLE wal_warmup AS SELECT repeat('x', 1500) AS x FROM generate_series(1, 200000)" \
    -c "DROP TABLE wal_warmup" -c "CHECKPOINT" >/dev/null
  POSTMASTER=$(head -1 "$work/pg/data/postmaster.pid")
  CONN="Host=127.0.0.1;Port=$PGPORT;Database=grove;Username=postgres"
}

stop_postgres() { as_pg "$pgbin/pg_ctl" stop -D "$work/pg/data" -m fast -w -t 30 >/dev/null; }

ports=(); pids=()
start_node() { # name [serve flags...]
  local name=$1; shift
  local plain irc
  plain=$(free_port); irc=$(free_port)
  "${GROVE[@]}" serve --port "$plain" --irc-port "$irc" --http-port -1 --flood-control false --data "$work/$name" \
    --log-file "$work/$name.log" --log-level warning "$@" >"$work/$name.out" 2>&1 &
  local pid=$!
  node_pids+=("$pid")
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "bench-cluster: node $name did not start: $(grep -v '^\s*$' "$work/$name.out" | tail -2 | tr '\n' ' ')" >&2; exit 1
    fi
    local port=$plain; [ "$DOOR" = irc ] && port=$irc
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then ports+=("$port"); pids+=("$pid"); return; fi
    sleep 0.1
  done
  echo "bench-cluster: node $name did not listen within 30 s." >&2; exit 1
}

stop_nodes() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; done
  ports=(); pids=()
}

run() { # system figure [bench flags...]
  local system=$1 figure=$2; shift 2
  if [ -n "$ONLY" ] && [ "$figure" != warmup ] && [ "$figure" != "$ONLY" ]; then return; fi
  local portlist pidlist line
  portlist=$(IFS=,; echo "${ports[*]}"); pidlist=$(IFS=,; echo "${pids[*]}")
  local extra=(); [ "$system" = cluster ] && extra=(--postgres-pid "$POSTMASTER")
  # In the background and waited for, so that a SIGTERM or Ctrl+C cleans up at once instead of after the run.
  timeout 150 "${GROVE[@]}" bench fanout --door "$DOOR" --port "$portlist" --server-pid "$pidlist" "${extra[@]}" "$@" \
    --json >"$work/bench.out" 2>"$work/bench.err" &
  bench_pid=$!
  wait "$bench_pid" || true
  bench_pid=
  line=$(tail -1 "$work/bench.out")
  if [ -z "$line" ]; then line="{\"error\":\"$(tr -d '"\n\\' < "$work/bench.err" | head -c 300)\"}"; fi
  echo "{\"system\":\"$system\",\"figure\":\"$figure\",\"run\":\"$*\",\"result\":$line}" | tee -a "$results"
}

quick=(); [ "$QUICKACK" != 0 ] && quick=(--quick-ack)
latency_args=(--clients 200 --senders 10 --rate 500 --window 1000 --duration "$DURATION" "${quick[@]}")
throughput() { # system
  run "$1" most --clients 200 --senders 20 --rooms 20 --window 64 --duration "$DURATION" --room "#most"
  run "$1" goal --clients 200 --senders 20 --rooms 20 --rate "$GOAL" --window 1000 --duration "$DURATION" --room "#goal"
  run "$1" cpu --clients 200 --senders 10 --window 32 --duration "$DURATION" --room "#cpu"
}
use() { # cluster|single: the nodes the next run talks to
  if [ "$1" = cluster ]; then ports=("${cluster_ports[@]}"); pids=("${cluster_pids[@]}"); else ports=("${single_ports[@]}"); pids=("${single_pids[@]}"); fi
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== $NODES node(s) on PostgreSQL and one node on SQLite ($DOOR door, $DURATION s per run)"
start_postgres
for i in $(seq 1 "$NODES"); do start_node "n$i" --store postgres --postgres "$CONN" --node-name "n$i"; done
cluster_ports=("${ports[@]}"); cluster_pids=("${pids[@]}"); ports=(); pids=()
start_node s1
single_ports=("${ports[@]}"); single_pids=("${pids[@]}")
# Figure a: both systems are up (the idle one costs next to nothing), and their runs take turns. This machine's
# speed moves from minute to minute (the same CPU-bound loop took 0.45 to 0.67 s, five times in a row), and the
# cluster, with five processes on two cores, feels it more: runs one system after the other measured the two under
# different machines. A short run of each first, not counted: both start measured with their code compiled and
# connections open (a node's first commits to PostgreSQL took 150 ms while its code was compiled).
for system in cluster single; do
  use "$system"
  run "$system" warmup --clients 200 --senders 10 --rate 500 --window 1000 --duration 2 --room "#warm" "${quick[@]}" >/dev/null
done
for k in $(seq 1 "$REPEAT"); do
  for system in cluster single; do use "$system"; run "$system" latency "${latency_args[@]}" --room "#rate$k"; done
done
# Figures b and c: each system with the machine to itself, the cluster first.
use single; stop_nodes
use cluster; throughput cluster
stop_nodes
stop_postgres
if [ -z "$ONLY" ] || [ "$ONLY" != latency ]; then
  echo "== one node on SQLite, alone"
  start_node s2
  run single warmup --clients 200 --senders 10 --rate 500 --window 1000 --duration 2 --room "#warm" "${quick[@]}" >/dev/null
  throughput single
  stop_nodes
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$results" "$NODES" "$DOOR" "$DURATION" "$GOAL" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$load_before" "$load_after" <<'PY'
import json, sys
path, nodes, door, duration, goal, commit, load0, load1 = sys.argv[1:]
lines = [json.loads(l) for l in open(path) if l.strip()]
rows = {(r["system"], r["figure"]): r["result"] for r in lines}
def median_run(system, key):
    # The latency run of median p99 (an odd REPEAT gives a run that happened), and every run's p99.
    runs = [r["result"] for r in lines if r["system"] == system and r["figure"] == "latency" and r["result"].get(key) is not None]
    if not runs: return None, []
    runs.sort(key=lambda r: r[key])
    return runs[(len(runs) - 1) // 2], [r[key] for r in runs]
for system, key in (("cluster", "crossNodeLatencyP99Ms" if nodes != "1" else "latencyP99Ms"), ("single", "latencyP99Ms")):
    chosen, _ = median_run(system, key)
    if chosen is not None: rows[(system, "latency")] = chosen
def get(system, figure, *keys):
    r = rows.get((system, figure), {})
    for k in keys:
        if r.get(k) is not None: return r[k]
    return None
def fmt(v, unit=""):
    if v is None: return "–"
    return (f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}") + unit
def ratio(a, b): return None if a is None or not b else a / b
def clean(system, figure, r=None):
    r = rows.get((system, figure), {}) if r is None else r
    return "error" not in r and r.get("lost") == 0 and r.get("duplicated") == 0 and r.get("deliveries") == r.get("expectedDeliveries")
cross = get("cluster", "latency", "crossNodeLatencyP99Ms", "latencyP99Ms")
all_cross = median_run("cluster", "crossNodeLatencyP99Ms" if nodes != "1" else "latencyP99Ms")[1]
all_single = median_run("single", "latencyP99Ms")[1]
single = get("single", "latency", "latencyP99Ms")
most_c, most_s = get("cluster", "most", "messagesPerSecond"), get("single", "most", "messagesPerSecond")
goal_c, goal_s = get("cluster", "goal", "messagesPerSecond"), get("single", "goal", "messagesPerSecond")
cpu_c = get("cluster", "cpu", "deliveriesPerClusterCpuSecond")
cpu_s = get("single", "cpu", "deliveriesPerClusterCpuSecond", "deliveriesPerServerCpuSecond")
label = f"{nodes} node{'s' if nodes != '1' else ''} on PostgreSQL"
p99_label = "cross-node p99" if nodes != "1" else "p99 (one node: nothing crosses)"
table = [
    (f"a. {p99_label} at 500 msg/s, room of 200 (ms)", fmt(cross), fmt(single), ratio(cross, single), "≤ 2× the single node"),
    ("b. most msg/s into 20 rooms of 10, zero loss", fmt(most_c) + ("" if most_c is None or clean("cluster", "most") else " (LOSS)"),
        fmt(most_s) + ("" if most_s is None or clean("single", "most") else " (LOSS)"), ratio(most_c, most_s), "≥ 20,000/s"),
    (f"b. {int(goal):,} msg/s asked into 20 rooms of 10: held", fmt(goal_c) + ("" if goal_c is None or clean("cluster", "goal") else " (LOSS)"),
        fmt(goal_s) + ("" if goal_s is None or clean("single", "goal") else " (LOSS)"), ratio(goal_c, goal_s), f"{int(goal):,}, zero loss"),
    ("c. deliveries per CPU-second, room of 200 (nodes + PostgreSQL)", fmt(cpu_c), fmt(cpu_s), ratio(cpu_c, cpu_s), ""),
]
print(f"\n{door} door, {duration} s per run, commit {commit}, load average {load0} before, {load1} after\n")
print(f"| figure | {label} | one node on SQLite | cluster / single | goal |")
print("| --- | --- | --- | --- | --- |")
for name, c, s, q, g in table:
    print(f"| {name} | {c} | {s} | {'–' if q is None else f'{q:.2f}×'} | {g} |")
print(f"\nIn a, the median of {len(all_cross)} and {len(all_single)} runs; every run's p99 (ms): cluster {all_cross}, single {all_single}.")
in_turn = [(r["system"], r["result"]) for r in lines if r["figure"] == "latency"]
c_runs = [r.get("crossNodeLatencyP99Ms" if nodes != "1" else "latencyP99Ms") for s, r in in_turn if s == "cluster"]
s_runs = [r.get("latencyP99Ms") for s, r in in_turn if s == "single"]
pairs = [round(c / s, 2) for c, s in zip(c_runs, s_runs) if c and s]
if pairs: print(f"The runs took turns (cluster, single, …); each pair's ratio: {pairs}, median {sorted(pairs)[(len(pairs) - 1) // 2]:.2f}×.")
pg = get("cluster", "cpu", "postgresCpuSeconds"); nodes_cpu = get("cluster", "cpu", "serverCpuSeconds")
print(f"\nIn c, the nodes used {fmt(nodes_cpu, ' s')} of CPU and PostgreSQL {fmt(pg, ' s')}.")
bad = sorted({f"{r['system']}/{r['figure']}" for r in lines if r["figure"] != "warmup" and not clean(r["system"], r["figure"], r["result"])})
if bad: print("WARNING: lost, duplicated or failed runs: " + ", ".join(bad) + " (see the JSON lines above).")
print(json.dumps({"nodes": int(nodes), "door": door, "seconds": float(duration), "commit": commit, "crossNodeP99Ms": cross,
    "singleNodeP99Ms": single, "pairRatios": pairs, "p99Runs": {"cluster": all_cross, "single": all_single}, "mostMessagesPerSecond": {"cluster": most_c, "single": most_s},
    "goalMessagesPerSecond": {"asked": int(goal), "cluster": goal_c, "single": goal_s},
    "deliveriesPerCpuSecond": {"cluster": cpu_c, "single": cpu_s, "clusterNodesCpuSeconds": nodes_cpu, "clusterPostgresCpuSeconds": pg},
    "clean": not bad}))
PY
