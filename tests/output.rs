//! The CI output formats (SARIF, GitHub annotations), `--statistics`, and
//! the progress line, through the built binary.

mod common;
use common::*;

use cdkfix::catalogue::Catalogue;
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

/// Only `stateful-resource-removal-policy-destroy` (public access blocked).
const DESTROY: &str = "from aws_cdk import Stack, RemovalPolicy, Tags, aws_s3 as s3\n\n\nclass S(Stack):\n    def __init__(self, scope, cid):\n        super().__init__(scope, cid)\n        Tags.of(self).add(\"Environment\", \"dev\")\n        s3.Bucket(self, \"Data\", enforce_ssl=True, encryption=s3.BucketEncryption.S3_MANAGED, server_access_logs_prefix=\"logs/\", block_public_access=s3.BlockPublicAccess.BLOCK_ALL, removal_policy=RemovalPolicy.DESTROY)\n";
const BROKEN: &str = "import aws_cdk\n\ndef f(:\n";
const PUBLIC: &str = "s3-bucket-public-access-not-blocked";
const DESTROY_ID: &str = "stateful-resource-removal-policy-destroy";

/// The SARIF log on stdout, checked against the SARIF 2.1.0 schema (the
/// OASIS schema; see tests/data/README.md).
fn sarif(out: &Output) -> Value {
    let log: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", stdout(out), stderr(out)));
    let schema: Value = serde_json::from_str(
        &fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json"),
        )
        .unwrap(),
    )
    .unwrap();
    // The schema's pattern for `language` (of a run and of a tool) has a
    // stray `]`, which the meta-schema's `regex` format check rejects; cdkfix
    // writes no `language`, so the pattern is dropped rather than the schema
    // refused.
    let mut schema = schema;
    assert!(drop_language_patterns(&mut schema) >= 1);
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
    log
}

/// Remove each `language` property's `pattern` from the schema; how many.
fn drop_language_patterns(schema: &mut Value) -> usize {
    let mut dropped = 0;
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(language)) = map.get_mut("language") {
                dropped += usize::from(language.remove("pattern").is_some());
            }
            for v in map.values_mut() {
                dropped += drop_language_patterns(v);
            }
        }
        Value::Array(items) => {
            for v in items {
                dropped += drop_language_patterns(v);
            }
        }
        _ => {}
    }
    dropped
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().unwrap()
}

