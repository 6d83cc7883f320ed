#!/bin/sh
# deps.sh - make sure the Debian packages the build and the tests need are installed.
# As root it installs what is missing through apt-get; otherwise it prints the exact line to run and fails.
# python3 (Debian 12: 3.11) is for the tests: they write XLSForm workbooks (tests/mkxlsx.py) and read JSON with it.
# gettext's msgfmt compiles the message catalogs (po/); its xgettext extracts the messages for the tests.
# procps (ps, pgrep) is for the tests too: they find and watch the processes they start.
# libpq-dev brings PostgreSQL's client header and libpq5, which common/pqlib.c loads for a store on PostgreSQL.
# libjpeg-dev and libpng-dev bring libjpeg-turbo's and libpng's headers (common/image.c loads the libraries, Debian's
# libjpeg62-turbo and libpng16-16, which they depend on).
# Tests that need more name it (sh scripts/deps.sh PACKAGE...) when it is missing: prometheus for its promtool
# (tests/cli/metrics.sh), faketime, chromium-headless-shell, gdal-bin (tests/cli/export-tiers.sh),
# libreoffice-calc-nogui, python3-pandas and python3-openpyxl (tests/cli/export-office.sh opens the exports in LibreOffice and pandas).
set -u
need="build-essential pkg-config python3 procps libsqlite3-dev libsodium-dev zlib1g-dev libjansson-dev sqlite3 libmicrohttpd-dev libcurl4-openssl-dev curl openssl libxlsxwriter-dev unzip libzip-dev libexpat1-dev gettext libjpeg-dev libpng-dev libpq-dev"
for extra in "$@"; do need="$need $extra"; done
# what_is_missing : the packages of need that are not installed, into missing.
what_is_missing() {
	missing=""
	for p in $need; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
		[ "$st" = "installed" ] || missing="$missing $p"
	done
}
what_is_missing
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	# One install at a time: the tests that need packages of their own (faketime, Chromium, prometheus) run side by
	# side, and a second apt-get fails at once on the lock the first holds. What is still missing is looked at
	# again under the lock, which the one before may have installed.
	exec 9>/var/lock/sondeo-deps.lock
	flock 9
	what_is_missing
	[ -z "$missing" ] && exit 0
	echo "installing missing packages:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends $missing >&2 && exit 0
	echo "apt-get could not install:$missing" >&2
	exit 1
fi
echo "missing Debian packages:$missing" >&2
echo "run as root:  apt-get install -y$missing" >&2
exit 1
