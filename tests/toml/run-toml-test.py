#!/usr/bin/env python3
"""Runs the toml-test 1.0.0 suite against toml-decode.

usage: run-toml-test.py DECODER [SUITE_DIR]

Every valid/*.toml must decode to JSON equal to the .json beside it (type and
value; floats compared numerically, nan and inf by text, datetimes after
RFC 3339 normalisation); every invalid/*.toml must be rejected. Exits 77
(ctest SKIP_RETURN_CODE) when the suite is not present.
"""
import json
import math
import os
import re
import subprocess
import sys

SKIP = 77


def norm_datetime(s):
    s = s.upper().replace(" ", "T")
    # Fractional seconds: 56.600 and 56.6 are the same instant.
    m = re.match(r"^(.*\d\d:\d\d:\d\d)(\.\d+)?(.*)$", s)
    if not m:
        return s
    frac = (m.group(2) or "").rstrip("0")
    if frac == ".":
        frac = ""
    return m.group(1) + frac + m.group(3)


def same_scalar(got, want):
    if got.get("type") != want.get("type"):
        return False
    t, g, w = want["type"], got.get("value"), want.get("value")
    if t == "float":
        if w in ("nan", "+nan", "-nan") or g in ("nan", "+nan", "-nan"):
            return g.lstrip("+-") == w.lstrip("+-")
        try:
            return float(g) == float(w) or math.isclose(float(g), float(w))
        except ValueError:
            return False
    if t == "integer":
        return int(g) == int(w)
    if t in ("datetime", "datetime-local", "date-local", "time-local"):
        return norm_datetime(g) == norm_datetime(w)
    return g == w


def same(got, want, path="$"):
    if isinstance(want, dict) and set(want) == {"type", "value"} and \
            isinstance(want.get("value"), str):
        if not isinstance(got, dict) or not same_scalar(got, want):
            return "%s: got %r, want %r" % (path, got, want)
        return None
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return "%s: got %r, want a table" % (path, got)
        if set(got) != set(want):
            return "%s: keys %r, want %r" % (path, sorted(got), sorted(want))
        for k in want:
            err = same(got[k], want[k], "%s.%s" % (path, k))
            if err:
                return err
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return "%s: got %r, want %r" % (path, got, want)
        for i, (g, w) in enumerate(zip(got, want)):
            err = same(g, w, "%s[%d]" % (path, i))
            if err:
                return err
        return None
    return "%s: unexpected expected value %r" % (path, want)


def decode(decoder, path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        p = subprocess.run([decoder], input=data, capture_output=True,
                           timeout=20)
    except subprocess.TimeoutExpired:
        return None, "timed out"
    if p.returncode < 0:
        return None, "crashed with signal %d" % -p.returncode
    if p.returncode != 0:
        return None, p.stderr.decode("utf-8", "replace").strip()
    try:
        return json.loads(p.stdout.decode("utf-8")), None
    except ValueError as e:
        return None, "decoder printed invalid JSON: %s" % e


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    decoder = sys.argv[1]
    suite = os.environ.get("BOOTPIPE_TOML_TEST_DIR") or \
        (sys.argv[2] if len(sys.argv) > 2 else "")
    listing = os.path.join(suite, "tests", "files-toml-1.0.0")
    if not suite or not os.path.isfile(listing):
        print("toml-test suite not found (looked for %s); set "
              "BOOTPIPE_TOML_TEST_DIR to a toml-test checkout" % listing)
        return SKIP
    base = os.path.join(suite, "tests")
    with open(listing) as f:
        cases = [l.strip() for l in f if l.strip().endswith(".toml")]
    counts = {"valid": [0, 0], "invalid": [0, 0]}
    failures = []
    for case in cases:
        kind = case.split("/", 1)[0]
        path = os.path.join(base, case)
        got, err = decode(decoder, path)
        counts[kind][1] += 1
        if kind == "valid":
            if err:
                failures.append("%s: rejected: %s" % (case, err))
                continue
            with open(path[:-5] + ".json", encoding="utf-8") as f:
                want = json.load(f)
            diff = same(got, want)
            if diff:
                failures.append("%s: %s" % (case, diff))
                continue
        else:
            if err is None:
                failures.append("%s: accepted invalid TOML" % case)
                continue
            if err.startswith(("timed out", "crashed")):
                failures.append("%s: %s" % (case, err))
                continue
        counts[kind][0] += 1
    for f in failures:
        print("FAIL", f)
    print("valid: %d/%d passed, invalid: %d/%d rejected" %
          (counts["valid"][0], counts["valid"][1],
           counts["invalid"][0], counts["invalid"][1]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
