#!/usr/bin/env python3
"""Regenerate data/cdk_api.txt: the API of the pinned aws-cdk-lib and constructs.

The `cdk-api-*` codemods check calls and attributes against it (a keyword a
class does not take, a name a module does not have, an enum called like a
function). It is read off the libraries installed in .venv-synth/ (the versions
tests/synth/requirements.txt pins): the Python modules jsii generated from the
jsii assembly, introspected, so every name is spelled the way Python code must
spell it; and, for the few enums TypeScript declares with numbers
(`RetentionDays.ONE_WEEK = 7`), the values from the library's bundled
JavaScript.

Run after scripts/setup-synth-env.sh:

    .venv-synth/bin/python scripts/gen-cdk-api.py           # rewrite the file
    .venv-synth/bin/python scripts/gen-cdk-api.py --check   # exit 1 unless it is current

Format, one record a line (tab-separated fields, names space-separated):
    V <aws-cdk-lib version> <constructs version>
    M <module> <public names>                 (a module and every name it has)
    C <class> <signature>                     (a class and how it is called)
    F <class>.<method> <signature>            (a static method)
    A <class> <bases> <attributes>            (the classes it extends, and the names it
                                               declares: methods, properties, static methods
                                               and constants, nested classes; the class and
                                               its instances have those and its bases')
    R <class> <properties>                    (read-only properties of the classes code
                                               extends: Stack, Construct, ...)
    E <enum> <members>                        (MEMBER or MEMBER=number)
    K <name> <values>                         (a list the library checks against:
                                               lambda.reserved_environment)
A signature lists parameter names: positional ones, then `*`, then keyword-only
ones; a `!` after a name marks it required; `**` means any keyword is taken.
"""
import enum
import importlib
import importlib.metadata
import inspect
import io
import pathlib
import pkgutil
import re
import sys
import tarfile

root = pathlib.Path(__file__).resolve().parent.parent
OUT = root / "data" / "cdk_api.txt"


def public(names):
    return sorted(n for n in names if not n.startswith("_"))


def signature(func, skip_self):
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return None
    if skip_self and params and params[0].name in ("self", "cls"):
        params = params[1:]
    out, star = [], False
    for p in params:
        if p.kind == p.VAR_POSITIONAL:
            continue
        if p.kind == p.VAR_KEYWORD:
            out.append("**")
            continue
        if p.kind == p.KEYWORD_ONLY and not star:
            out.append("*")
            star = True
        out.append(p.name + ("!" if p.default is p.empty else ""))
    return " ".join(out)


def numeric_enums():
    """`Enum.MEMBER` -> number, for enums TypeScript declares with numbers."""
    found = sorted(root.glob(".venv-synth/lib/python3*/site-packages/aws_cdk/_jsii/aws-cdk-lib@*.jsii.tgz"))
    values = {}
    # Bundled as `RetentionDays2[RetentionDays2.ONE_WEEK=7]="ONE_WEEK"`: the
    # minifier may add digits to the enum's name.
    member = re.compile(r"(\w+)\[\1\.(\w+)=(-?\d+)\]=\"\2\"")
    with tarfile.open(found[-1]) as tgz:
        for m in tgz:
            if not m.name.endswith(".js") or "/node_modules/" in m.name:
                continue
            text = tgz.extractfile(m).read().decode("utf-8", "replace")
            for enum_name, name, number in member.findall(text):
                values.setdefault(enum_name.rstrip("0123456789"), {})[name] = int(number)
    return values


def reserved_environment():
    """The environment variables a Lambda function may not set (aws-lambda's own check)."""
    found = sorted(root.glob(".venv-synth/lib/python3*/site-packages/aws_cdk/_jsii/aws-cdk-lib@*.jsii.tgz"))
    with tarfile.open(found[-1]) as tgz:
        text = tgz.extractfile("package/aws-lambda/lib/function.js").read().decode("utf-8", "replace")
    m = re.search(r"\[([^\[\]]*)\]\.includes\(key\)\)throw[^`]*`ReservedEnvironmentVariable`", text)
    if not m:
        sys.exit("the reserved Lambda environment variables were not found in aws-lambda/lib/function.js")
    return re.findall(r'"(\w+)"', m.group(1))


