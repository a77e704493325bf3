#!/usr/bin/env bash
# A running lab service on loopback, without Docker.
#
#   scripts/dev.sh up     start Redis and PostgreSQL (if stopped), MinIO (installed with
#                         go install if missing), winnow serve and one winnow worker, and
#                         write .dev/env with WINNOW_SERVER and WINNOW_TOKEN (an admin),
#                         and .dev/ui-password, the admin's password for the review UI
#   scripts/dev.sh down   stop what "up" started
#
# Then:  . .dev/env && bin/winnow submit --case C --exhibit E --wait PATH...
# Logs are in .dev/*.log. Ports: DEV_API_PORT (8080) and DEV_MINIO_PORT (9000).
set -euo pipefail
cd "$(dirname "$0")/.."
DEV=.dev
API_PORT=${DEV_API_PORT:-8080}
MINIO_PORT=${DEV_MINIO_PORT:-9000}

started() { [ -f "$DEV/$1.pid" ] && kill -0 "$(cat "$DEV/$1.pid")" 2>/dev/null; }

start_bg() { # name command...
	local name=$1; shift
	if started "$name"; then echo "dev: $name already running"; return; fi
	setsid "$@" >"$DEV/$name.log" 2>&1 </dev/null &
	echo $! >"$DEV/$name.pid"
}

wait_http() { # url what
	for _ in $(seq 150); do
		curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	echo "dev: $2 did not come up; see $DEV/*.log" >&2
	exit 1
}

up() {
	mkdir -p "$DEV"
	redis_was_up=1; redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis_was_up=0
	pg_was_up=1; pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || pg_was_up=0
	scripts/services.sh install
	scripts/services.sh check
	[ $redis_was_up = 0 ] && touch "$DEV/started-redis"
	[ $pg_was_up = 0 ] && touch "$DEV/started-postgres"
	psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'winnow'" postgres | grep -q 1 ||
		psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE winnow" postgres

	if [ ! -f "$DEV/minio.secret" ]; then
		head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$DEV/minio.secret"
		echo "winnow-dev:$(head -c 32 /dev/urandom | base64)" >"$DEV/minio.kms"
		chmod 600 "$DEV/minio.secret" "$DEV/minio.kms"
	fi
	secret=$(cat "$DEV/minio.secret")
	start_bg minio env MINIO_ROOT_USER=winnow MINIO_ROOT_PASSWORD="$secret" MINIO_KMS_SECRET_KEY="$(cat "$DEV/minio.kms")" \
		MINIO_BROWSER=off MINIO_UPDATE=off "$(scripts/services.sh minio-bin)" server --quiet \
		--address "127.0.0.1:$MINIO_PORT" --console-address "127.0.0.1:$((MINIO_PORT + 1))" "$DEV/minio-data"
	wait_http "http://127.0.0.1:$MINIO_PORT/minio/health/ready" MinIO

	make -s build
	cat >"$DEV/service.env" <<ENV
export WINNOW_PG_URL=postgres://postgres@127.0.0.1:5432/winnow?sslmode=disable
export WINNOW_REDIS_ADDR=127.0.0.1:6379
export WINNOW_MINIO_ENDPOINT=127.0.0.1:$MINIO_PORT
export WINNOW_MINIO_ACCESS_KEY=winnow
export WINNOW_MINIO_SECRET_KEY=$secret
export WINNOW_MINIO_BUCKET=winnow
export WINNOW_MINIO_SSE=s3
export WINNOW_LISTEN=127.0.0.1:$API_PORT
export WINNOW_AUDIT_KEY=$DEV/audit.key
ENV
	chmod 600 "$DEV/service.env"
	# shellcheck disable=SC1091
	. "$DEV/service.env"
	start_bg serve bin/winnow serve
	wait_http "http://127.0.0.1:$API_PORT/readyz" "winnow serve"
	start_bg worker bin/winnow worker
	token=$(bin/winnow admin bootstrap --name admin)
	# A web UI login for the admin (the review queue): a random password,
	# given on stdin, never on a command line.
	[ -f "$DEV/ui-password" ] || { head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$DEV/ui-password"; chmod 600 "$DEV/ui-password"; }
	bin/winnow admin user password --name admin <"$DEV/ui-password"
	cat >"$DEV/env" <<ENV
WINNOW_SERVER=http://127.0.0.1:$API_PORT
WINNOW_TOKEN=$token
export WINNOW_SERVER WINNOW_TOKEN
ENV
	chmod 600 "$DEV/env"
	echo "dev: lab service up at http://127.0.0.1:$API_PORT; credentials in $DEV/env (. $DEV/env)"
	echo "dev: review UI at http://localhost:$API_PORT/ui/ (user admin, password in $DEV/ui-password)"
}

stop_pid() {
	local name=$1
	if started "$name"; then
		pid=$(cat "$DEV/$name.pid")
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$pid" 2>/dev/null || true
		echo "dev: stopped $name"
	fi
	rm -f "$DEV/$name.pid"
}

down() {
	[ -d "$DEV" ] || { echo "dev: nothing to stop"; return; }
	stop_pid worker
	stop_pid serve
	stop_pid minio
	if [ -f "$DEV/started-redis" ]; then redis-cli -h 127.0.0.1 -p 6379 shutdown nosave >/dev/null 2>&1 || true; rm -f "$DEV/started-redis"; echo "dev: stopped Redis"; fi
	if [ -f "$DEV/started-postgres" ]; then pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -1)" main stop || true; rm -f "$DEV/started-postgres"; echo "dev: stopped PostgreSQL"; fi
	rm -f "$DEV/env"
}

case "${1:-}" in
up) up ;;
down) down ;;
*) sed -n '2,11p' "$0" >&2; exit 2 ;;
esac
