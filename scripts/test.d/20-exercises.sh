#!/usr/bin/env bash
# Graded exercises: the grader's self-check, then the learner's own command on the untouched
# stubs, which must fail — every exercise "not implemented yet" — and write its grade files.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"

say "exercises: the grader's tests — self-check (solutions pass; stubs not implemented; each wrong
implementation caught), answer key (shortcuts do not compile), forgery (exit, fake grade.json, hang,
abort), class formats"
cargo test --locked --release -p faultline-grader

say "exercises: the learner's \`cargo test\` on the untouched stubs"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cd "$ROOT/exercises"
export FAULTLINE_GRADE_DIR="$out" FAULTLINE_STUDENT=ci
set +e
cargo test --locked --release >"$out/log" 2>&1
code=$?
set -e
fail() { cat "$out/log"; echo "20-exercises: $*" >&2; exit 1; }
[ "$code" -ne 0 ] || fail "grading the stubs should fail, but exited 0"
exercises=$(grep -c '^  ✗ [a-z_]*::[a-z_]* .* not implemented yet' "$out/log" || true)
[ "$exercises" -eq 9 ] || fail "expected 9 exercises reported not implemented yet, saw $exercises"
grep -q 'Score: 0/' "$out/log" || fail "no score line"
python3 - "$out" <<'PY' || fail "grade files malformed"
import csv, json, sys
d = sys.argv[1]
g = json.load(open(f"{d}/grade.json"))
assert g["score"] == 0 and g["max_score"] > 0, g["score"]
assert g["complete"] is True, "every exercise graded"
assert len(g["exercises"]) == 9
for e in g["exercises"]:
    assert e["status"] == "fail"
    for p in e["properties"]:
        assert p["kind"] == "not-implemented" and p["message"].startswith("not implemented yet"), p
rows = list(csv.DictReader(open(f"{d}/grades.csv")))
assert len(rows) == 9 and rows[0]["student_id"] == "ci" and rows[0]["score"] == "0.0", rows[0]
gs = json.load(open(f"{d}/results.json"))
assert len(gs["tests"]) == g["max_score"] and "score" not in gs, "one Gradescope test per property"
for t in gs["tests"]:
    assert t["status"] == "failed" and t["score"] == 0 and t["max_score"] == 1, t
    assert "not implemented yet" in t["output"] and t["visibility"] == "visible", t
PY

say "exercises: hints and one-exercise grading"
cargo test --locked --release -q -- --hint retries::backoff >"$out/hint" 2>&1 || fail "--hint failed"
grep -q 'Hint 1 of' "$out/hint" || { cat "$out/hint"; fail "--hint printed no hint"; }
set +e
cargo test --locked --release -q -- quorums::arithmetic --seed 3 >"$out/one" 2>&1
set -e
grep -q 'quorums::arithmetic' "$out/one" && ! grep -q 'retries::backoff' "$out/one" \
  || { cat "$out/one"; fail "filtering to one exercise did not work"; }
echo "exercises: grader self-check and learner path OK"
