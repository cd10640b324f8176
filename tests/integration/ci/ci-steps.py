#!/usr/bin/env python3
"""Print the shell a CI example runs, so a test runs the very commands a
user copies.

  ci-steps.py github FILE JOB STEP [MATRIX_ENTRY_JSON]
      the `run:` of the step named STEP in job JOB, with ${{ matrix.KEY }}
      replaced from the entry; any other ${{ }} expression is an error
  ci-steps.py gitlab FILE JOB
      the `script:` lines of job JOB, less those that install packages or
      build (the test has a build already), as one script after the
      `variables:` as exports
"""
import json
import re
import shlex
import sys

import yaml

EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
# what a runner provides and the test has done already
SETUP = ("./scripts/install-deps.sh", "apt-get ", "cmake -S ", "cmake --build ")


def github(path, job, step, entry):
    jobs = yaml.safe_load(open(path))["jobs"]
    steps = [s for s in jobs[job]["steps"] if s.get("name") == step]
    if len(steps) != 1:
        sys.exit(f"{path}: job {job} has {len(steps)} steps named {step!r}")
    matrix = json.loads(entry) if entry else {}

    def value(m):
        key = m.group(1)
        if not key.startswith("matrix.") or key[7:] not in matrix:
            sys.exit(f"{path}: {job}/{step}: cannot expand ${{{{ {key} }}}}")
        return matrix[key[7:]]

    return EXPR.sub(value, steps[0]["run"])


def gitlab(path, job):
    doc = yaml.safe_load(open(path))
    lines = [f"export {k}={shlex.quote(str(v))}"
             for k, v in doc.get("variables", {}).items()]
    lines += [line for line in doc[job]["script"] if not line.startswith(SETUP)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    kind, args = sys.argv[1], sys.argv[2:]
    if kind == "github":
        sys.stdout.write(github(args[0], args[1], args[2],
                                args[3] if len(args) > 3 else None))
    elif kind == "gitlab":
        sys.stdout.write(gitlab(args[0], args[1]))
    else:
        sys.exit(f"unknown kind {kind}")
