#!/usr/bin/env bash
# One worker vs two on a multi-project dunning run (issue 7, docs/scaling.md "Figures"):
# a demo of $UNITS units on PostgreSQL, the day's dunning queued per project, run by
# `wuye worker --once` on two copies; the notices of both runs compared by md5.
set -euo pipefail
cd "$(dirname "$0")/.."
U=${UNITS:-20000}
PG=postgres://postgres@127.0.0.1:5432
psql -q -U postgres -h 127.0.0.1 -c "DROP DATABASE IF EXISTS wuye_scale_src" -c "CREATE DATABASE wuye_scale_src"
export WUYE_USER=bench
WUYE_DATABASE_URL=$PG/wuye_scale_src .venv/bin/wuye migrate
/usr/bin/time -f "build %e s" env WUYE_DATABASE_URL=$PG/wuye_scale_src .venv/bin/wuye demo-data --units $U --seed 1 --on 2026-06-15 --history-from 2026-03-01 --history-until 2026-06-15 > /dev/null
psql -q -U postgres -h 127.0.0.1 -d wuye_scale_src -c "ANALYZE"
for n in 1 2; do
  db=wuye_scale_t$n
  psql -q -U postgres -h 127.0.0.1 -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE wuye_scale_src"
  WUYE_DATABASE_URL=$PG/$db .venv/bin/wuye runs enqueue dunning --on 2026-06-15 > /dev/null
  /usr/bin/time -f "threads=$n %e s %M KB" env WUYE_DATABASE_URL=$PG/$db .venv/bin/wuye worker --once --threads $n --no-schedule > /dev/null
  psql -At -U postgres -h 127.0.0.1 -d $db -c "SELECT md5(string_agg(number||':'||account_id||':'||level||':'||status||':'||total, ',' ORDER BY number)), count(*) FROM dunning_notice" > /tmp/scale_t$n.txt
  cat /tmp/scale_t$n.txt
done
cmp /tmp/scale_t1.txt /tmp/scale_t2.txt && echo "same notices with 1 and 2 workers"
for db in wuye_scale_src wuye_scale_t1 wuye_scale_t2; do psql -q -U postgres -h 127.0.0.1 -c "DROP DATABASE IF EXISTS $db"; done