def main():
    try:
        import aws_cdk
        import constructs
    except ImportError:
        sys.exit("no aws-cdk-lib in this Python: run it with .venv-synth/bin/python (scripts/setup-synth-env.sh)")
    numbers = numeric_enums()
    modules = ["aws_cdk"] + [
        "aws_cdk." + m.name for m in pkgutil.iter_modules(aws_cdk.__path__) if not m.name.startswith("_")
    ]
    modules.append("constructs")
    lines = [
        "# The API of aws-cdk-lib and constructs, generated by scripts/gen-cdk-api.py; do not edit.",
        "V\t%s\t%s" % (importlib.metadata.version("aws-cdk-lib"), importlib.metadata.version("constructs")),
    ]
    for name in sorted(modules):
        mod = importlib.import_module(name)
        names = public(dir(mod))
        if name == "aws_cdk":
            names = sorted(set(names) | {m.split(".", 1)[1] for m in modules if m.startswith("aws_cdk.")})
        lines.append("M\t%s\t%s" % (name, " ".join(names)))
        for attr in names:
            obj = getattr(mod, attr, None)
            if not inspect.isclass(obj) or obj.__module__.split(".")[0] not in ("aws_cdk", "constructs"):
                continue
            if not obj.__module__.startswith(name):
                continue  # re-exported from another module: recorded there
            fqn = "%s.%s" % (name, attr)
            if issubclass(obj, enum.Enum):
                by_number = numbers.get(attr, {})
                members = [
                    "%s=%d" % (m, by_number[m]) if m in by_number else m for m in obj.__members__
                ]
                lines.append("E\t%s\t%s" % (fqn, " ".join(members)))
                continue
            if "__init__" in obj.__dict__ or any("__init__" in b.__dict__ for b in obj.__mro__[1:-1]):
                sig = signature(obj.__init__, True)
                if sig is not None:
                    lines.append("C\t%s\t%s" % (fqn, sig))
            attrs, read_only = [], []
            for member in public(obj.__dict__):
                raw = obj.__dict__[member]
                # jsii writes static methods as class methods.
                if isinstance(raw, (staticmethod, classmethod)):
                    sig = signature(raw.__func__, isinstance(raw, classmethod))
                    if sig is not None:
                        lines.append("F\t%s.%s\t%s" % (fqn, member, sig))
                attrs.append(member)
                if isinstance(raw, property) and raw.fset is None:
                    read_only.append(member)
            bases = [
                "%s.%s" % (b.__module__, b.__name__)
                for b in obj.__bases__
                if b.__module__.split(".")[0] in ("aws_cdk", "constructs")
            ]
            # Instances whose methods code calls: not the L1 classes (their
            # members mirror CloudFormation) nor the data types (properties
            # only), which would make the index twice as large.
            data_type = bool(attrs) and all(isinstance(obj.__dict__[a], property) for a in attrs)
            if not attr.startswith("Cfn") and not data_type:
                lines.append("A\t%s\t%s\t%s" % (fqn, " ".join(bases), " ".join(attrs)))
            # Read-only properties matter where code extends the class.
            if read_only and name in ("aws_cdk", "constructs"):
                lines.append("R\t%s\t%s" % (fqn, " ".join(read_only)))
    lines.append("K\tlambda.reserved_environment\t%s" % " ".join(reserved_environment()))
    text = "\n".join(lines) + "\n"
    if "--check" in sys.argv[1:]:
        if OUT.read_text() != text:
            sys.exit("%s is not what the installed aws-cdk-lib says: run scripts/gen-cdk-api.py" % OUT.relative_to(root))
        return
    OUT.write_text(text)
    print("%s: %d records, %d bytes" % (OUT.relative_to(root), len(lines) - 1, OUT.stat().st_size))


if __name__ == "__main__":
    main()
