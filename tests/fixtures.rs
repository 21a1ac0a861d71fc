//! One harness over every `fixtures/<codemod-id>/<case>.py`: runs that codemod
//! alone (unsafe fixes on), checks the first-line expectation, the invariants
//! (output parses with tree-sitter and CPython, a second run changes nothing,
//! only the codemod under test fired, newline style and BOM kept), and
//! snapshots the findings, the diff and the fixed file.
//!
//! A fixture may set configuration on line 2:
//! `# config: removal_policy = "by-environment"; names = "remove"` (TOML keys
//! of cdkfix.toml, separated by `;`), and come with `<case>.cdk.json`, the
//! cdk.json of its app (whose context some codemods read).

use cdkfix::cli::unified_diff;
use cdkfix::engine::{Engine, Settings};
use cdkfix::source::SourceText;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, PartialEq)]
enum Expect {
    Fix,
    Unchanged,
    Report,
}

fn expectation(text: &str) -> Option<Expect> {
    let first = text.lines().next()?.trim_start_matches('\u{feff}').trim();
    match first.strip_prefix("# expect:")?.trim() {
        "fix" => Some(Expect::Fix),
        "unchanged" => Some(Expect::Unchanged),
        "report" => Some(Expect::Report),
        _ => None,
    }
}

fn fixture_cases() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut cases = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        let id = dir.file_name().unwrap().to_string_lossy().to_string();
        if !dir.is_dir() || id == "apps" {
            continue;
        }
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "py") {
                cases.push((id.clone(), f));
            }
        }
    }
    cases.sort();
    cases
}

/// Make CR and BOM visible in snapshots (insta would normalise them away).
fn visible(text: &str) -> String {
    text.replace('\r', "␍").replace('\u{feff}', "[BOM]")
}

