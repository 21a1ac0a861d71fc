#!/usr/bin/env python3
"""Synthesize a CDK Python app with cdk-nag applied and summarise the result.

Usage (after scripts/setup-synth-env.sh):

    .venv-synth/bin/python tests/synth/nag_synth.py APP_DIR OUT_JSON

Run with another interpreter, it still runs the app with .venv-synth's Python
unless that interpreter can import aws_cdk and cdk_nag itself.

The app in APP_DIR is run in a child Python process, the way `cdk synth` would
run it, but without the CDK CLI and without AWS credentials:

* The entry point comes from the "app" command in APP_DIR/cdk.json
  (`python3 app.py`, `python tap.py`, `python3 -m pkg`, ...), or app.py.
* A small bootstrap wraps `aws_cdk.App.__init__` before the entry point runs,
  so every App the program creates writes its cloud assembly to a temporary
  directory outside APP_DIR and carries the cdk-nag AwsSolutionsChecks and
  ServerlessChecks aspects. The app's files are never edited, and no bytecode
  is written next to them.
* Context is what the CLI would pass: the "context" of cdk.json, then
  cdk.context.json, then fixed settings that keep the output deterministic
  and offline (asset bundling off, version reporting off, path metadata on).
* CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION and AWS_REGION/AWS_DEFAULT_REGION/
  AWS_PROFILE are removed from the app's environment, so the result does not
  depend on the caller's shell.

OUT_JSON receives

    {"ok": true,
     "stacks": {"<StackName>": <CloudFormation template>, ...},
     "findings": [{"pack", "rule", "stack", "resource", "level",
                   "compliance"}, ...]}

where findings are the Non-Compliant rows of cdk-nag's per-stack CSV reports
(one entry per distinct pack/rule/stack/resource), sorted. On failure it
receives {"ok": false, "error": "<last lines of the app's stderr>"} and the
exit status is 1.
"""

import csv
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

# cdk-nag pack names as they appear in rule ids and report file names.
PACKS = ("AwsSolutions", "Serverless")

# Context keys the CDK CLI normally sets; fixed here so that synthesis never
# bundles (no Docker), never reports versions and always records construct
# paths in template metadata.
FORCED_CONTEXT = {
    "aws:cdk:bundling-stacks": [],
    "aws:cdk:version-reporting": False,
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
}

# Variables that would make the synthesized templates depend on the caller.
SCRUBBED_ENV = (
    "CDK_DEFAULT_ACCOUNT",
    "CDK_DEFAULT_REGION",
    "CDK_CONTEXT_JSON",
    "CDK_OUTDIR",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
)

SYNTH_TIMEOUT_SECONDS = 900
STDERR_TAIL_LINES = 40

# Runs in the child process: argv = [kind, target, app_dir, *app_args].
BOOTSTRAP = r"""
import os
import runpy
import sys

import aws_cdk
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

_outdir = os.environ["CDK_OUTDIR"]
_app_init = aws_cdk.App.__init__


def _nag_app_init(self, *args, **kwargs):
    kwargs["outdir"] = _outdir
    _app_init(self, *args, **kwargs)
    aspects = aws_cdk.Aspects.of(self)
    aspects.add(AwsSolutionsChecks())
    aspects.add(ServerlessChecks())


aws_cdk.App.__init__ = _nag_app_init

kind, target, app_dir = sys.argv[1:4]
sys.argv = [target] + sys.argv[4:]
if kind == "module":
    sys.path[0] = app_dir
    runpy.run_module(target, run_name="__main__", alter_sys=True)
else:
    sys.path[0] = os.path.dirname(target)
    if app_dir not in sys.path:
        sys.path.insert(1, app_dir)
    runpy.run_path(target, run_name="__main__")
"""


class SynthError(Exception):
    pass


def synth_python():
    """Interpreter for the app: this one if it has the CDK libraries, else .venv-synth's."""
    if importlib.util.find_spec("aws_cdk") and importlib.util.find_spec("cdk_nag"):
        return sys.executable
    repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    venv_python = os.path.join(repo_root, ".venv-synth", "bin", "python")
    if os.path.exists(venv_python):
        return venv_python
    raise SynthError(
        "aws-cdk-lib/cdk-nag not importable and .venv-synth missing: run scripts/setup-synth-env.sh"
    )


def entry_point(app_dir):
    """Return (kind, target, extra_args) for the app in app_dir."""
    cdk_json = os.path.join(app_dir, "cdk.json")
    command = None
    if os.path.isfile(cdk_json):
        with open(cdk_json, encoding="utf-8") as fh:
            command = json.load(fh).get("app")
    if command:
        argv = shlex.split(command)
        for i, arg in enumerate(argv):
            if arg == "-m" and i + 1 < len(argv):
                return "module", argv[i + 1], argv[i + 2:]
            if arg.endswith(".py"):
                return "path", os.path.join(app_dir, arg), argv[i + 1:]
    return "path", os.path.join(app_dir, "app.py"), []