/// Apply a SARIF fix's replacements (regions in the original's terms, in
/// order; lines and columns 1-based, columns in characters).
fn apply_fix(original: &str, fix: &Value) -> String {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(original.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |region: &Value, line: &str, col: &str| {
        let (line, col) = (
            region[line].as_u64().unwrap() as usize,
            region[col].as_u64().unwrap() as usize,
        );
        let start = starts[line - 1];
        start
            + original[start..]
                .chars()
                .take(col - 1)
                .map(char::len_utf8)
                .sum::<usize>()
    };
    let changes = fix["artifactChanges"].as_array().unwrap();
    assert_eq!(changes.len(), 1);
    let mut out = String::new();
    let mut pos = 0;
    for r in changes[0]["replacements"].as_array().unwrap() {
        let region = &r["deletedRegion"];
        let start = offset(region, "startLine", "startColumn");
        let end = offset(region, "endLine", "endColumn");
        assert!(start >= pos && end >= start, "regions in order: {region}");
        out.push_str(&original[pos..start]);
        out.push_str(r["insertedContent"]["text"].as_str().unwrap_or(""));
        pos = end;
    }
    out.push_str(&original[pos..]);
    out
}

#[test]
fn sarif_check_is_valid_and_its_fix_is_what_write_writes() {
    let dir = project(&[("app/storage.py", BUCKET), ("bad.py", BROKEN)]);
    let out = cdkfix(dir.path(), &["--output-format", "sarif"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let log = sarif(&out);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "cdkfix");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    // Every codemod is a rule, with its catalogue metadata.
    let rules = driver["rules"].as_array().unwrap();
    let catalogue = Catalogue::builtin();
    assert_eq!(rules.len(), catalogue.entries.len());
    for (rule, entry) in rules.iter().zip(&catalogue.entries) {
        assert_eq!(rule["id"], entry.id.as_str());
        assert_eq!(rule["shortDescription"]["text"], entry.summary.as_str());
        assert_eq!(rule["help"]["text"], entry.explain().as_str());
        assert_eq!(rule["defaultConfiguration"]["level"], "warning");
        let tags: Vec<&str> = entry
            .cdk_nag
            .iter()
            .chain(&entry.checkov)
            .map(String::as_str)
            .collect();
        assert_eq!(rule["properties"]["tags"], serde_json::json!(tags));
    }
    let found = results(&log);
    assert_eq!(found.len(), 2, "{found:#?}");
    for r in found {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert_eq!(r["level"], "warning");
        let location = &r["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "app/storage.py");
        assert_eq!(location["region"]["startLine"], 8);
        assert_eq!(location["region"]["startColumn"], 9);
    }
    let public = found.iter().find(|r| r["ruleId"] == PUBLIC).unwrap();
    let destroy = found.iter().find(|r| r["ruleId"] == DESTROY_ID).unwrap();
    // The unsafe fix is not applied without --unsafe-fixes, so it has none.
    assert!(destroy.get("fixes").is_none(), "{destroy:#}");
    assert_eq!(destroy["properties"]["fix"], "unsafe");
    let fixes = public["fixes"].as_array().unwrap();
    assert_eq!(fixes.len(), 1);
    // The error is a notification, and the run did not succeed.
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert_eq!(notes[0]["level"], "error");
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("bad.py: syntax error at line 3"),
        "{notes:#?}"
    );
    // A check writes nothing, and the fix applied to the file is exactly
    // what --write writes.
    let path = dir.path().join("app/storage.py");
    assert_eq!(fs::read_to_string(&path).unwrap(), BUCKET);
    let fixed_by_sarif = apply_fix(BUCKET, &fixes[0]);
    let out = cdkfix(dir.path(), &["--write", "app"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&path).unwrap(), fixed_by_sarif);
    assert_ne!(fixed_by_sarif, BUCKET);
}

#[test]
fn sarif_fixes_follow_the_flags_and_cover_every_hunk() {
    // Two stacks with lines between them: two hunks, two replacements.
    let second = &BUCKET[BUCKET.find("class S").unwrap()..].replace("class S", "class T");
    let src = format!("{BUCKET}\n\nX = 1\nY = 2\nZ = 3\nW = 4\nV = 5\nU = 6\n\n\n{second}");
    let dir = project(&[("stack.py", &src)]);
    let out = cdkfix(
        dir.path(),
        &["--output-format", "sarif", "--unsafe-fixes", "stack.py"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let log = sarif(&out);
    let found = results(&log);
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(found.iter().all(|r| r.get("fixes").is_some()), "{found:#?}");
    let replacements = &found[0]["fixes"][0]["artifactChanges"][0]["replacements"];
    assert_eq!(
        replacements.as_array().unwrap().len(),
        2,
        "{replacements:#}"
    );
    let fixed = apply_fix(&src, &found[0]["fixes"][0]);
    assert!(fixed.contains("RemovalPolicy.RETAIN"), "{fixed}");
    let out = cdkfix(dir.path(), &["--write", "--unsafe-fixes", "stack.py"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(dir.path().join("stack.py")).unwrap(),
        fixed
    );
}

#[test]
fn the_schema_check_catches_a_broken_log() {
    let dir = project(&[("stack.py", BUCKET)]);
    let out = cdkfix(dir.path(), &["--output-format", "sarif"]);
    let mut log = sarif(&out);
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        serde_json::json!(0);
    let broken = Output {
        stdout: serde_json::to_vec(&log).unwrap(),
        ..out
    };
    let caught = std::panic::catch_unwind(|| sarif(&broken));
    assert!(caught.is_err(), "a line 0 region passed the schema");
}

#[test]
fn sarif_with_write_lists_what_is_left() {
    let dir = project(&[("stack.py", BUCKET)]);
    let out = cdkfix(dir.path(), &["--output-format", "sarif", "--write", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let log = sarif(&out);
    let found = results(&log);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["ruleId"], DESTROY_ID);
    assert!(found[0].get("fixes").is_none());
    assert_eq!(
        log["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
    let written = fs::read_to_string(dir.path().join("stack.py")).unwrap();
    assert!(written.contains("BlockPublicAccess.BLOCK_ALL"), "{written}");
    // The finding left is at its line in the written file.
    let line = found[0]["locations"][0]["physicalLocation"]["region"]["startLine"]
        .as_u64()
        .unwrap() as usize;
    assert!(
        written
            .lines()
            .nth(line - 1)
            .unwrap()
            .contains("s3.Bucket("),
        "{line}: {written}"
    );
}

#[test]
fn sarif_paths_are_uris_and_clean_code_exits_0() {
    let dir = project(&[("my stack.py", CLEAN), ("odd:name%.py", BUCKET)]);
    let out = cdkfix(dir.path(), &["--output-format", "sarif", "my stack.py"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(results(&sarif(&out)).is_empty());
    let out = cdkfix(dir.path(), &["--output-format", "sarif", "."]);
    let log = sarif(&out);
    let uri = &results(&log)[0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(uri["uri"], "odd%3Aname%25.py");
    assert_eq!(uri["uriBaseId"], "%SRCROOT%");
    let base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    // An absolute path is a file URI of its own.
    let absolute = dir.path().join("odd:name%.py");
    let out = cdkfix(
        dir.path(),
        &["--output-format", "sarif", absolute.to_str().unwrap()],
    );
    let log = sarif(&out);
    let uri = results(&log)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        uri.starts_with("file:///") && uri.ends_with("/odd%3Aname%25.py"),
        "{uri}"
    );
}

#[test]
fn sarif_run_errors_are_notifications() {
    let dir = project(&[("stack.py", BUCKET)]);
    let out = cdkfix(
        dir.path(),
        &["--output-format", "sarif", "stack.py", "missing_dir"],
    );
    assert_eq!(out.status.code(), Some(2));
    let log = sarif(&out);
    let notes = &log["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("missing_dir"),
        "{notes:#}"
    );
    assert_eq!(results(&log).len(), 2);
}

#[test]
fn machine_formats_never_colour() {
    let dir = project(&[("stack.py", BUCKET), ("bad.py", BROKEN)]);
    for format in ["sarif", "github", "json"] {
        let out = Command::new(env!("CARGO_BIN_EXE_cdkfix"))
            .current_dir(dir.path())
            .args(["--output-format", format, ".", "missing"])
            .env("CLICOLOR_FORCE", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{format}");
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!all.contains('\x1b'), "{format}: {all}");
    }
}

#[test]
fn github_annotations() {
    let dir = project(&[("app/odd,name:1.py", BUCKET), ("bad.py", BROKEN)]);
    let out = cdkfix(dir.path(), &["--output-format", "github", ".", "missing"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let public = Catalogue::builtin().get(PUBLIC).unwrap();
    let destroy = Catalogue::builtin().get(DESTROY_ID).unwrap();
    let expected = format!(
        "::error::missing: no such file or directory\n\
         ::warning file=app/odd%2Cname%3A1.py,line=8,col=9,title={PUBLIC}::{} [fixable]\n\
         ::warning file=app/odd%2Cname%3A1.py,line=8,col=9,title={DESTROY_ID}::{} (use RemovalPolicy.RETAIN) [fixable with --unsafe-fixes]\n\
         ::error file=bad.py,line=3::syntax error at line 3; skipped (cdkfix only rewrites files that parse)\n",
        public.summary, destroy.summary
    );
    assert_eq!(stdout(&out), expected);
    // The errors are annotations; stderr does not repeat them.
    assert!(!stderr(&out).contains("error"), "{}", stderr(&out));

    // With --write: what is left, at the written file's lines; exit 1.
    let dir = project(&[("stack.py", BUCKET)]);
    let out = cdkfix(dir.path(), &["--output-format", "github", "--write"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with("::warning file=stack.py,line=")
            && text.contains(&format!("title={DESTROY_ID}::")),
        "{text}"
    );

    let dir = project(&[("stack.py", CLEAN)]);
    let out = cdkfix(dir.path(), &["--output-format", "github"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "");
}

fn statistics_line(count: usize, id: &str, width: usize, marker: &str) -> String {
    let summary = &Catalogue::builtin().get(id).unwrap().summary;
    format!("{count} {id:width$} {marker} {summary}")
}

#[test]
fn statistics_count_per_codemod_most_first() {
    let width = DESTROY_ID.len();
    let dir = project(&[("a.py", BUCKET), ("b.py", DESTROY), ("c.py", DESTROY)]);
    let out = cdkfix(dir.path(), &["--statistics"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let expected = [
        statistics_line(3, DESTROY_ID, width, "[-]"),
        statistics_line(1, PUBLIC, width, "[*]"),
    ]
    .join("\n");
    assert_eq!(stdout(&out), format!("{expected}\n"));
    assert!(
        stderr(&out).starts_with("Found 4 findings (3 files checked)."),
        "{}",
        stderr(&out)
    );
    // A tie is ordered by id; the markers follow the flags.
    let dir = project(&[("a.py", BUCKET), ("b.py", BUCKET)]);
    let out = cdkfix(dir.path(), &["--statistics", "--unsafe-fixes"]);
    let expected = [
        statistics_line(2, PUBLIC, width, "[*]"),
        statistics_line(2, DESTROY_ID, width, "[*]"),
    ]
    .join("\n");
    assert_eq!(stdout(&out), format!("{expected}\n"));
    // A dry run prints the table instead of the diff, and writes nothing.
    let out = cdkfix(dir.path(), &["--statistics", "--dry-run"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!stdout(&out).contains("+++"), "{}", stdout(&out));
    assert!(stdout(&out).starts_with("2 "), "{}", stdout(&out));
    assert_eq!(fs::read_to_string(dir.path().join("a.py")).unwrap(), BUCKET);
    // --write counts what is left.
    let out = cdkfix(dir.path(), &["--statistics", "--write"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        format!(
            "{}\n",
            statistics_line(2, DESTROY_ID, DESTROY_ID.len(), "[-]")
        )
    );
}

#[test]
fn statistics_in_json_and_not_with_sarif_or_github() {
    let dir = project(&[("a.py", BUCKET), ("b.py", DESTROY)]);
    let out = cdkfix(dir.path(), &["--statistics", "--output-format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["statistics"],
        serde_json::json!([
            {"codemod": DESTROY_ID, "count": 2, "fixable": 0, "unsafe_fixable": 2,
             "summary": Catalogue::builtin().get(DESTROY_ID).unwrap().summary},
            {"codemod": PUBLIC, "count": 1, "fixable": 1, "unsafe_fixable": 0,
             "summary": Catalogue::builtin().get(PUBLIC).unwrap().summary},
        ])
    );
    assert_eq!(doc["files"].as_array().unwrap().len(), 2);
    for format in ["sarif", "github"] {
        let out = cdkfix(dir.path(), &["--statistics", "--output-format", format]);
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert_eq!(
            stderr(&out),
            "error: --statistics works with --output-format text or json\n"
        );
        assert_eq!(stdout(&out), "");
    }
}

fn many_files(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let sub = dir.path().join(format!("d{}", i % 10));
        fs::create_dir_all(&sub).unwrap();
        fs::write(sub.join(format!("s{i}.py")), CLEAN).unwrap();
    }
    dir
}

#[test]
fn no_progress_line_in_a_pipe() {
    let dir = many_files(250);
    let out = cdkfix(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "Found 0 findings (250 files checked).\n");
}

/// The progress line as a person at a terminal sees it: `script` runs
/// cdkfix on a pseudo-terminal. Skipped where `script` is missing.
#[cfg(target_os = "linux")]
#[test]
fn progress_line_on_a_terminal_but_not_in_ci() {
    let dir = many_files(250);
    let run = |ci: bool, args: &str| {
        let mut command = Command::new("script");
        command
            .current_dir(dir.path())
            .args([
                "-qec",
                &format!("'{}' {args} .", env!("CARGO_BIN_EXE_cdkfix")),
                "/dev/null",
            ])
            .env_remove("CI");
        if ci {
            command.env("CI", "true");
        }
        command.output()
    };
    let Ok(out) = run(false, "") else {
        eprintln!("skipped: no `script` to run cdkfix on a terminal");
        return;
    };
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let seen = stdout(&out);
    assert!(seen.contains("/250 files"), "{seen:?}");
    assert!(
        seen.contains("Found 0 findings (250 files checked)."),
        "{seen:?}"
    );
    for (ci, args) in [(true, ""), (false, "--output-format json")] {
        let seen = stdout(&run(ci, args).unwrap());
        assert!(!seen.contains("/250 files"), "CI={ci} {args}: {seen:?}");
    }
}
