//! `--add-suppressions`: a `# cdkfix: ignore[<id>]` comment for every finding
//! a check reports, written into the files (no fix applied), so that a code
//! base can adopt cdkfix with a clean baseline and only new code is checked.

use super::FileResult;
use super::report::{ERR, counted};
use super::write::write_atomic;
use crate::catalogue::Catalogue;
use crate::source::SourceText;
use crate::suppress::{UNUSED, add_suppressions};
use std::io::Write;
use std::process::ExitCode;

/// Write the comments for the check's `results` and say what was done.
/// Exit code: 2 on errors, 1 when findings are left without a comment
/// (unused suppressions, lines that cannot take one), else 0.
pub(super) fn run(catalogue: &Catalogue, results: &[FileResult], errors: &[String]) -> ExitCode {
    let mut err = anstream::stderr().lock();
    let mut failed = errors.len();
    for e in errors {
        let _ = writeln!(err, "{}error{}: {e}", ERR.render(), ERR.render_reset());
    }
    let (mut added, mut files, mut left) = (0, 0, 0);
    for r in results {
        let path = r.path.to_string_lossy();
        let path = path.strip_prefix("./").unwrap_or(&path);
        let (src, outcome) = match &r.outcome {
            Ok(Some(done)) => done,
            Ok(None) => continue,
            Err(e) => {
                failed += 1;
                let _ = writeln!(
                    err,
                    "{}error{}: {path}: {e}",
                    ERR.render(),
                    ERR.render_reset()
                );
                continue;
            }
        };
        let mut wanted = Vec::new();
        for f in &outcome.findings {
            let id = catalogue.entries[f.codemod].id.as_str();
            if id == UNUSED {
                // A comment on a stale comment would keep both: fix it instead.
                left += 1;
                let _ = writeln!(
                    err,
                    "{path}:{}:{}: {UNUSED} left as it is (`cdkfix --write` removes what it can)",
                    f.line, f.col
                );
            } else {
                wanted.push((f.line, f.col, id));
            }
        }
        if wanted.is_empty() {
            continue;
        }
        let done = add_suppressions(&src.text, &wanted);
        for (line, why) in &done.skipped {
            left += 1;
            let _ = writeln!(err, "{path}:{line}: {why}");
        }
        if done.text == src.text {
            continue;
        }
        let new = SourceText {
            text: done.text,
            ..src.clone()
        };
        match write_atomic(&r.path, &new.to_bytes()) {
            Ok(()) => {
                added += done.count;
                files += 1;
            }
            Err(e) => {
                failed += 1;
                let _ = writeln!(
                    err,
                    "{}error{}: {path}: cannot write: {e}; file left unchanged",
                    ERR.render(),
                    ERR.render_reset()
                );
            }
        }
    }
    let _ = writeln!(
        err,
        "Added {} to {}{}.",
        counted(added, "suppression"),
        counted(files, "file"),
        match left {
            0 => String::new(),
            n => format!("; {} left", counted(n, "finding")),
        }
    );
    if failed > 0 {
        ExitCode::from(2)
    } else if left > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
