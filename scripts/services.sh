#!/usr/bin/env bash
# The lab service's backing servers on this machine, without Docker.
#
#   scripts/services.sh install   install what is missing: the Debian packages below
#                                 (servers, decoders, disk-image tools, Chromium) and
#                                 MinIO (go install github.com/minio/minio@latest)
#   scripts/services.sh check     start PostgreSQL and Redis if they are installed but
#                                 stopped; fail, saying what to do, if one cannot be had
#   scripts/services.sh minio-bin print the path of the minio binary
#
# Idempotent: a second run does nothing. Used by scripts/dev.sh, make test and
# (through the same paths) the test harness in storage/servicetest.
set -euo pipefail

gobin() {
	local p
	p="$(go env GOBIN)"
	if [ -z "$p" ]; then p="$(go env GOPATH | cut -d: -f1)/bin"; fi
	echo "$p"
}

minio_bin() {
	if command -v minio >/dev/null 2>&1; then command -v minio; return; fi
	echo "$(gobin)/minio"
}

# Debian packages the tests and the tools need: command or file that proves
# the package is there, then the package.
debs=(
	"redis-server redis-server"
	"/usr/lib/postgresql postgresql"
	"exiftool libimage-exiftool-perl"
	"/usr/include/turbojpeg.h libturbojpeg0-dev"
	"pkg-config pkg-config"
	"/usr/include/x86_64-linux-gnu/libheif/heif.h libheif-dev"
	"gcc gcc"
	"make make"
	"docker-compose docker-compose"
	"chromium chromium"
	"ffmpeg ffmpeg"
	"heif-enc libheif-examples"
	"avifenc libavif-bin"
	"ewfacquire ewf-tools"
	"fls sleuthkit"
	"photorec testdisk"
	"mcopy mtools"
	"mkfs.fat dosfstools"
	"mkntfs ntfs-3g"
	"mkfs.exfat exfatprogs"
	"debugfs e2fsprogs"
	"sfdisk fdisk"
)

install() {
	local need=() probe pkg
	for d in "${debs[@]}"; do
		probe="${d% *}" pkg="${d#* }"
		case "$probe" in
		/*) [ -e "$probe" ] || need+=("$pkg") ;;
		*) command -v "$probe" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$probe" >/dev/null 2>&1 || need+=("$pkg") ;;
		esac
	done
	if [ ${#need[@]} -gt 0 ]; then
		echo "services: installing ${need[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq "${need[@]}"
	fi
	if [ ! -x "$(minio_bin)" ]; then
		echo "services: installing MinIO (go install github.com/minio/minio@latest; a few minutes)"
		go install github.com/minio/minio@latest
	fi
}

check() {
	if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
		if command -v pg_ctlcluster >/dev/null 2>&1; then
			echo "services: starting PostgreSQL"
			pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -1)" main start
			for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
		fi
	fi
	pg_isready -q -h 127.0.0.1 -p 5432 || { echo "services: PostgreSQL is not running on 127.0.0.1:5432: run scripts/services.sh install, then check again" >&2; exit 1; }
	psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'test'" postgres | grep -q 1 ||
		psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" postgres >/dev/null
	if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
		echo "services: starting Redis"
		mkdir -p /var/lib/redis /var/log/redis
		redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
		for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
	fi
	command -v redis-server >/dev/null || { echo "services: redis-server missing: run scripts/services.sh install" >&2; exit 1; }
	[ -x "$(minio_bin)" ] || { echo "services: minio missing: run scripts/services.sh install" >&2; exit 1; }
	command -v exiftool >/dev/null || { echo "services: exiftool missing: run scripts/services.sh install" >&2; exit 1; }
	echo "services: PostgreSQL, Redis, MinIO binary ($(minio_bin)) and exiftool are ready"
}

case "${1:-}" in
install) install ;;
check) check ;;
minio-bin) minio_bin ;;
*) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