def load_context(app_dir):
    context = {}
    cdk_json = os.path.join(app_dir, "cdk.json")
    if os.path.isfile(cdk_json):
        with open(cdk_json, encoding="utf-8") as fh:
            context.update(json.load(fh).get("context") or {})
    cdk_context_json = os.path.join(app_dir, "cdk.context.json")
    if os.path.isfile(cdk_context_json):
        with open(cdk_context_json, encoding="utf-8") as fh:
            context.update(json.load(fh))
    context.update(FORCED_CONTEXT)
    return context


def run_app(app_dir, outdir):
    kind, target, extra = entry_point(app_dir)
    if kind == "path" and not os.path.isfile(target):
        raise SynthError(f"entry point not found: {target}")

    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env["CDK_OUTDIR"] = outdir
    env["CDK_CONTEXT_JSON"] = json.dumps(load_context(app_dir))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # jsii prints a large banner on stderr for node versions it no longer
    # tests; it does not affect synthesis.
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "14,16,18,20")
    env.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
    env.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

    cmd = [synth_python(), "-B", "-c", BOOTSTRAP, kind, target, app_dir, *extra]
    try:
        proc = subprocess.run(
            cmd,
            cwd=app_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=SYNTH_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise SynthError(f"synth did not finish within {SYNTH_TIMEOUT_SECONDS}s")
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-STDERR_TAIL_LINES:]
        raise SynthError(
            f"app exited with status {proc.returncode}:\n" + "\n".join(tail)
        )


def collect_stacks(assembly_dir):
    """Map stack name -> template for every stack in the (nested) assembly."""
    manifest_path = os.path.join(assembly_dir, "manifest.json")
    if not os.path.isfile(manifest_path):
        raise SynthError("no cloud assembly was written (does the app call app.synth()?)")
    with open(manifest_path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    stacks = {}
    for artifact_id, artifact in sorted((manifest.get("artifacts") or {}).items()):
        props = artifact.get("properties") or {}
        if artifact.get("type") == "aws:cloudformation:stack":
            name = props.get("stackName") or artifact_id
            with open(os.path.join(assembly_dir, props["templateFile"]), encoding="utf-8") as fh:
                stacks[name] = json.load(fh)
        elif artifact.get("type") == "cdk:cloud-assembly":
            stacks.update(collect_stacks(os.path.join(assembly_dir, props["directoryName"])))
    return stacks


def report_stack(file_name, pack, stack_names):
    """Stack name for a report file `<Pack>-[<Stage>-]<StackName>-NagReport.csv`."""
    middle = file_name[len(pack) + 1:-len("-NagReport.csv")]
    if middle in stack_names:
        return middle
    matches = [s for s in stack_names if middle.endswith("-" + s)]
    if matches:
        return max(matches, key=len)
    # A stack directly under the App carries the App's empty id as prefix.
    return middle.lstrip("-")


def collect_findings(outdir, stack_names):
    findings = set()
    for file_name in sorted(os.listdir(outdir)):
        if not file_name.endswith("-NagReport.csv"):
            continue
        pack = next((p for p in PACKS if file_name.startswith(p + "-")), None)
        if pack is None:
            continue
        stack = report_stack(file_name, pack, stack_names)
        with open(os.path.join(outdir, file_name), newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row.get("Compliance") != "Non-Compliant":
                    continue
                findings.add((pack, row["Rule ID"], stack, row["Resource ID"], row["Rule Level"]))
    return [
        {
            "pack": pack,
            "rule": rule,
            "stack": stack,
            "resource": resource,
            "level": level,
            "compliance": "Non-Compliant",
        }
        for pack, rule, stack, resource, level in sorted(findings)
    ]


def synth(app_dir):
    outdir = tempfile.mkdtemp(prefix="cdkfix-synth-")
    try:
        run_app(app_dir, outdir)
        stacks = collect_stacks(outdir)
        if not stacks:
            raise SynthError("the app synthesized no stacks")
        findings = collect_findings(outdir, set(stacks))
        return {"ok": True, "stacks": stacks, "findings": findings}
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


def main(argv):
    if len(argv) != 3:
        print(f"usage: {os.path.basename(argv[0])} APP_DIR OUT_JSON", file=sys.stderr)
        return 2
    app_dir = os.path.abspath(argv[1])
    out_json = os.path.abspath(argv[2])
    try:
        if not os.path.isdir(app_dir):
            raise SynthError(f"not a directory: {app_dir}")
        result = synth(app_dir)
        status = 0
    except SynthError as exc:
        result = {"ok": False, "error": str(exc)}
        status = 1
    except Exception as exc:  # report anything unexpected in the same shape
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        status = 1
    with open(out_json, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=1, sort_keys=True)
        fh.write("\n")
    if status:
        print(result["error"], file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
