//! Suppressions through the binary: `# cdkfix: ignore[...]` and
//! `ignore-file` comments, cdk-nag's `NagSuppressions`, the
//! `unused-suppression` codemod and `--add-suppressions`, in check,
//! `--dry-run`, `--write` and JSON output.

mod common;
use common::*;

use std::fs;
use std::path::Path;

const HEAD: &str = "from aws_cdk import Stack, Tags, aws_s3 as s3\nfrom constructs import Construct\n\n\nclass Storage(Stack):\n    def __init__(self, scope: Construct, construct_id: str) -> None:\n        super().__init__(scope, construct_id)\n        Tags.of(self).add(\"Environment\", \"dev\")\n";

const SSL: &str = "s3-bucket-ssl-not-enforced";

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap()
}

/// `(codemod, line, note)` of every finding of a JSON check.
fn json_findings(dir: &Path, args: &[&str]) -> Vec<(String, u64, Option<String>)> {
    let mut all = vec!["--output-format", "json"];
    all.extend_from_slice(args);
    let out = cdkfix(dir, &all);
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().cloned().unwrap_or_default())
        .map(|f| {
            (
                f["codemod"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["note"].as_str().map(String::from),
            )
        })
        .collect()
}

#[test]
fn a_suppressed_finding_is_neither_reported_nor_fixed() {
    let src = format!(
        "{HEAD}        self.logs = s3.Bucket(self, \"Logs\")  # cdkfix: ignore[{SSL}]\n        s3.Bucket(self, \"Data\")\n"
    );
    let dir = project(&[("stack.py", &src)]);
    let out = cdkfix(dir.path(), &["stack.py"]);
    let text = stdout(&out);
    assert!(!text.contains(&format!("stack.py:9:21: {SSL}")), "{text}");
    assert!(text.contains(&format!("stack.py:10:9: {SSL}")), "{text}");
    assert!(
        text.contains("stack.py:9:21: s3-bucket-public-access-not-blocked"),
        "only the id listed is silenced: {text}"
    );
    assert!(!text.contains("unused-suppression"), "{text}");

    let json = json_findings(dir.path(), &["stack.py"]);
    assert!(
        !json.iter().any(|(c, l, _)| c == SSL && *l == 9),
        "{json:?}"
    );
    assert!(
        json.iter().any(|(c, l, _)| c == SSL && *l == 10),
        "{json:?}"
    );

    let out = cdkfix(dir.path(), &["--dry-run", "--unsafe-fixes", "stack.py"]);
    let diff = stdout(&out);
    assert_eq!(
        diff.matches("enforce_ssl=True").count(),
        // The Data bucket, and the access-log bucket a fix creates.
        2,
        "{diff}"
    );
    assert!(
        !diff.contains("s3.Bucket(self, \"Logs\", enforce_ssl"),
        "{diff}"
    );

    let out = cdkfix(dir.path(), &["--write", "--unsafe-fixes", "stack.py"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let written = read(dir.path(), "stack.py");
    let logs = written
        .lines()
        .find(|l| l.contains("\"Logs\""))
        .unwrap_or_default();
    assert!(
        logs.contains("s3.Bucket(") && logs.ends_with(&format!("  # cdkfix: ignore[{SSL}]")),
        "the comment stays on the call's first line:\n{written}"
    );
    assert!(!logs.contains("enforce_ssl"), "{written}");
    // Nothing left to fix, and the comment is still used.
    let out = cdkfix(dir.path(), &["--write", "--unsafe-fixes", "stack.py"]);
    assert_eq!(read(dir.path(), "stack.py"), written, "{}", stderr(&out));
    assert!(
        !stdout(&out).contains("unused-suppression"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn fixes_keep_a_suppression_on_the_first_line_of_an_exploded_call() {
    let src = format!(
        "{HEAD}        bucket = s3.Bucket(  # cdkfix: ignore[{SSL}, AwsSolutions-S1]\n            self,\n            \"Data\",\n            versioned=True,\n        )\n"
    );
    let dir = project(&[("stack.py", &src)]);
    let out = cdkfix(dir.path(), &["--write", "--unsafe-fixes", "stack.py"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let written = read(dir.path(), "stack.py");
    assert!(
        written.contains(&format!(
            "        bucket = s3.Bucket(  # cdkfix: ignore[{SSL}, AwsSolutions-S1]\n            self,\n            \"Data\",\n            versioned=True,\n"
        )),
        "{written}"
    );
    // Other fixes applied; the silenced ones (S10, and S1's access logs) not.
    assert!(written.contains("block_public_access="), "{written}");
    assert!(!written.contains("enforce_ssl"), "{written}");
    assert!(!written.contains("server_access_logs"), "{written}");
    let out = cdkfix(dir.path(), &["stack.py"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn unused_suppressions_are_reported_and_removed_once() {
    let src = format!(
        "{HEAD}        s3.Bucket(self, \"Data\", enforce_ssl=True, block_public_access=s3.BlockPublicAccess.BLOCK_ALL, encryption=s3.BucketEncryption.S3_MANAGED, server_access_logs_prefix=\"logs/\")  # noqa: E501  # cdkfix: ignore[{SSL}, s3-bucket-public-access-not-blocked]\n        # cdkfix: ignore\n        name = \"data\"  # cdkfix: ignore[{SSL}, not-a-codemod]\n"
    );
    let dir = project(&[("stack.py", &src)]);
    let out = cdkfix(dir.path(), &["stack.py"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 3, "only the three comments: {text}");
    assert!(
        text.contains(&format!("unused-suppression `# cdkfix: ignore` comment that silences nothing (unused: `{SSL}`, `s3-bucket-public-access-not-blocked`) [*]")),
        "{text}"
    );
    assert!(text.contains("stack.py:10:9: unused-suppression"), "{text}");
    assert!(
        text.contains("stack.py:11:24: unused-suppression `# cdkfix: ignore` comment that silences nothing (unused: `s3-bucket-ssl-not-enforced`; unknown id `not-a-codemod`"),
        "{text}"
    );
    let json = json_findings(dir.path(), &["stack.py"]);
    assert_eq!(
        json.iter()
            .filter(|(c, _, _)| c == "unused-suppression")
            .count(),
        3,
        "{json:?}"
    );

    let out = cdkfix(dir.path(), &["--dry-run", "stack.py"]);
    let diff = stdout(&out);
    assert!(diff.contains("-        # cdkfix: ignore\n"), "{diff}");
    assert_eq!(
        read(dir.path(), "stack.py"),
        src,
        "--dry-run writes nothing"
    );

    let out = cdkfix(dir.path(), &["--write", "stack.py"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let written = read(dir.path(), "stack.py");
    assert!(
        written.contains("server_access_logs_prefix=\"logs/\")  # noqa: E501\n        name = \"data\"  # cdkfix: ignore[not-a-codemod]\n"),
        "{written}"
    );
    let again = cdkfix(dir.path(), &["--write", "stack.py"]);
    assert_eq!(read(dir.path(), "stack.py"), written, "idempotent");
    assert!(
        stdout(&again).contains("stack.py:10:24: unused-suppression"),
        "the unknown id stays reported: {}",
        stdout(&again)
    );
}

#[test]
fn ids_of_codemods_this_run_does_not_run_are_not_unused() {
    let src = format!(
        "{HEAD}        s3.Bucket(self, \"Data\", enforce_ssl=True)  # cdkfix: ignore[{SSL}]\n"
    );
    let dir = project(&[("stack.py", &src)]);
    let unused = |args: &[&str]| {
        json_findings(dir.path(), args)
            .iter()
            .any(|(c, _, _)| c == "unused-suppression")
    };
    assert!(unused(&["stack.py"]));
    assert!(!unused(&["--ignore", SSL, "stack.py"]));
    assert!(!unused(&["--ignore", "AwsSolutions-S10", "stack.py"]));
    assert!(!unused(&["--ignore", "unused-suppression", "stack.py"]));
    // Selected alone, unused-suppression judges every id by nothing running.
    assert!(!unused(&["--select", "unused-suppression", "stack.py"]));
    assert!(unused(&[
        "--select",
        &format!("{SSL},unused-suppression"),
        "stack.py"
    ]));
    let dir2 = project(&[
        ("stack.py", &src),
        ("cdkfix.toml", &format!("ignore = [\"{SSL}\"]\n")),
    ]);
    assert!(
        !json_findings(dir2.path(), &["stack.py"])
            .iter()
            .any(|(c, _, _)| c == "unused-suppression")
    );
}

#[test]
fn ignore_file_silences_the_file() {
    let body = "        s3.Bucket(self, \"A\")\n        s3.Bucket(self, \"B\")\n";
    let src = format!("# cdkfix: ignore-file[{SSL}, CKV_AWS_53]\n{HEAD}{body}");
    let dir = project(&[("stack.py", &src)]);
    let json = json_findings(dir.path(), &["stack.py"]);
    assert!(!json.iter().any(|(c, _, _)| c == SSL), "{json:?}");
    assert!(
        !json
            .iter()
            .any(|(c, _, _)| c == "s3-bucket-public-access-not-blocked"),
        "by checkov id: {json:?}"
    );
    assert!(
        json.iter()
            .any(|(c, _, _)| c == "s3-bucket-encryption-implicit")
    );
    let out = cdkfix(dir.path(), &["--write", "--unsafe-fixes", "stack.py"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let written = read(dir.path(), "stack.py");
    assert!(written.starts_with(&format!("# cdkfix: ignore-file[{SSL}, CKV_AWS_53]\n")));
    // Only the access-log bucket a fix creates has them, created compliant.
    assert_eq!(written.matches("enforce_ssl").count(), 1, "{written}");
    assert_eq!(
        written.matches("block_public_access").count(),
        1,
        "{written}"
    );

    let all = format!("{HEAD}{body}\n# cdkfix: ignore-file\n");
    let dir = project(&[("stack.py", &all)]);
    let out = cdkfix(dir.path(), &["stack.py"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn a_string_that_looks_like_a_suppression_silences_nothing() {
    let src = format!(
        "{HEAD}        s3.Bucket(self, \"Data\", bucket_name=\"data  # cdkfix: ignore\")\n        NOTE = \"\"\"\n# cdkfix: ignore-file\n\"\"\"\n"
    );
    let dir = project(&[("stack.py", &src)]);
    let json = json_findings(dir.path(), &["stack.py"]);
    assert!(json.iter().any(|(c, l, _)| c == SSL && *l == 9), "{json:?}");
    assert!(
        !json.iter().any(|(c, _, _)| c == "unused-suppression"),
        "{json:?}"
    );
}

const NAG_HEAD: &str = "from aws_cdk import App, Stack, Tags, aws_s3 as s3\nfrom cdk_nag import NagPackSuppression, NagSuppressions\nfrom constructs import Construct\n\n\nclass Storage(Stack):\n    def __init__(self, scope: Construct, construct_id: str) -> None:\n        super().__init__(scope, construct_id)\n        Tags.of(self).add(\"Environment\", \"dev\")\n";

#[test]
fn cdk_nag_resource_suppressions_are_honoured() {
    let src = format!(
        "{NAG_HEAD}        self.site = s3.Bucket(self, \"Site\")\n        other = s3.Bucket(self, \"Other\")\n        NagSuppressions.add_resource_suppressions(\n            self.site,\n            [\n                NagPackSuppression(id=\"AwsSolutions-S10\", reason=\"served over HTTP by design\"),\n                {{\"id\": \"AwsSolutions-S1\", \"reason\": \"no access logs for a public site\"}},\n            ],\n        )\n"
    );
    let dir = project(&[("stack.py", &src)]);
    let json = json_findings(dir.path(), &["stack.py"]);
    let on = |codemod: &str, line: u64| json.iter().any(|(c, l, _)| c == codemod && *l == line);
    assert!(
        !on(SSL, 10) && !on("s3-bucket-without-access-logs", 10),
        "{json:?}"
    );
    assert!(on("s3-bucket-public-access-not-blocked", 10), "{json:?}");
    assert!(
        on(SSL, 11) && on("s3-bucket-without-access-logs", 11),
        "{json:?}"
    );
    let out = cdkfix(dir.path(), &["--write", "--unsafe-fixes", "stack.py"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let written = read(dir.path(), "stack.py");
    let site = written
        .split("\"Site\"")
        .nth(1)
        .and_then(|rest| rest.split("\"Other\"").next())
        .unwrap();
    assert!(!site.contains("enforce_ssl"), "{written}");
    assert!(!site.contains("server_access_logs"), "{written}");
    assert!(site.contains("block_public_access"), "{written}");
}

#[test]
fn cdk_nag_stack_suppressions_are_honoured() {
    let other = "\n\nclass Other(Stack):\n    def __init__(self, scope: Construct, construct_id: str) -> None:\n        super().__init__(scope, construct_id)\n        Tags.of(self).add(\"Environment\", \"dev\")\n        s3.Bucket(self, \"Kept\")\n";
    let src = format!(
        "import cdk_nag\n{NAG_HEAD}        s3.Bucket(self, \"Site\")\n        cdk_nag.NagSuppressions.add_stack_suppressions(self, [{{\"id\": \"AwsSolutions-S10\", \"reason\": \"r\"}}])\n{other}"
    );
    let dir = project(&[("stack.py", &src)]);
    let json = json_findings(dir.path(), &["stack.py"]);
    let ssl: Vec<u64> = json
        .iter()
        .filter(|(c, _, _)| c == SSL)
        .map(|(_, l, _)| *l)
        .collect();
    assert_eq!(ssl, vec![19], "only the other class's bucket: {json:?}");

    // On a stack variable: the whole file.
    let src = format!(
        "{NAG_HEAD}        s3.Bucket(self, \"Site\")\n{other}\n\napp = App()\nstack = Storage(app, \"Storage\")\nNagSuppressions.add_stack_suppressions(stack, [{{\"id\": \"AwsSolutions-S10\", \"reason\": \"r\"}}])\n"
    );
    let dir = project(&[("app.py", &src)]);
    let json = json_findings(dir.path(), &["app.py"]);
    assert!(!json.iter().any(|(c, _, _)| c == SSL), "{json:?}");
}

#[test]
fn add_suppressions_makes_a_baseline_that_checks_clean() {
    let stack = format!(
        "{HEAD}        s3.Bucket(self, \"A\")  # noqa: E501\n        s3.Bucket(self, \"B\")  # cdkfix: ignore[{SSL}]\n        s3.Bucket(\n            self, \"C\", website_index_document=\"index.html\")\n"
    );
    let other = "from aws_cdk import aws_sqs as sqs\n\n\ndef queue(scope):\n    return sqs.Queue(scope, \"Q\", encryption=sqs.QueueEncryption.UNENCRYPTED)\n";
    let dir = project(&[("stacks/stack.py", &stack), ("stacks/queue.py", other)]);
    let before = json_findings(dir.path(), &["."]);
    assert!(before.len() > 5, "{before:?}");
    let out = cdkfix(dir.path(), &["--add-suppressions", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("to 2 files."), "{}", stderr(&out));
    let written = read(dir.path(), "stacks/stack.py");
    assert!(
        written.contains("s3.Bucket(self, \"A\")  # noqa: E501  # cdkfix: ignore[s3-bucket-encryption-implicit, s3-bucket-public-access-not-blocked, s3-bucket-ssl-not-enforced, s3-bucket-without-access-logs]\n"),
        "{written}"
    );
    assert!(
        written.contains("s3.Bucket(self, \"B\")  # cdkfix: ignore[s3-bucket-encryption-implicit, s3-bucket-public-access-not-blocked, s3-bucket-ssl-not-enforced, s3-bucket-without-access-logs]\n"),
        "merged, sorted: {written}"
    );
    assert!(
        written.contains("        s3.Bucket(  # cdkfix: ignore["),
        "{written}"
    );
    let out = cdkfix(dir.path(), &["."]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // A second time there is nothing to add.
    let out = cdkfix(dir.path(), &["--add-suppressions", "."]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("Added 0 suppressions to 0 files."),
        "{}",
        stderr(&out)
    );
    assert_eq!(read(dir.path(), "stacks/stack.py"), written);
}

#[test]
fn add_suppressions_respects_the_selection_and_writes_nothing_else() {
    let src = format!("{HEAD}        s3.Bucket(self, \"A\")\n");
    let dir = project(&[("stack.py", &src)]);
    let out = cdkfix(
        dir.path(),
        &["--add-suppressions", "--select", SSL, "stack.py"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        read(dir.path(), "stack.py"),
        format!("{HEAD}        s3.Bucket(self, \"A\")  # cdkfix: ignore[{SSL}]\n")
    );
    // The other findings are still there for a full check.
    let json = json_findings(dir.path(), &["stack.py"]);
    assert!(!json.iter().any(|(c, _, _)| c == SSL), "{json:?}");
    assert!(!json.is_empty());
}

#[test]
fn add_suppressions_does_not_go_with_fixing() {
    let dir = project(&[("stack.py", HEAD)]);
    for flag in ["--write", "--dry-run"] {
        let out = cdkfix(dir.path(), &["--add-suppressions", flag, "stack.py"]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert!(
            stderr(&out).contains("cannot be used with"),
            "{}",
            stderr(&out)
        );
    }
}
