#!/usr/bin/env python3
"""The constructor arguments aws-cdk-lib accepts only with RemovalPolicy.DESTROY.

CDK rejects `auto_delete_objects=True` on a bucket, `empty_on_delete=True` on
a repository, ... unless its removal policy is DESTROY: when the
stateful-resource-removal-policy-destroy codemod turns DESTROY into RETAIN,
those arguments must go too. This script finds every such pair in the
aws-cdk-lib installed in .venv-synth/ (the version tests/synth/requirements.txt
pins): the library's own error messages ("Cannot use 'emptyOnDelete' property
on a repository without setting removal policy to 'DESTROY'") in its bundled
JavaScript, tied to the classes of the same source file (from the jsii
assembly) whose props have that property.

    python3 scripts/gen-destroy-only.py           # print the table as TOML
    python3 scripts/gen-destroy-only.py --check   # exit 1 unless the codemod's
                                                  # [rewrite.params.destroy_only] holds it
"""
import gzip
import io
import json
import pathlib
import re
import sys
import tarfile
import tomllib

root = pathlib.Path(__file__).resolve().parent.parent
ENTRY = root / "codemods" / "stateful-resource-removal-policy-destroy.toml"
MESSAGE = re.compile(r"Cannot use '(\w+)' (?:property )?on an? [\w ]+? without setting removal policy to 'DESTROY'")


def snake(name):
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def python_name(fqn):
    # aws-cdk-lib.aws_s3.Bucket -> aws_cdk.aws_s3.Bucket
    return "aws_cdk." + fqn.split(".", 1)[1]


def table():
    found = sorted(root.glob(".venv-synth/lib/python3*/site-packages/aws_cdk/_jsii/aws-cdk-lib@*.jsii.tgz"))
    if not found:
        sys.exit("no aws-cdk-lib in .venv-synth/: run scripts/setup-synth-env.sh first")
    messages = {}  # source file (lib/x.ts) -> camelCase props
    assembly = None
    with tarfile.open(found[-1]) as tgz:
        for member in tgz:
            if member.name == "package/.jsii.gz":
                assembly = json.load(gzip.open(io.BytesIO(tgz.extractfile(member).read())))
            elif member.name.endswith(".js") and "/node_modules/" not in member.name:
                text = tgz.extractfile(member).read().decode("utf-8", "replace")
                props = set(MESSAGE.findall(text))
                if props:
                    source = member.name[len("package/"):-len(".js")] + ".ts"
                    messages.setdefault(source, set()).update(props)
    out = {}
    types = assembly["types"]
    for fqn, t in types.items():
        source = (t.get("locationInModule") or {}).get("filename")
        params = (t.get("initializer") or {}).get("parameters") or []
        if t.get("kind") != "class" or source not in messages or not params:
            continue
        props_fqn = params[-1].get("type", {}).get("fqn")
        props = set()
        while props_fqn in types:  # the props struct and the ones it extends
            struct = types[props_fqn]
            props.update(p["name"] for p in struct.get("properties", []))
            bases = struct.get("interfaces") or []
            props_fqn = bases[0] if bases else None
        names = sorted(snake(p) for p in messages[source] if p in props)
        if names:
            out[python_name(fqn)] = names
    return dict(sorted(out.items()))


def main():
    want = table()
    if "--check" in sys.argv[1:]:
        have = tomllib.loads(ENTRY.read_text())["rewrite"]["params"].get("destroy_only", {})
        have = {k: sorted(v) for k, v in have.items()}
        if have != want:
            sys.exit("%s: destroy_only is %s; aws-cdk-lib says %s" % (ENTRY.name, have, want))
        return
    print("[rewrite.params.destroy_only]")
    for construct, names in want.items():
        print('"%s" = [%s]' % (construct, ", ".join('"%s"' % n for n in names)))


if __name__ == "__main__":
    main()
