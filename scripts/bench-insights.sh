#!/usr/bin/env bash
# Benchmark of the consent insights (#16): seeds ROWS audit records (default
# 1,000,000) into a fresh demo database with `optline-server seed-audit`,
# starts the server and times GET /api/v1/admin/insights over HTTP, RUNS
# times per query (after one warm-up), printing p50 / p95 / max per query.
# The goal: under 300 ms.
#
#   scripts/bench-insights.sh                 # 1,000,000 rows, 20 runs
#   ROWS=200000 RUNS=10 scripts/bench-insights.sh
#   DB=/tmp/x.sqlite KEEP=1 scripts/bench-insights.sh   # reuse a seeded file
#
# Uses target/release/optline-server when built, else target/debug (its
# dependencies, SQLite included, are optimised in dev builds too). Not part
# of scripts/test.sh: seeding a million rows takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-1000000}
RUNS=${RUNS:-20}
WORK=$(mktemp -d)
DB=${DB:-$WORK/insights.sqlite}
BIN=target/release/optline-server
[ -x "$BIN" ] || BIN=target/debug/optline-server
[ -x "$BIN" ] || { echo "build the server first: cargo build -p optline-server" >&2; exit 1; }
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Starts the server on a free port; sets SERVER_PID and BASE.
start_server() {
  "$BIN" --db "$DB" --port 0 --demo --static-dir "$WORK" >"$WORK/server.out" 2>"$WORK/server.err" &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    BASE=$(sed -n 's/^Optline listening on //p' "$WORK/server.out")
    [ -n "$BASE" ] && return 0
    sleep 0.1
  done
  echo "server did not start:" >&2
  cat "$WORK/server.err" >&2
  exit 1
}

if [ -z "${KEEP:-}" ] || [ ! -f "$DB" ]; then
  echo "== demo organization"
  start_server
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
  echo "== seeding $ROWS audit rows"
  "$BIN" seed-audit --rows "$ROWS" --db "$DB" 2>/dev/null
fi
AUDIT=$(sqlite3 "$DB" "SELECT COUNT(*) FROM audit" 2>/dev/null || echo "?")
echo "== audit rows in the database: $AUDIT"

start_server
JAR="$WORK/cookies"
curl -sf -c "$JAR" -H 'content-type: application/json' \
  -d '{"email":"admin@acme.example","password":"optline-admin"}' \
  "$BASE/api/v1/auth/login" >/dev/null

iso() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
FROM7=$(iso '7 days ago'); FROM30=$(iso '30 days ago'); FROM90=$(iso '90 days ago')
FROM365=$(iso '365 days ago'); NOW=$(iso 'now')
LOB=$(curl -sf -b "$JAR" "$BASE/api/v1/me" | sed -n 's/.*"lines_of_business":\[{"id":\([0-9]*\).*/\1/p')
AGENT=$(curl -sf -b "$JAR" "$BASE/api/v1/admin/users" | grep -o '"id":[0-9]*,[^}]*"role":"agent"' | head -1 | sed 's/"id":\([0-9]*\).*/\1/')

bench() {
  local name=$1 query=$2 times
  curl -sf -b "$JAR" -o "$WORK/answer.json" "$BASE/api/v1/admin/insights?$query" || {
    echo "$name: request failed"; curl -s -b "$JAR" "$BASE/api/v1/admin/insights?$query"; echo; return 1; }
  times=$(for _ in $(seq 1 "$RUNS"); do
    curl -sf -b "$JAR" -o /dev/null -w '%{time_total}\n' "$BASE/api/v1/admin/insights?$query"
  done | sort -n)
  local p50 p95 max
  p50=$(echo "$times" | awk -v n="$RUNS" 'NR==int((n+1)/2){printf "%.0f", $1*1000}')
  p95=$(echo "$times" | awk -v n="$RUNS" 'BEGIN{k=int(n*0.95+0.999)} NR==k{printf "%.0f", $1*1000}')
  max=$(echo "$times" | tail -1 | awk '{printf "%.0f", $1*1000}')
  local requests
  requests=$(sed -n 's/.*"requests_by_agents":\([0-9]*\).*/\1/p' "$WORK/answer.json")
  printf '%-34s p50 %5s ms  p95 %5s ms  max %5s ms  (agent requests counted: %s)\n' \
    "$name" "$p50" "$p95" "$max" "$requests"
}

echo "== GET /api/v1/admin/insights, $RUNS runs each ($BIN)"
bench "last 7 days" "from=$FROM7&to=$NOW"
bench "last 30 days (default)" ""
bench "last 90 days" "from=$FROM90&to=$NOW"
bench "last 365 days (everything)" "from=$FROM365&to=$NOW"
bench "90 days, one line of business" "from=$FROM90&to=$NOW&line_of_business_id=$LOB"
bench "90 days, one agent, SMS" "from=$FROM90&to=$NOW&agent_id=$AGENT&channel=sms"
