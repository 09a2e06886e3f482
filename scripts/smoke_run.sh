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
stop() { kill -INT -- "-$leader" 2>/dev/null || true; sleep 3; kill -KILL -- "-$leader" 2>/dev/null || true; }
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
