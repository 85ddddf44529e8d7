#!/usr/bin/env bash
# One worker vs two on multi-project runs (issue 7, docs/scaling.md "Figures"): a demo of
# $UNITS units spread over the office tower and $ESTATES similar estates on PostgreSQL;
# on a fresh copy for each way of working, the day's dunning run (2026-06-15) and then
# July's bill run (2026-07-01) are queued one task per project and drained by
#   1x1  one `wuye worker --once` process with one thread
#   1x2  one process with two threads (`--threads 2`)
#   2x1  two processes with one thread each
# Each prints its wall time and peak memory; the notices and the bills of every way are
# compared by md5 (numbers, accounts, levels, amounts): they must be the same.
set -euo pipefail
cd "$(dirname "$0")/.."
U=${UNITS:-40000}
E=${ESTATES:-8}
PG=postgres://postgres@127.0.0.1:5432
SRC=wuye_scale_${U}_${E}
export WUYE_USER=bench
q() { psql -q -U postgres -h 127.0.0.1 "$@"; }
if [ -z "$(psql -At -U postgres -h 127.0.0.1 -c "SELECT 1 FROM pg_database WHERE datname = '$SRC'")" ]; then
  q -c "DROP DATABASE IF EXISTS ${SRC}_building" -c "CREATE DATABASE ${SRC}_building"
  WUYE_DATABASE_URL=$PG/${SRC}_building .venv/bin/wuye migrate > /dev/null
  /usr/bin/time -f "build %e s" env WUYE_DATABASE_URL=$PG/${SRC}_building .venv/bin/wuye demo-data \
    --units "$U" --estates "$E" --seed 1 --history-from 2026-03-01 --history-until 2026-06-15 > /dev/null
  q -d "${SRC}_building" -c "ANALYZE"
  q -c "ALTER DATABASE ${SRC}_building RENAME TO $SRC"
else
  WUYE_DATABASE_URL=$PG/$SRC .venv/bin/wuye migrate > /dev/null
fi
drain() {  # $1 = way, $2 = database
  local url=$PG/$2
  case $1 in
    1x1) env WUYE_DATABASE_URL="$url" .venv/bin/wuye worker --once --no-schedule > /dev/null 2>> /tmp/scale_workers.log ;;
    1x2) env WUYE_DATABASE_URL="$url" .venv/bin/wuye worker --once --threads 2 --no-schedule > /dev/null 2>> /tmp/scale_workers.log ;;
    2x1) env WUYE_DATABASE_URL="$url" .venv/bin/wuye worker --once --no-schedule > /dev/null 2>> /tmp/scale_workers.log &
         env WUYE_DATABASE_URL="$url" .venv/bin/wuye worker --once --no-schedule > /dev/null 2>> /tmp/scale_workers.log
         wait ;;
  esac
}
for way in 1x1 1x2 2x1; do
  db=wuye_scale_t_$way
  q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE $SRC" 2>/dev/null
  WUYE_DATABASE_URL=$PG/$db .venv/bin/wuye runs enqueue dunning --on 2026-06-15 > /dev/null
  /usr/bin/time -f "$way dunning %e s, peak %M KB (largest process)" bash -c "$(declare -f drain); PG=$PG; drain $way $db"
  WUYE_DATABASE_URL=$PG/$db .venv/bin/wuye runs enqueue bills --period 2026-07 --on 2026-07-01 > /dev/null
  /usr/bin/time -f "$way bills %e s, peak %M KB (largest process)" bash -c "$(declare -f drain); PG=$PG; drain $way $db"
  psql -At -U postgres -h 127.0.0.1 -d $db -c "SELECT 'notices', count(*), md5(string_agg(number||':'||account_id||':'||level||':'||status||':'||total, ',' ORDER BY number)) FROM dunning_notice" \
    -c "SELECT 'bills', count(*), md5(string_agg(number||':'||account_id||':'||total, ',' ORDER BY number)) FROM billing_bill" \
    -c "SELECT 'tasks', count(*), string_agg(DISTINCT status, ',') FROM django_tasks_database_dbtaskresult" > /tmp/scale_$way.txt
  cat /tmp/scale_$way.txt
  q -c "DROP DATABASE $db"
done
cmp /tmp/scale_1x1.txt /tmp/scale_1x2.txt && cmp /tmp/scale_1x1.txt /tmp/scale_2x1.txt \
  && echo "same notices and bills whichever way the queue was drained"
