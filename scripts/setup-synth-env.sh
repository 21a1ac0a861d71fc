#!/usr/bin/env bash
# Create (or reuse) the Python environment used by the synth tier:
# .venv-synth/ in the repository root, with the exact packages listed in
# tests/synth/requirements.txt (aws-cdk-lib, constructs, cdk-nag).
#
# The environment is stamped with the sha256 of the requirements file. When the
# stamp matches, the script does nothing. When it is missing or differs (edited
# requirements, interrupted install), the environment is rebuilt from scratch.
#
# Needs python3 (>= 3.10, with the venv module) and node (jsii runs the CDK
# libraries in node). Prints one line on success.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
venv_name=".venv-synth"
venv="$repo_root/$venv_name"
requirements="$repo_root/tests/synth/requirements.txt"
stamp="$venv/.requirements.sha256"
min_python="3.10"   # aws-cdk-lib 2.256+, jsii 1.142 and cattrs 26 require 3.10

die() {
    echo "setup-synth-env: $*" >&2
    exit 1
}

if ! command -v python3 >/dev/null 2>&1; then
    die "python3 not found on PATH (need python3 >= $min_python)"
fi
if ! python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' >/dev/null 2>&1; then
    die "python3 >= $min_python required, found $(python3 -c 'import platform; print(platform.python_version())' 2>/dev/null || echo unknown)"
fi
if ! command -v node >/dev/null 2>&1; then
    die "node not found on PATH (the CDK libraries run in node via jsii)"
fi
[[ -f "$requirements" ]] || die "missing $requirements"

if command -v sha256sum >/dev/null 2>&1; then
    want="$(sha256sum "$requirements" | cut -d' ' -f1)"
elif command -v shasum >/dev/null 2>&1; then
    want="$(shasum -a 256 "$requirements" | cut -d' ' -f1)"
else
    want="$(python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$requirements")"
fi

installed_version() {
    # Version of an installed distribution, read from its .dist-info folder name.
    local dist
    for dist in "$venv"/lib/python3*/site-packages/"$1"-*.dist-info; do
        if [[ -d "$dist" ]]; then
            dist="${dist##*/}"
            dist="${dist#"$1"-}"
            echo "${dist%.dist-info}"
            return
        fi
    done
    echo "?"
}

ready() {
    echo "synth env ready: $venv_name (aws-cdk-lib $(installed_version aws_cdk_lib), cdk-nag $(installed_version cdk_nag))"
}

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    ready
    exit 0
fi

# Two concurrent runs would delete and rebuild the environment under each
# other: the second waits for the first, then finds the stamp in place.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$repo_root/.venv-synth.lock"
    flock 9
    if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        ready
        exit 0
    fi
fi

if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    die "python3 cannot create virtualenvs (venv/ensurepip missing; on Debian/Ubuntu install python3-venv)"
fi

rm -rf "$venv"
log="$(mktemp "${TMPDIR:-/tmp}/setup-synth-env.XXXXXX")"
trap 'rm -f "$log"' EXIT

if ! python3 -m venv "$venv" >"$log" 2>&1; then
    cat "$log" >&2
    rm -rf "$venv"
    die "could not create $venv_name"
fi
if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet \
        -r "$requirements" >"$log" 2>&1; then
    cat "$log" >&2
    die "pip install -r tests/synth/requirements.txt failed (the environment will be rebuilt on the next run)"
fi

# Written last: its presence means the install above completed.
echo "$want" >"$stamp"
ready
