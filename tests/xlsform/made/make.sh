#!/bin/sh
# make.sh - the workbooks of this folder, made with tests/mkxlsx.py from their JSON specs: XLSForm cases no public
# workbook holds (the rules pyxform reads workbooks by). Run it after changing a spec; the .xlsx are committed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for spec in "$here"/*.json; do
	python3 "$here/../../mkxlsx.py" "${spec%.json}.xlsx" "$spec"
done
