#!/usr/bin/env bash
# Start `make run` on a fresh data folder, wait until its login page answers and its worker
# has run beat's heartbeat, then stop it with Ctrl-C's signal.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${SMOKE_PORT:-8765}
export LOYALTY_VAR_DIR
LOYALTY_VAR_DIR=$(mktemp -d)
log="$LOYALTY_VAR_DIR/make-run.log"
env -u DATABASE_URL -u CELERY_BROKER_URL WEB_PORT="$port" setsid make run >"$log" 2>&1 &
leader=$!
stop() {
    # What Ctrl-C does: SIGINT to the foreground group; honcho then stops its three processes.
    kill -INT -- "-$leader" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$leader" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$leader" 2>/dev/null || true
}
trap stop EXIT

for _ in $(seq 1 180); do
    if curl -fsS "http://127.0.0.1:$port/login/" 2>/dev/null | grep -q "Đăng nhập"; then
        echo "make run answers on http://127.0.0.1:$port/login/"
        break
    fi
    if ! kill -0 "$leader" 2>/dev/null; then
        cat "$log"; echo "make run stopped early"; exit 1
    fi
    sleep 1
done
curl -fsS "http://127.0.0.1:$port/login/" >/dev/null || { cat "$log"; echo "no login page"; exit 1; }
grep -q "Password:" "$log" || { cat "$log"; echo "make run printed no login"; exit 1; }
env -u DATABASE_URL -u CELERY_BROKER_URL .venv/bin/python manage.py system_status --wait 150 \
    || { tail -n 60 "$log"; exit 1; }

stop
trap - EXIT
sleep 1
# Every process of that run carries its data folder in its environment.
left=""
for environ in /proc/[0-9]*/environ; do
    pid=${environ#/proc/}; pid=${pid%/environ}
    if grep -qsa "LOYALTY_VAR_DIR=$LOYALTY_VAR_DIR" "$environ" \
        && ps -o args= -p "$pid" 2>/dev/null | grep -qE "celery|manage.py|honcho"; then
        left="$left $pid"
    fi
done
if [ -n "$left" ]; then
    echo "Ctrl-C left processes running:"; ps -o pid,args -p "$(echo $left | tr ' ' ,)"; exit 1
fi
echo "Ctrl-C stopped the web server, the worker and beat."
