//! The command line as users run it: exit codes, output formats, --dry-run
//! writing nothing, --write, configuration precedence, walking, bad input.

mod common;
use common::*;

use std::fs;
use std::process::Command;

#[test]
fn report_mode_lists_findings_and_exits_1() {
    let dir = project(&[("app/storage.py", BUCKET)]);
    let out = cdkfix(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("app/storage.py:8:9: s3-bucket-public-access-not-blocked S3 bucket does not block public access [*]"),
        "{text}"
    );
    assert!(
        text.contains("stateful-resource-removal-policy-destroy"),
        "{text}"
    );
    assert!(text.contains("[unsafe fix]"), "{text}");
    assert!(!text.contains('\x1b'), "no colour when piped: {text}");
    assert!(
        stderr(&out).contains("Found 2 findings (1 file checked)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn clean_code_exits_0() {
    let dir = project(&[("app.py", CLEAN), ("README.md", "aws_cdk")]);
    let out = cdkfix(dir.path(), &["."]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn dry_run_prints_a_git_style_diff_and_writes_nothing() {
    let dir = project(&[("stack.py", BUCKET)]);
    let out = cdkfix(dir.path(), &["--dry-run", "stack.py"]);
    assert_eq!(out.status.code(), Some(1));
    let diff = stdout(&out);
    assert!(
        diff.starts_with("--- a/stack.py\n+++ b/stack.py\n@@ "),
        "{diff}"
    );
    // The line grew past the line length: it is split, one argument a line.
    assert!(
        diff.contains("+            removal_policy=RemovalPolicy.DESTROY,\n+            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,\n+        )"),
        "{diff}"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("stack.py")).unwrap(),
        BUCKET
    );
    // Unsafe fixes only with the flag.
    assert!(!diff.contains("RETAIN"), "{diff}");
    let out = cdkfix(dir.path(), &["--dry-run", "--unsafe-fixes", "stack.py"]);
    assert!(stdout(&out).contains("RemovalPolicy.RETAIN"));
    assert_eq!(
        fs::read_to_string(dir.path().join("stack.py")).unwrap(),
        BUCKET
    );
}

#[cfg(unix)]
#[test]
fn write_applies_keeps_permissions_and_converges() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(&[("stack.py", BUCKET)]);
    let path = dir.path().join("stack.py");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let out = cdkfix(dir.path(), &["--write", "--unsafe-fixes", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let fixed = fs::read_to_string(&path).unwrap();
    assert!(
        fixed.contains("RemovalPolicy.RETAIN,\n            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,\n"),
        "{fixed}"
    );
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert!(
        stderr(&out).contains("Applied 2 fixes to 1 of 1 file checked"),
        "{}",
        stderr(&out)
    );
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "temporary files left: {leftovers:?}");
    let again = cdkfix(dir.path(), &["--write", "--unsafe-fixes", "."]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert_eq!(fs::read_to_string(&path).unwrap(), fixed);
}

#[test]
fn bad_input_is_named_and_the_rest_still_processed() {
    let dir = project(&[
        ("a_good.py", BUCKET),
        ("b_broken.py", "import aws_cdk\ndef f(:\n"),
    ]);
    fs::write(
        dir.path().join("c_latin1.py"),
        b"import aws_cdk\nx = '\xe9'\n",
    )
    .unwrap();
    let out = cdkfix(dir.path(), &["--write", ".", "missing_dir"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("error: b_broken.py: syntax error at line 2"),
        "{err}"
    );
    assert!(err.contains("error: c_latin1.py: not valid UTF-8"), "{err}");
    assert!(
        err.contains("error: missing_dir: no such file or directory"),
        "{err}"
    );
    for line in err.lines().filter(|l| l.starts_with("error")) {
        assert!(line.len() < 200, "one short line per error: {line}");
    }
    // The good file was still fixed; the broken ones are untouched.
    assert!(
        fs::read_to_string(dir.path().join("a_good.py"))
            .unwrap()
            .contains("BLOCK_ALL")
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("b_broken.py")).unwrap(),
        "import aws_cdk\ndef f(:\n"
    );
}

#[test]
fn config_file_and_cli_precedence() {
    let dir = project(&[
        (
            "cdkfix.toml",
            "select = [\"stateful-resource-removal-policy-destroy\"]\nunsafe_fixes = true\n",
        ),
        ("stack.py", BUCKET),
    ]);
    let out = cdkfix(dir.path(), &["--dry-run"]);
    let diff = stdout(&out);
    assert!(
        diff.contains("RETAIN") && !diff.contains("BLOCK_ALL"),
        "{diff}"
    );
    // CLI flags win over the file.
    let out = cdkfix(
        dir.path(),
        &["--dry-run", "--select", "CKV_AWS_53", "--no-unsafe-fixes"],
    );
    let diff = stdout(&out);
    assert!(
        !diff.contains("RETAIN") && diff.contains("BLOCK_ALL"),
        "{diff}"
    );
    let out = cdkfix(
        dir.path(),
        &["--ignore", "stateful-resource-removal-policy-destroy"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn pyproject_config_is_found_upward() {
    let dir = project(&[
        (
            "pyproject.toml",
            "[project]\nname = \"infra\"\n\n[tool.cdkfix]\nignore = [\"s3-bucket-public-access-not-blocked\"]\n",
        ),
        ("infra/stacks/stack.py", BUCKET),
    ]);
    let out = cdkfix(&dir.path().join("infra"), &["stacks"]);
    let text = stdout(&out);
    assert!(
        !text.contains("s3-bucket-public-access") && text.contains("stateful-resource"),
        "{text}"
    );
}

#[test]
fn config_errors_name_the_file() {
    let dir = project(&[("cdkfix.toml", "selct = [\"x\"]\n"), ("stack.py", BUCKET)]);
    let out = cdkfix(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cdkfix.toml: line 1 (`selct = [\"x\"]`): unknown field `selct`"),
        "{}",
        stderr(&out)
    );
    let out = cdkfix(dir.path(), &["--config", ".", "stack.py"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
    fs::write(
        dir.path().join("cdkfix.toml"),
        "names = \"suffix\"\nline_length = -1\n",
    )
    .unwrap();
    let out = cdkfix(dir.path(), &[]);
    assert!(
        stderr(&out).contains("cdkfix.toml: line 2 (`line_length = -1`)"),
        "{}",
        stderr(&out)
    );
    let out = cdkfix(
        dir.path(),
        &["--config", "cdkfix.toml", "--select", "nope", "stack.py"],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn unknown_selector_is_an_error() {
    let dir = project(&[("stack.py", BUCKET)]);
    let out = cdkfix(dir.path(), &["--select", "no-such-codemod"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown codemod or rule id `no-such-codemod`"));
}

#[test]
fn walking_honours_gitignore_outside_git_and_skips_build_output() {
    let dir = project(&[
        (".gitignore", "generated/\n"),
        ("generated/stack.py", BUCKET),
        ("cdk.out/asset/stack.py", BUCKET),
        ("node_modules/x/stack.py", BUCKET),
        ("env/pyvenv.cfg", ""),
        ("env/lib/stack.py", BUCKET),
        (".hidden/stack.py", BUCKET),
        ("src/stack.py", BUCKET),
    ]);
    let out = cdkfix(dir.path(), &[]);
    let text = stdout(&out);
    assert!(text.contains("src/stack.py"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.contains("stack.py")).count(),
        2,
        "{text}"
    );
}

#[test]
fn many_paths_get_a_summary_each() {
    let dir = project(&[("repo_a/stack.py", BUCKET), ("repo_b/stack.py", CLEAN)]);
    let out = cdkfix(dir.path(), &["repo_a", "repo_b"]);
    let err = stderr(&out);
    assert!(err.contains("repo_a: 1 file, 2 findings"), "{err}");
    assert!(err.contains("repo_b: 1 file, 0 findings"), "{err}");
}

#[test]
fn list_and_explain() {
    let dir = project(&[]);
    let out = cdkfix(dir.path(), &["--list"]);
    assert_eq!(out.status.code(), Some(0));
    let list = stdout(&out);
    assert!(list.contains("s3-bucket-public-access-not-blocked") && list.contains("CKV_AWS_53"));
    let out = cdkfix(dir.path(), &["--explain", "lambda-function-without-dlq"]);
    let doc = stdout(&out);
    for section in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Fix safety",
        "unsafe",
    ] {
        assert!(doc.contains(section), "{doc}");
    }
    let out = cdkfix(dir.path(), &["--explain", "Serverless-LambdaDLQ"]);
    assert!(stdout(&out).starts_with("lambda-function-without-dlq"));
    assert_eq!(
        cdkfix(dir.path(), &["--explain", "nope"]).status.code(),
        Some(2)
    );
}

#[test]
fn json_output_names_the_fixes() {
    let dir = project(&[("stack.py", BUCKET)]);
    let out = cdkfix(
        dir.path(),
        &["--dry-run", "--unsafe-fixes", "--output-format", "json"],
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let applied = &doc["files"][0]["applied"];
    assert_eq!(applied.as_array().unwrap().len(), 2, "{doc}");
    assert_eq!(applied[0]["construct_id"], "Data");
}

#[test]
fn json_lines_of_later_pass_fixes_are_the_input_lines() {
    // The v1 import move takes the first pass and adds a line; the bucket's
    // fixes come in the second pass, yet are reported at the bucket's line.
    let v1 = "from aws_cdk import core\nfrom aws_cdk import aws_s3 as s3\n\n\nclass DataStack(core.Stack):\n    def __init__(self, scope: core.Construct, construct_id: str) -> None:\n        super().__init__(scope, construct_id)\n\n        s3.Bucket(self, \"Raw\", removal_policy=core.RemovalPolicy.DESTROY)\n";
    let dir = project(&[("stack.py", v1)]);
    let out = cdkfix(
        dir.path(),
        &["--dry-run", "--unsafe-fixes", "--output-format", "json"],
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let applied = doc["files"][0]["applied"].as_array().unwrap().clone();
    let line_of = |id: &str| {
        applied
            .iter()
            .find(|a| a["codemod"] == id)
            .map(|a| a["line"].as_u64().unwrap())
    };
    assert_eq!(line_of("cdk-v1-imports"), Some(1), "{doc}");
    assert_eq!(
        line_of("s3-bucket-public-access-not-blocked"),
        Some(9),
        "{doc}"
    );
    assert_eq!(
        line_of("stateful-resource-removal-policy-destroy"),
        Some(9),
        "{doc}"
    );
}

#[test]
fn crlf_and_bom_survive_a_write() {
    let text = BUCKET.replace('\n', "\r\n");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(text.as_bytes());
    let dir = project(&[]);
    fs::write(dir.path().join("stack.py"), &bytes).unwrap();
    cdkfix(dir.path(), &["--write"]);
    let after = fs::read(dir.path().join("stack.py")).unwrap();
    assert!(after.starts_with(b"\xEF\xBB\xBF"));
    let after = String::from_utf8(after[3..].to_vec()).unwrap();
    assert!(after.contains("BLOCK_ALL"));
    assert!(!after.replace("\r\n", "").contains('\n'));
}

#[test]
fn app_level_tags_count_for_every_stack() {
    let stack = "from aws_cdk import Stack, aws_sqs as sqs\n\n\nclass S(Stack):\n    def __init__(self, scope, cid):\n        super().__init__(scope, cid)\n        sqs.Queue(self, \"Q\")\n";
    let dir = project(&[("stacks/queue.py", stack)]);
    let out = cdkfix(dir.path(), &["--select", "stack-without-tags"]);
    assert!(
        stdout(&out).contains("stack-without-tags"),
        "{}",
        stdout(&out)
    );
    let app = "import aws_cdk as cdk\nfrom stacks.queue import S\n\napp = cdk.App()\nS(app, \"Q\")\ncdk.Tags.of(app).add(\"Environment\", \"dev\")\napp.synth()\n";
    fs::write(dir.path().join("app.py"), app).unwrap();
    let out = cdkfix(dir.path(), &["--select", "stack-without-tags"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn older_aws_cdk_lib_pin_reports_instead_of_fixing() {
    let cluster = "from aws_cdk import Stack, Tags, aws_lambda as lambda_\n\n\nclass S(Stack):\n    def __init__(self, scope, cid, code):\n        super().__init__(scope, cid)\n        Tags.of(self).add(\"Environment\", \"dev\")\n        lambda_.Function(self, \"Fn\", runtime=lambda_.Runtime.PYTHON_3_9, handler=\"a.b\", code=code)\n";
    let dir = project(&[
        ("requirements.txt", "aws-cdk-lib==2.150.0\nconstructs>=10\n"),
        ("app/service.py", cluster),
    ]);
    let out = cdkfix(
        dir.path(),
        &[
            "--write",
            "--unsafe-fixes",
            "--select",
            "lambda-python-runtime-outdated",
        ],
    );
    let text = stdout(&out);
    assert!(
        text.contains("needs aws-cdk-lib >= 2.222.0, the project pins 2.150.0"),
        "{text}"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("app/service.py")).unwrap(),
        cluster
    );
    fs::write(
        dir.path().join("requirements.txt"),
        "aws-cdk-lib==2.230.0\n",
    )
    .unwrap();
    cdkfix(
        dir.path(),
        &[
            "--write",
            "--unsafe-fixes",
            "--select",
            "lambda-python-runtime-outdated",
        ],
    );
    let fixed = fs::read_to_string(dir.path().join("app/service.py")).unwrap();
    assert!(
        fixed.contains("runtime=lambda_.Runtime.PYTHON_3_14"),
        "{fixed}"
    );
}

#[test]
fn cdk_v1_files_get_no_v2_only_api() {
    let stack = "from aws_cdk import core\nfrom aws_cdk import aws_dynamodb as ddb, aws_ecs as ecs, aws_ec2 as ec2\n\n\nclass S(core.Stack):\n    def __init__(self, scope, cid, pk, vpc):\n        super().__init__(scope, cid)\n        core.Tags.of(self).add(\"Environment\", \"dev\")\n        ddb.Table(self, \"T\", partition_key=pk, point_in_time_recovery=True)\n        ecs.Cluster(self, \"C\", vpc=vpc, container_insights=True)\n        ec2.Vpc(self, \"V\", cidr=\"10.0.0.0/16\")\n";
    for pin in ["", "aws-cdk.core==1.204.0\n"] {
        let dir = project(&[("requirements.txt", pin), ("stack.py", stack)]);
        let out = cdkfix(dir.path(), &["--dry-run", "stack.py"]);
        let diff = stdout(&out);
        for v2_only in [
            "PointInTimeRecoverySpecification",
            "ContainerInsights",
            "IpAddresses",
        ] {
            assert!(!diff.contains(v2_only), "{pin:?} {v2_only}: {diff}");
        }
    }
}

#[test]
fn older_pins_get_the_spelling_their_version_has() {
    let stack = "from aws_cdk import Stack, Tags, aws_dynamodb as ddb, aws_ecs as ecs, aws_lambda as lambda_\n\n\nclass S(Stack):\n    def __init__(self, scope, cid, vpc, key, code):\n        super().__init__(scope, cid)\n        Tags.of(self).add(\"Environment\", \"dev\")\n        ddb.Table(self, \"T\", partition_key=key)\n        ecs.Cluster(self, \"C\", vpc=vpc)\n        lambda_.Function(self, \"F\", handler=\"a.b\", code=code)\n";
    let codemods = "dynamodb-table-without-point-in-time-recovery,ecs-cluster-container-insights-disabled,lambda-function-log-retention-not-set";
    let run = |pin: &str| {
        let dir = project(&[("requirements.txt", pin), ("app/stack.py", stack)]);
        let out = cdkfix(
            dir.path(),
            &["--dry-run", "--unsafe-fixes", "--select", codemods, "app"],
        );
        stdout(&out)
    };
    let old = run("aws-cdk-lib==2.100.0\n");
    for spelling in [
        "point_in_time_recovery=True",
        "container_insights=True",
        "log_retention=logs.RetentionDays.ONE_YEAR",
    ] {
        assert!(old.contains(spelling), "{spelling}: {old}");
    }
    // Between the two: the log group exists, the others not yet.
    let middle = run("aws-cdk-lib==2.150.0\n");
    assert!(middle.contains("log_group=logs.LogGroup("), "{middle}");
    assert!(middle.contains("point_in_time_recovery=True"), "{middle}");
    let new = run("aws-cdk-lib==2.230.0\n");
    assert!(
        new.contains("point_in_time_recovery_specification="),
        "{new}"
    );
    assert!(new.contains("container_insights_v2="), "{new}");
}

#[test]
fn report_entries_say_they_do_not_fix() {
    let dir = project(&[]);
    let list = stdout(&cdkfix(dir.path(), &["--list"]));
    let row = list
        .lines()
        .find(|l| l.starts_with("secret-without-rotation "))
        .unwrap();
    assert!(row.contains(" report "), "{row}");
    let doc = stdout(&cdkfix(
        dir.path(),
        &["--explain", "secret-without-rotation"],
    ));
    assert!(doc.contains("Fix: none, reported only"), "{doc}");
    assert!(doc.contains("Reports cdk-nag: AwsSolutions-SMG4"), "{doc}");
    assert!(!doc.contains("Fix safety tier"), "{doc}");
}

#[test]
fn report_entries_are_selected_by_the_rule_they_report() {
    let dir = project(&[]);
    let out = cdkfix(dir.path(), &["--explain", "AwsSolutions-EC23"]);
    assert!(
        stdout(&out).starts_with("security-group-ingress-open-to-world"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn fixes_newer_than_the_pin_are_reported_not_applied() {
    const FUNCTION: &str = "from aws_cdk import Stack, aws_lambda as lambda_, aws_dynamodb as ddb\n\n\nclass S(Stack):\n    def __init__(self, scope, cid):\n        super().__init__(scope, cid)\n        lambda_.Function(self, \"F\", runtime=lambda_.Runtime.PYTHON_3_12, handler=\"a.h\", code=lambda_.Code.from_asset(\"a\"))\n        ddb.Table(self, \"T\", partition_key=ddb.Attribute(name=\"pk\", type=ddb.AttributeType.STRING), point_in_time_recovery=True)\n";
    let select = "lambda-python-runtime-outdated,dynamodb-deprecated-point-in-time-recovery";
    let old = project(&[
        ("requirements.txt", "aws-cdk-lib==2.170.0\n"),
        ("stack.py", FUNCTION),
    ]);
    let out = cdkfix(
        old.path(),
        &["--dry-run", "--unsafe-fixes", "--select", select, "."],
    );
    assert_eq!(stdout(&out), "", "nothing is rewritten on an older pin");
    let err = stderr(&out);
    assert!(err.contains("needs aws-cdk-lib >= 2.222.0"), "{err}");
    // Below 2.178.0 `point_in_time_recovery` is not deprecated yet.
    assert!(
        !err.contains("dynamodb-deprecated-point-in-time-recovery"),
        "{err}"
    );

    let new = project(&[
        ("requirements.txt", "aws-cdk-lib==2.230.0\n"),
        ("stack.py", FUNCTION),
    ]);
    let out = cdkfix(
        new.path(),
        &["--dry-run", "--unsafe-fixes", "--select", select, "."],
    );
    let diff = stdout(&out);
    assert!(
        diff.contains("+        lambda_.Function(self, \"F\", runtime=lambda_.Runtime.PYTHON_3_14"),
        "{diff}"
    );
    assert!(
        diff.contains(
            "point_in_time_recovery_specification=ddb.PointInTimeRecoverySpecification(\n"
        ),
        "{diff}"
    );
}

#[test]
fn each_file_sees_the_context_of_its_apps_cdk_json() {
    let stack = "from aws_cdk import Stack\n\n\nclass S(Stack):\n    def __init__(self, scope, cid):\n        super().__init__(scope, cid)\n        self.stage = self.node.try_get_context(\"stage\")\n";
    let dir = project(&[
        (
            "orders/cdk.json",
            "{\"app\": \"python3 app.py\", \"context\": {\"stage\": \"dev\"}}",
        ),
        ("orders/stacks/api.py", stack),
        ("billing/cdk.json", "{\"context\": {\"stage\": \"test\"}}"),
        ("billing/stack.py", stack),
        ("loose/stack.py", stack),
    ]);
    let out = cdkfix(
        dir.path(),
        &[
            "--dry-run",
            "--unsafe-fixes",
            "--select",
            "context-lookup-without-default",
            ".",
        ],
    );
    let diff = stdout(&out);
    assert!(
        diff.contains("+        self.stage = self.node.try_get_context(\"stage\") or \"dev\""),
        "{diff}"
    );
    assert!(
        diff.contains("+        self.stage = self.node.try_get_context(\"stage\") or \"test\""),
        "{diff}"
    );
    assert!(!diff.contains("loose/stack.py"), "{diff}");
    assert!(
        stderr(&out).contains("no cdk.json found"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn pins_are_read_in_every_spelling() {
    let cluster = "from aws_cdk import Stack, Tags, aws_lambda as lambda_\n\n\nclass S(Stack):\n    def __init__(self, scope, cid, code):\n        super().__init__(scope, cid)\n        Tags.of(self).add(\"Environment\", \"dev\")\n        lambda_.Function(self, \"Fn\", runtime=lambda_.Runtime.PYTHON_3_9, handler=\"a.b\", code=code)\n";
    let too_old = "needs aws-cdk-lib >= 2.222.0, the project pins 2.150.0";
    for files in [
        vec![
            ("requirements.txt", "-r reqs/base.txt\n"),
            (
                "reqs/base.txt",
                "-c constraints.txt\nAWS_CDK_LIB[extra]>=2.150.0,<3 ; python_version > \"3.8\"\n",
            ),
            ("reqs/constraints.txt", "-r base.txt\n"),
        ],
        vec![(
            "pyproject.toml",
            "[tool.poetry.dependencies]\npython = \"^3.11\"\naws-cdk-lib = {version = \"^2.150.0\"}\n",
        )],
        vec![(
            "pyproject.toml",
            "[project]\nname = \"infra\"\ndependencies = [\"aws_cdk.lib~=2.150.0\"]\n",
        )],
    ] {
        let mut all = files.clone();
        all.push(("app/service.py", cluster));
        let dir = project(&all);
        let out = cdkfix(
            dir.path(),
            &[
                "--dry-run",
                "--unsafe-fixes",
                "--select",
                "lambda-python-runtime-outdated",
                "app",
            ],
        );
        assert!(
            stderr(&out).contains(too_old),
            "{files:?}: {}",
            stderr(&out)
        );
        assert_eq!(stdout(&out), "", "{files:?}");
    }
}

#[test]
fn a_bom_file_diff_applies_with_git() {
    // The fix's first hunk reaches line 1, which holds the BOM.
    let text = "from aws_cdk import aws_s3 as s3\n\ns3.Bucket(scope, \"Data\", enforce_ssl=True, encryption=s3.BucketEncryption.S3_MANAGED)\n";
    for newline in ["\n", "\r\n"] {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(text.replace('\n', newline).as_bytes());
        let dir = project(&[]);
        fs::write(dir.path().join("stack.py"), &bytes).unwrap();
        let out = cdkfix(dir.path(), &["--dry-run", "stack.py"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            out.stdout.starts_with(b"--- a/stack.py"),
            "{}",
            stdout(&out)
        );
        fs::write(dir.path().join("fix.patch"), &out.stdout).unwrap();
        let git = |args: &[&str]| {
            let o = Command::new("git")
                .current_dir(dir.path())
                .args(args)
                .output()
                .unwrap();
            assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
        };
        git(&["init", "-q"]);
        git(&["apply", "--check", "fix.patch"]);
        git(&["apply", "fix.patch"]);
        let applied = fs::read(dir.path().join("stack.py")).unwrap();
        fs::write(dir.path().join("stack.py"), &bytes).unwrap();
        // The file is untracked in the repository made for `git apply`.
        cdkfix(dir.path(), &["--write", "--allow-dirty", "stack.py"]);
        assert_eq!(applied, fs::read(dir.path().join("stack.py")).unwrap());
        assert!(applied.starts_with(b"\xEF\xBB\xBFfrom aws_cdk"));
    }
}

#[test]
fn exclude_is_relative_to_the_config_folder() {
    let dir = project(&[
        ("cdkfix.toml", "exclude = [\"sub/**\", \"gen/\"]\n"),
        ("sub/f.py", BUCKET),
        ("sub/deeper/g.py", BUCKET),
        ("gen/h.py", BUCKET),
        ("kept.py", BUCKET),
    ]);
    let sub = dir.path().join("sub");
    for (cwd, args) in [
        (dir.path(), vec!["."]),
        (dir.path(), vec!["sub"]),
        (dir.path(), vec!["sub/f.py", "sub/deeper/g.py", "gen/h.py"]),
        (dir.path(), vec!["./sub/../sub/f.py"]),
        (sub.as_path(), vec!["."]),
        (sub.as_path(), vec!["f.py", "deeper"]),
    ] {
        let out = cdkfix(cwd, &args);
        let text = stdout(&out);
        assert!(
            !text.contains("f.py") && !text.contains("g.py") && !text.contains("h.py"),
            "{args:?} in {}: {text}",
            cwd.display()
        );
    }
    assert!(stdout(&cdkfix(dir.path(), &[])).contains("kept.py"));
    // --config: relative to that file's folder too.
    let other = project(&[("tools/cdkfix.toml", "exclude = [\"sub/**\"]\n")]);
    let config = other.path().join("tools/cdkfix.toml");
    let out = cdkfix(dir.path(), &["--config", config.to_str().unwrap(), "sub"]);
    assert!(stdout(&out).contains("sub/f.py"), "{}", stdout(&out));
}

#[test]
fn a_gitignored_file_named_explicitly_is_processed() {
    let dir = project(&[(".gitignore", "ignored.py\n"), ("ignored.py", BUCKET)]);
    assert!(!stdout(&cdkfix(dir.path(), &["."])).contains("ignored.py"));
    let out = cdkfix(dir.path(), &["ignored.py"]);
    assert!(stdout(&out).contains("ignored.py:8:9"), "{}", stdout(&out));
}

#[test]
fn bad_config_values_are_one_error_naming_file_and_key() {
    for (config, expected) in [
        (
            "[environment]\nvariable = \"my-env\"\n",
            "[environment] variable: `my-env` is not a Python identifier",
        ),
        (
            "[environment]\nvariable = \"class\"\n",
            "[environment] variable: `class` is a Python keyword",
        ),
        (
            "[environment]\nvariable = \"\"\n",
            "[environment] variable: `` is not a Python identifier",
        ),
        (
            "[throttling]\nrate_limit = 0\n",
            "[throttling] rate_limit must be a positive number, not 0",
        ),
        (
            "[throttling]\nburst_limit = -5\n",
            "[throttling] burst_limit must be a positive number, not -5",
        ),
        (
            "[throttling]\nrate_limit = 500\nburst_limit = 100\n",
            "[throttling] burst_limit (100) must not be below rate_limit (500)",
        ),
        (
            "[tags]\n'Ow\"ner' = \"x\"\n",
            "[tags] key `Ow\"ner` has `\"`",
        ),
        (
            "[tags]\n\"aws:owner\" = \"x\"\n",
            "the `aws:` prefix is reserved",
        ),
        (
            "[tags]\nOwner = \"platform's\"\n",
            "[tags] Owner: the value has `'`",
        ),
        (
            "[lambda]\nreserved_concurrency = 0\n",
            "[lambda] reserved_concurrency must be a positive number",
        ),
        (
            "select = [\"NOPE\"]\n",
            "cdkfix.toml: select: unknown codemod or rule id `NOPE`",
        ),
        (
            "ignore = [\"NOPE\"]\n",
            "cdkfix.toml: ignore: unknown codemod or rule id `NOPE`",
        ),
    ] {
        let dir = project(&[("cdkfix.toml", config), ("stack.py", BUCKET)]);
        let out = cdkfix(dir.path(), &["--dry-run", "--unsafe-fixes"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{config}: {err}");
        let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
        assert_eq!(errors.len(), 1, "{config}: {err}");
        assert!(errors[0].contains("cdkfix.toml: "), "{config}: {err}");
        assert!(errors[0].contains(expected), "{config}: {err}");
        assert_eq!(stdout(&out), "", "{config}");
    }
    let dir = project(&[
        ("pyproject.toml", "[tool.cdkfix]\nselect = [\"NOPE\"]\n"),
        ("stack.py", BUCKET),
    ]);
    let err = stderr(&cdkfix(dir.path(), &[]));
    assert!(
        err.contains("pyproject.toml: [tool.cdkfix]: select: unknown codemod or rule id `NOPE`"),
        "{err}"
    );
    // Valid values still work: a tag value with the allowed punctuation.
    let dir = project(&[
        (
            "cdkfix.toml",
            "[tags]\n\"team:owner\" = \"a.b/c=d+e-f@g_h i\"\nStage = \"{environment}\"\n[environment]\nvariable = \"stage\"\n",
        ),
        ("stack.py", BUCKET),
    ]);
    let out = cdkfix(dir.path(), &["--dry-run", "--unsafe-fixes"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Tags.of(self).add(\"team:owner\", \"a.b/c=d+e-f@g_h i\")"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn dry_run_leftovers_are_shown_at_their_lines_on_disk() {
    // The tag fix adds a line above the bucket; its leftover finding is on
    // line 7 of the file as it is.
    let stack = "from aws_cdk import Stack, aws_secretsmanager as secretsmanager\n\n\nclass S(Stack):\n    def __init__(self, scope, cid):\n        super().__init__(scope, cid)\n        secretsmanager.Secret(self, \"Token\")\n";
    let dir = project(&[("stack.py", stack)]);
    let check = stderr(&cdkfix(dir.path(), &[]));
    let out = cdkfix(dir.path(), &["--dry-run", "--unsafe-fixes"]);
    assert!(
        stdout(&out).contains("+        environment_suffix = "),
        "{}",
        stdout(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains("stack.py:7:9: secret-without-rotation"),
        "{err}"
    );
    assert!(!err.contains("stack.py:8:"), "{err}");
    assert!(!check.contains("error"), "{check}");
}

#[test]
fn check_summary_counts_the_files_a_write_would_fix() {
    let dir = project(&[("repo_a/stack.py", BUCKET), ("repo_b/stack.py", CLEAN)]);
    let err = stderr(&cdkfix(dir.path(), &["repo_a", "repo_b"]));
    assert!(
        err.contains("repo_a: 1 file, 2 findings, 1 file to fix, 0 errors"),
        "{err}"
    );
    assert!(
        err.contains("repo_b: 1 file, 0 findings, 0 files to fix"),
        "{err}"
    );
    // Only the unsafe fix is left: nothing to fix without --unsafe-fixes.
    let err = stderr(&cdkfix(
        dir.path(),
        &[
            "--select",
            "stateful-resource-removal-policy-destroy",
            "repo_a",
            "repo_b",
        ],
    ));
    assert!(
        err.contains("repo_a: 1 file, 1 finding, 0 files to fix"),
        "{err}"
    );
    let err = stderr(&cdkfix(
        dir.path(),
        &[
            "--unsafe-fixes",
            "--select",
            "stateful-resource-removal-policy-destroy",
            "repo_a",
            "repo_b",
        ],
    ));
    assert!(
        err.contains("repo_a: 1 file, 1 finding, 1 file to fix"),
        "{err}"
    );
}

#[test]
fn app_level_tags_are_read_from_the_cdk_json_entry_file() {
    let stack = "from aws_cdk import Stack, aws_sqs as sqs\n\n\nclass S(Stack):\n    def __init__(self, scope, cid):\n        super().__init__(scope, cid)\n        sqs.Queue(self, \"Q\")\n";
    let app = "import aws_cdk as cdk\nfrom stacks.data import S\n\napp = cdk.App()\nS(app, \"Q\")\ncdk.Tags.of(app).add(\"Environment\", \"dev\")\napp.synth()\n";
    for (cdk_json, entry) in [
        ("{\"app\": \"python3 tap.py\"}", "tap.py"),
        (
            "{\"app\": \".venv/bin/python -u infra/main.py\"}",
            "infra/main.py",
        ),
        ("{\"app\": \"python -m infra.main\"}", "infra/main.py"),
    ] {
        let dir = project(&[
            ("cdk.json", cdk_json),
            (entry, app),
            ("stacks/data.py", stack),
        ]);
        for (cwd, path) in [
            (dir.path().to_path_buf(), "stacks"),
            (dir.path().to_path_buf(), "stacks/data.py"),
            (dir.path().join("stacks"), "data.py"),
        ] {
            let out = cdkfix(&cwd, &["--select", "stack-without-tags", path]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{cdk_json} {path}: {}",
                stdout(&out)
            );
        }
    }
    // Without the tag in the app, the stack is still reported.
    let dir = project(&[
        ("cdk.json", "{\"app\": \"python3 tap.py\"}"),
        (
            "tap.py",
            "import aws_cdk as cdk\napp = cdk.App()\napp.synth()\n",
        ),
        ("stacks/data.py", stack),
    ]);
    let out = cdkfix(dir.path(), &["--select", "stack-without-tags", "stacks"]);
    assert!(
        stdout(&out).contains("stack-without-tags"),
        "{}",
        stdout(&out)
    );
}

#[cfg(unix)]
#[test]
fn file_names_are_shown_the_same_way_in_text_and_json() {
    use std::os::unix::ffi::OsStrExt;
    let dir = project(&[("back\\slash.py", BUCKET)]);
    fs::write(
        dir.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9.py")),
        BUCKET,
    )
    .unwrap();
    let text = stdout(&cdkfix(dir.path(), &[]));
    assert!(text.contains("back\\slash.py:8:9:"), "{text}");
    assert!(text.contains("caf\u{FFFD}.py:8:9:"), "{text}");
    let out = cdkfix(dir.path(), &["--output-format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["back\\slash.py", "caf\u{FFFD}.py"], "{doc}");
}

#[test]
fn layers_built_in_another_file_of_the_app_bound_the_runtime() {
    let layers = "from aws_cdk import Stack, aws_lambda as lambda_\n\n\nclass Layers(Stack):\n    def __init__(self, scope, cid):\n        super().__init__(scope, cid)\n        self.pandas_layer = lambda_.LayerVersion(self, \"Pandas\", code=lambda_.Code.from_asset(\"layer\"), compatible_runtimes=[lambda_.Runtime.PYTHON_3_11, lambda_.Runtime.PYTHON_3_12])\n";
    let stack = "from aws_cdk import Stack, aws_lambda as lambda_\n\n\nclass Reports(Stack):\n    def __init__(self, scope, cid, shared):\n        super().__init__(scope, cid)\n        lambda_.Function(self, \"Report\", runtime=lambda_.Runtime.PYTHON_3_9, handler=\"r.handler\", code=lambda_.Code.from_asset(\"r\"), layers=[shared.pandas_layer])\n        lambda_.Function(self, \"Other\", runtime=lambda_.Runtime.PYTHON_3_9, handler=\"o.handler\", code=lambda_.Code.from_asset(\"o\"), layers=[shared.unknown_layer])\n";
    let dir = project(&[
        ("cdk.json", "{\"app\": \"python3 app.py\"}"),
        ("app.py", "import aws_cdk as cdk\n"),
        ("stacks/layers.py", layers),
        ("stacks/reports.py", stack),
    ]);
    let select = "lambda-python-runtime-outdated";
    let out = cdkfix(
        dir.path(),
        &["--dry-run", "--unsafe-fixes", "--select", select, "."],
    );
    let diff = stdout(&out);
    assert!(
        diff.contains(
            "+        lambda_.Function(self, \"Report\", runtime=lambda_.Runtime.PYTHON_3_12,"
        ),
        "{diff}"
    );
    assert!(
        !diff.contains("\"Other\", runtime=lambda_.Runtime.PYTHON_3_1"),
        "{diff}"
    );
    assert!(
        stderr(&out).contains("`shared.unknown_layer`"),
        "{}",
        stderr(&out)
    );
    // The stack file alone does not see the layer file: reported, not guessed.
    let out = cdkfix(
        dir.path(),
        &[
            "--dry-run",
            "--unsafe-fixes",
            "--select",
            select,
            "stacks/reports.py",
        ],
    );
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
}

#[test]
fn files_named_one_by_one_get_no_summary_per_path() {
    // A pre-commit hook passes every staged file: one line each would drown
    // the findings.
    let dir = project(&[("a.py", BUCKET), ("b.py", CLEAN)]);
    let out = cdkfix(dir.path(), &["a.py", "b.py"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("a.py: 1 file"), "{err}");
    assert!(!err.contains("b.py: 1 file"), "{err}");
    assert!(err.contains("Found 2 findings (2 files checked)"), "{err}");
}

#[test]
fn output_comes_in_path_order_whatever_the_threads_and_windows() {
    // Files are processed a window at a time in parallel; what is printed
    // must not depend on that.
    let files: Vec<(String, &str)> = (0..150)
        .map(|i| (format!("d{}/f{i:03}.py", i % 7), BUCKET))
        .collect();
    let named: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    let dir = project(&named);
    let run = |threads: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_cdkfix"))
            .current_dir(dir.path())
            .args(["--dry-run"])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        stdout(&out)
    };
    let one = run("1");
    assert_eq!(one, run("3"));
    let headers: Vec<&str> = one.lines().filter(|l| l.starts_with("--- a/")).collect();
    assert_eq!(headers.len(), 150);
    let mut sorted = headers.clone();
    sorted.sort();
    assert_eq!(headers, sorted);
}

#[test]
fn opt_in_codemods_run_only_when_named() {
    let stack = "from aws_cdk import Stack, Tags, aws_lambda as lambda_\n\n\nclass S(Stack):\n    def __init__(self, scope, cid, code):\n        super().__init__(scope, cid)\n        Tags.of(self).add(\"Environment\", \"dev\")\n        lambda_.Function(self, \"Fn\", runtime=lambda_.Runtime.PYTHON_3_14, handler=\"a.b\", code=code)\n";
    let dir = project(&[("stack.py", stack)]);
    let tracing = "lambda-function-without-tracing";
    let runs = |args: &[&str]| {
        let mut all = vec!["--unsafe-fixes", "stack.py"];
        all.extend_from_slice(args);
        stdout(&cdkfix(dir.path(), &all)).contains(tracing)
    };
    // The default runs the other Lambda codemods, not the opt-in one.
    assert!(!runs(&[]));
    assert!(
        stdout(&cdkfix(dir.path(), &["--unsafe-fixes", "stack.py"]))
            .contains("lambda-function-without-dlq")
    );
    assert!(runs(&["--extend-select", tracing]));
    assert!(runs(&["--extend-select", "Serverless-LambdaTracing"]));
    assert!(runs(&["--select", tracing]));
    assert!(runs(&["--select", "ALL"]));
    assert!(!runs(&["--select", "ALL", "--ignore", tracing]));
    assert!(!runs(&["--select", "lambda-function-without-dlq"]));
    assert!(runs(&[
        "--select",
        "lambda-function-without-dlq",
        "--extend-select",
        tracing
    ]));
    fs::write(
        dir.path().join("cdkfix.toml"),
        format!("extend_select = [\"{tracing}\"]\n"),
    )
    .unwrap();
    assert!(runs(&[]));
    fs::write(
        dir.path().join("cdkfix.toml"),
        "extend_select = [\"no-such-codemod\"]\n",
    )
    .unwrap();
    let out = cdkfix(dir.path(), &["stack.py"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("extend_select: unknown codemod"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
