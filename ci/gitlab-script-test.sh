#!/usr/bin/env bash
# Runs the `script:` part of ci/gitlab-ci.yml exactly as written (the lines GitLab would run),
# with the tenantsim under test on PATH instead of the `before_script` install, in three
# throw-away projects: one whose scenarios pass (exit 0, JUnit written, nothing replayed), one
# with a planted failure (exit 1, the failing run replayed into out/failure-1/report.html), and
# one with an invalid scenario file (exit 2, an errored test case in the JUnit and the summary).
# Used by .ci/run; costs a few seconds.
#
# Usage: ci/gitlab-script-test.sh PATH/TO/tenantsim
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
ln -s "$bin" "$work/bin/tenantsim"

# The job's script lines, joined as GitLab's shell would run them (errexit on).
python3 - "$repo/ci/gitlab-ci.yml" >"$work/script.sh" <<'PY'
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))["tenant-isolation"]
print("set -eo pipefail")
for line in job["script"]:
    print(line)
PY

fail() { echo "gitlab template: $*" >&2; exit 1; }

# run_project NAME EXPECTED_EXIT FILE...: copies FILEs into NAME/scenarios and runs the script.
run_project() {
  local name=$1 want=$2; shift 2
  local dir="$work/$name"
  mkdir -p "$dir/scenarios"
  cp "$@" "$dir/scenarios/"
  local got=0
  (cd "$dir" && PATH="$work/bin:$PATH" TENANTSIM_SEEDS="1..=2" bash "$work/script.sh") \
    >"$dir.log" 2>&1 || got=$?
  if [ "$got" != "$want" ]; then
    cat "$dir.log" >&2
    fail "project '$name' exited $got, expected $want"
  fi
  [ -s "$dir/out/junit.xml" ] || fail "project '$name' wrote no out/junit.xml"
  [ -s "$dir/out/summary.md" ] || fail "project '$name' wrote no out/summary.md"
  echo "gitlab template: project '$name' exited $got as expected"
}

run_project passing 0 "$repo/scenarios/hot-tenant.toml"
[ ! -e "$work/passing/out/failure-1" ] || fail "a passing check replayed a run"

run_project failing 1 "$repo/scenarios/hot-tenant.toml" "$repo/tests/fixtures/planted-starvation.toml"
[ -s "$work/failing/out/failure-1/report.html" ] || fail "the failing run was not replayed with --out"
[ ! -e "$work/failing/out/failure-2" ] || fail "the same failing run was replayed twice"
grep -q 'cap-misconfigured' "$work/failing.log" || fail "the replay did not name the failing variant"

printf 'version = 1\nname = "broken"\nduratoin = "1m"\n' >"$work/bad.toml"
run_project invalid 2 "$repo/scenarios/hot-tenant.toml" "$work/bad.toml"
grep -q '<error' "$work/invalid/out/junit.xml" || fail "the invalid file is not an errored test case"
grep -q 'bad.toml' "$work/invalid/out/summary.md" || fail "the summary does not name the invalid file"
echo "gitlab template: script part OK"
