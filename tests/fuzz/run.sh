#!/bin/sh
# run.sh - runs libFuzzer targets one after the other (make fuzz) and prints, for each, how long it ran, its
# executions per second and the coverage it gained: libFuzzer's cov (edges) and ft (features) when it had
# loaded the corpus (INITED) against at its end (DONE), and the inputs it added to the corpus.
#   sh tests/fuzz/run.sh BUILD_DIR SECONDS NAME...
# BUILD_DIR holds tests/fuzz_NAME (make MODE=fuzz); the seeds of tests/fuzz/corpus/NAME are copied into
# BUILD_DIR/corpus/NAME, which keeps what each run found for the next; tests/fuzz/NAME.dict is used when it
# exists. Each target's whole output is in BUILD_DIR/NAME.log. Exits 1 if a target found something (its input
# is BUILD_DIR/NAME-crash-*, leak-*, timeout-* or oom-*).
set -u
dir=$1 seconds=$2
shift 2
fuzz=$(dirname "$0")
status=0
summary=""
for name in "$@"; do
	bin=$dir/tests/fuzz_$name
	corpus=$dir/corpus/$name
	log=$dir/$name.log
	mkdir -p "$corpus"
	[ -d "$fuzz/corpus/$name" ] && cp "$fuzz/corpus/$name"/* "$corpus"/
	dict=""
	[ -f "$fuzz/$name.dict" ] && dict="-dict=$fuzz/$name.dict"
	echo "fuzz_$name: $seconds s..."
	start=$(date +%s)
	# One process (no -jobs, no -fork): the machine is shared. The whole output goes to the log.
	"$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		$dict -artifact_prefix="$dir/$name-" "$corpus" >"$log" 2>&1
	rc=$?
	end=$(date +%s)
	inited=$(grep -m1 'INITED' "$log")
	done_=$(grep 'DONE\|pulse\|NEW\|REDUCE' "$log" | tail -1)
	cov0=$(echo "$inited" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft0=$(echo "$inited" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	cov1=$(echo "$done_" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft1=$(echo "$done_" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	added=$(sed -n 's/^stat::new_units_added: *//p' "$log")
	line="fuzz_$name: $((end - start)) s, ${runs:-?} runs, ${execs:-?} execs/s, cov ${cov0:-?} -> ${cov1:-?}, ft ${ft0:-?} -> ${ft1:-?}, ${added:-0} new inputs"
	if [ "$rc" -ne 0 ]; then
		status=1
		line="$line, FOUND: $(ls "$dir/$name"-* 2>/dev/null | tr '\n' ' ') (see $log)"
		grep -m3 'ERROR\|fuzz_[a-z]*: ' "$log"
	fi
	echo "$line"
	summary="$summary$line
"
done
[ $# -gt 1 ] && printf "\n%s" "$summary"
exit $status
