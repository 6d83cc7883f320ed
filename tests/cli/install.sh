#!/bin/sh
# install.sh - make install puts the binary and the man page under DESTDIR/PREFIX, and they work from there.
. "$TOP/tests/cli/lib.sh"

dest=$TMPDIR/dest

t "make install honours DESTDIR and PREFIX"
# One build at a time, the tests' own (the Makefile says why): the other test of make install waits for it.
mkdir -p "$TOP/build"
run flock "$TOP/build/.install-test.lock" make -C "$TOP" --no-print-directory -j2 install DESTDIR="$dest" PREFIX=/opt/sondeo \
	BUILD_DIR=build/install-test BIN=build/install-test/bin CFLAGS="-O0 -g0"
check_rc 0
check_file_exists "$dest/opt/sondeo/bin/sondeo"
check_file_exists "$dest/opt/sondeo/share/man/man1/sondeo.1"
check_file_mode "$dest/opt/sondeo/bin/sondeo" 755
check_file_mode "$dest/opt/sondeo/bin/sondeod" 755
check_file_mode "$dest/opt/sondeo/share/man/man8/sondeod.8" 644
check_file_mode "$dest/opt/sondeo/share/man/man1/sondeo.1" 644
check_file_absent "$dest/usr/local/bin/sondeo"
check_file_mode "$dest/opt/sondeo/share/sondeo/partnership.xlsx" 644
[ "$(head -c 2 "$dest/opt/sondeo/share/sondeo/partnership.xlsx" 2>/dev/null)" = PK ] ||
	fail "the installed partnership.xlsx is not a workbook (a zip)"

t "the installed sondeo runs and the man page reads"
run "$dest/opt/sondeo/bin/sondeo" --version
check_rc 0
check_out_has "sondeo 0.1"
new_store
run "$dest/opt/sondeo/bin/sondeo" init --name installed
check_rc 0
check_out_has "device id: "
if command -v man >/dev/null 2>&1; then
	run man -l "$dest/opt/sondeo/share/man/man1/sondeo.1"
	check_rc 0
	check_out_has "offline-first field surveys"
else
	# Without man-db, the page must at least be well-formed roff with its name line.
	run grep -c '^\.SH' "$dest/opt/sondeo/share/man/man1/sondeo.1"
	check_rc 0
	run head -n 5 "$dest/opt/sondeo/share/man/man1/sondeo.1"
	check_out_has "sondeo \\- offline-first field surveys"
fi

done_testing
