#!/bin/sh
# help.sh - every sondeo command explains itself (--help: what it does, each option it shows in its usage, an
# example), and the global options --store and --lang are taken after the command as well as before it.
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
# Every command's main paths: their leaks are looked for too (lib.sh says why the other scripts' are not).
LEAK_CHECK=all
. "$TOP/tests/cli/lib.sh"

LANG=C.UTF-8
export LANG
unset LANGUAGE LC_ALL XDG_DATA_HOME SONDEO_HOME

t "sondeo --help lists the commands"
run "$SONDEO" --help
check_rc 0
check_out_has "usage: sondeo [--store DIR] [--lang LANG] COMMAND"
cmds=$(printf '%s\n' "$OUT" | sed -n 's/^  \([a-z-]*\)  .*/\1/p')
check_eq "$(printf '%s\n' "$cmds" | wc -l | tr -d ' ')" 14 "number of commands listed"

for c in $cmds; do
	t "sondeo $c --help says what it does, its options and an example"
	run "$SONDEO" "$c" --help
	check_rc 0
	first=$(printf '%s\n' "$OUT" | head -n 1)
	case $first in "usage: sondeo $c"*) ;; *) fail "first line is '$first'" ;; esac
	check_out_has "example: sondeo $c"
	# What it does: a sentence, after the usage and before the options and the example.
	body=$(printf '%s\n' "$OUT" | sed -n '/^$/,$p')
	printf '%s\n' "$body" | sed -n '2p' | grep -q '^[A-Z][a-z]* .*' || fail "no description after the usage"
	# Each option the usage shows is explained in the body.
	for o in $(printf '%s\n' "$OUT" | sed -n '1,/^$/p' | grep -o -- '--[a-z-]*' | sort -u); do
		printf '%s\n' "$body" | grep -q -- "^  .*$o\b" || fail "$o is in the usage but not explained"
	done
	check_out_has "--store DIR"
done

t "help COMMAND is COMMAND --help"
run "$SONDEO" help list
check_rc 0
check_out_has "--conflicts"
check_out_has "example: sondeo list"

dir=$(mktemp -d "$_t_dir/store.XXXXXX")
t "--store after the command: init creates the store there"
run "$SONDEO" init --name after --store "$dir/a"
check_rc 0
check_out_has "created store in $dir/a"
check_file_exists "$dir/a/store.db"

t "--store=DIR after the command is the store read"
run "$SONDEO" status --json --store="$dir/a"
check_rc 0
check_out_has '"name": "after"'

t "--lang after the command: form show in French"
run "$SONDEO" --store "$dir/a" form show partnership --lang fr
check_rc 0
check_out_has "Nom de l'organisation partenaire"
check_out_lacks "Partner organisation name"

t "--lang=es after a subcommand's operand"
run "$SONDEO" forms --lang=es --store "$dir/a"
check_rc 0
check_out_has "Alianzas inclusivas"

t "the last --lang wins, before or after the command"
run "$SONDEO" --lang es --store "$dir/a" form show partnership --lang fr
check_rc 0
check_out_has "Nom de l'organisation partenaire"

t "a global option without its value after the command is a usage error"
run "$SONDEO" list --store "$dir/a" --lang
check_rc 2
check_err_has "option '--lang' needs a value"

t "--store after the command naming no store: the error names the store"
run "$SONDEO" list --store "$dir/none"
check_rc 1
check_err_has "$dir/none"

done_testing