/// Compile every file with CPython in one process; returns the failures.
fn python_compile_failures(files: &[PathBuf]) -> Vec<String> {
    if files.is_empty() {
        return Vec::new();
    }
    let script = "import sys\nbad = []\nfor p in sys.argv[1:]:\n    try:\n        compile(open(p, 'rb').read(), p, 'exec')\n    except SyntaxError as e:\n        bad.append(f'{p}: {e}')\nprint('\\n'.join(bad))\n";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(files)
        .output()
        .expect("python3 is needed to check that fixed files compile");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// For each `<name>.flat.py` (fixed with `line_length = 0`) next to its
/// `<name>.py` (fixed with line splitting), whether CPython reads them as
/// the same program: the layout may change lines, never meaning.
fn python_meaning_differences(flat: &[PathBuf]) -> Vec<String> {
    if flat.is_empty() {
        return Vec::new();
    }
    let script = "import ast, sys\nbad = []\nfor f in sys.argv[1:]:\n    s = f[:-len('.flat.py')] + '.py'\n    try:\n        a = ast.dump(ast.parse(open(f, 'rb').read()))\n        b = ast.dump(ast.parse(open(s, 'rb').read()))\n    except (SyntaxError, OSError) as e:\n        bad.append(f'{s}: {e}')\n        continue\n    if a != b:\n        bad.append(f'{s}: splitting long lines changed what the code means')\nprint('\\n'.join(bad))\n";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(flat)
        .output()
        .expect("python3 is needed to compare fixed files");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn every_fixture() {
    let engine = Engine::builtin();
    let catalogue = engine.catalogue;
    let out_dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut outputs = Vec::new();
    let cases = fixture_cases();
    assert!(cases.len() > 50, "fixtures not found");
    for (id, path) in &cases {
        let name = format!("{id}__{}", path.file_stem().unwrap().to_string_lossy());
        let bytes = std::fs::read(path).unwrap();
        let src = SourceText::from_bytes(bytes.clone()).unwrap();
        let Some(expect) = expectation(&src.text) else {
            failures.push(format!(
                "{name}: line 1 must be `# expect: fix|unchanged|report`"
            ));
            continue;
        };
        let Some(idx) = catalogue.index(id) else {
            failures.push(format!("{name}: no codemod `{id}` in the catalogue"));
            continue;
        };
        let mut settings = Settings::all(catalogue);
        settings.enabled = (0..catalogue.entries.len()).map(|i| i == idx).collect();
        settings.unsafe_fixes = true;
        if let Some(config) = src
            .text
            .lines()
            .nth(1)
            .and_then(|l| l.strip_prefix("# config:"))
        {
            match cdkfix::config::parse(&config.replace(';', "\n")) {
                Ok(c) => settings.options = std::sync::Arc::new(c.options()),
                Err(e) => {
                    failures.push(format!("{name}: bad `# config:` line: {e}"));
                    continue;
                }
            }
        }
        // `<case>.cdk.json` next to a fixture stands for its app's cdk.json.
        if let Ok(json) = std::fs::read_to_string(path.with_extension("cdk.json")) {
            let mut options = (*settings.options).clone();
            options.project_context = cdkfix::options::cdk_json_context(&json);
            if options.project_context.is_none() {
                failures.push(format!("{name}: its cdk.json is not a JSON object"));
                continue;
            }
            settings.options = std::sync::Arc::new(options);
        }
        let outcome = match engine.run(&src, &settings, true) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let mut fail = |msg: String| failures.push(format!("{name}: {msg}"));
        match (&expect, &outcome.fixed, outcome.findings.is_empty()) {
            (Expect::Fix, Some(_), _) => {}
            (Expect::Unchanged, None, true) => {}
            (Expect::Report, None, false) => {}
            (e, fixed, no_findings) => fail(format!(
                "expected {e:?}, got changed={} findings={}",
                fixed.is_some(),
                !no_findings
            )),
        }
        if outcome.applied.iter().any(|a| a.codemod != idx) {
            fail("a codemod other than the one under test fired".into());
        }
        let mut snap = String::new();
        writeln!(snap, "findings:").unwrap();
        for f in &outcome.findings {
            let note = f
                .note
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            writeln!(snap, "  {}:{}: {:?}{note}", f.line, f.col, f.fixability).unwrap();
        }
        if let Some(fixed) = &outcome.fixed {
            let again = SourceText {
                text: fixed.clone(),
                ..src.clone()
            };
            match engine.run(&again, &settings, true) {
                Ok(o) if o.fixed.is_some() => fail("a second run changes the output again".into()),
                Ok(_) => {}
                Err(e) => fail(format!("second run: {e}")),
            }
            if src.newline == "\r\n" && fixed.replace("\r\n", "").contains('\n') {
                fail("a bare LF was written into a CRLF file".into());
            }
            let out_path = out_dir.path().join(format!("{name}.py"));
            std::fs::write(&out_path, again.to_bytes()).unwrap();
            outputs.push(out_path);
            let diff = unified_diff(
                &format!("{id}/{}", path.file_name().unwrap().to_string_lossy()),
                &src.text,
                fixed,
            );
            writeln!(snap, "diff:\n{}", visible(&diff)).unwrap();
            writeln!(snap, "fixed file:\n{}", visible(&again.text)).unwrap();
            if src.bom {
                writeln!(snap, "(the fixed file keeps its BOM)").unwrap();
            }
        } else {
            writeln!(snap, "unchanged").unwrap();
        }
        let result = std::panic::catch_unwind(|| {
            insta::with_settings!({snapshot_path => "snapshots/fixtures", prepend_module_to_snapshot => false, omit_expression => true}, {
                insta::assert_snapshot!(name.clone(), snap);
            });
        });
        if result.is_err() {
            failures.push(format!("{name}: snapshot differs"));
        }
    }
    failures.extend(python_compile_failures(&outputs));
    assert!(
        failures.is_empty(),
        "{} fixture failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every fixture and every example-app file again, with all codemods on at
/// once (unsafe fixes included): codemods that fire on the same call, class
/// or import must still leave a file that converges, compiles with CPython
/// (which also rejects what tree-sitter accepts, such as a repeated keyword
/// argument) and does not change on a second run; and splitting long lines
/// must not change what CPython reads.
#[test]
fn every_fixture_under_all_codemods_together() {
    let engine = Engine::builtin();
    let catalogue = engine.catalogue;
    let mut settings = Settings::all(catalogue);
    settings.unsafe_fixes = true;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "py") {
                files.push(path);
            }
        }
    }
    files.sort();
    let out_dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut outputs = Vec::new();
    let mut unsplit = settings.clone();
    let mut options = (*settings.options).clone();
    options.line_length = cdkfix::options::LineLength(0);
    unsplit.options = std::sync::Arc::new(options);
    let mut pairs = Vec::new();
    for path in &files {
        let name = path.strip_prefix(&root).unwrap().display().to_string();
        let src = SourceText::from_bytes(std::fs::read(path).unwrap()).unwrap();
        // The same fixes without splitting long lines, to compare meanings.
        if let Ok(cdkfix::engine::Outcome {
            fixed: Some(flat), ..
        }) = engine.run(&src, &unsplit, true)
        {
            let flat_path = out_dir
                .path()
                .join(format!("{}.flat.py", name.replace(['/', '\\'], "__")));
            std::fs::write(&flat_path, flat).unwrap();
            pairs.push(flat_path);
        }
        let fixed = match engine.run(&src, &settings, true) {
            Ok(o) => o.fixed,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let Some(fixed) = fixed else { continue };
        let again = SourceText {
            text: fixed,
            ..src.clone()
        };
        match engine.run(&again, &settings, true) {
            Ok(o) if o.fixed.is_some() => {
                failures.push(format!("{name}: a second run changes the output again"))
            }
            Ok(_) => {}
            Err(e) => failures.push(format!("{name}: second run: {e}")),
        }
        let out_path = out_dir
            .path()
            .join(format!("{}.py", name.replace(['/', '\\'], "__")));
        std::fs::write(&out_path, again.to_bytes()).unwrap();
        outputs.push(out_path);
    }
    failures.extend(python_compile_failures(&outputs));
    failures.extend(python_meaning_differences(&pairs));
    assert!(
        failures.is_empty(),
        "{} failures with all codemods on:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
