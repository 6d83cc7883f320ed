#!/bin/sh
# pgcluster.sh - a throwaway PostgreSQL cluster for tests and benches: tests/run.sh makes one that the scripts of
# a run share (each in databases of its own), tests/cli/pg.inc one for a script that stops and starts it.
#
#   sh tests/pgcluster.sh start DIR   makes the cluster in DIR/data and starts it on a Unix socket in DIR
#   sh tests/pgcluster.sh restart DIR stops it (fast: every session is cut) and starts it again as it was
#   sh tests/pgcluster.sh stop DIR    stops it at once (immediate: nothing of it is kept)
#
# DIR must exist, and be the postgres account's when run as root: PostgreSQL refuses to run as root, so as root it
# runs as that account, which Debian's package makes. The cluster is made with initdb --no-sync and runs without
# fsync, on a Unix socket and no TCP port, so that clusters of parallel runs never meet; it starts in a second or
# two. For the tests it also runs without autovacuum and with less memory and WAL (PG_LEAN; a bench sets it
# empty, its planner needing the statistics autovacuum gathers). Exit 0, or 1 saying why on stderr.
set -u
PG_LEAN_DEFAULT="-c autovacuum=off -c wal_level=minimal -c max_wal_senders=0 -c shared_buffers=32MB"
[ $# -eq 2 ] && [ -d "$2" ] || { echo "usage: sh tests/pgcluster.sh start|restart|stop DIR" >&2; exit 2; }
dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] && [ -x "$bin/initdb" ] || { echo "PostgreSQL's server programs are not installed" >&2; exit 1; }
as=""
[ "$(id -u)" = 0 ] && as="runuser -u postgres --"
case $1 in
start)
	if ! $as "$bin/initdb" --no-sync -A trust -U sondeo -E UTF8 --locale=C.UTF-8 -D "$dir/data" \
		>"$dir/initdb.log" 2>&1; then
		echo "initdb failed: $(tail -n 3 "$dir/initdb.log")" >&2
		exit 1
	fi
	if ! $as "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 -o "-c listen_addresses='' \
		-c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
		${PG_LEAN-$PG_LEAN_DEFAULT}" start >/dev/null 2>&1; then
		echo "PostgreSQL did not start: $(tail -n 3 "$dir/log" 2>/dev/null)" >&2
		exit 1
	fi
	;;
restart)
	$as "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 restart >/dev/null 2>&1
	;;
stop)
	$as "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
	;;
*)
	echo "usage: sh tests/pgcluster.sh start|restart|stop DIR" >&2
	exit 2
	;;
esac
