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

/// `--add-suppressions`, file by file: what was added, what is left.
#[derive(Default)]
pub(super) struct Adder {
    added: usize,
    files: usize,
    left: usize,
    failed: usize,
}

impl Adder {
    /// Errors that are not about one file.
    pub(super) fn run_errors(&mut self, err: &mut impl Write, errors: &[String]) {
        self.failed += errors.len();
        for e in errors {
            let _ = writeln!(err, "{}error{}: {e}", ERR.render(), ERR.render_reset());
        }
    }

    /// Write the comments for one file's findings.
    pub(super) fn file(&mut self, err: &mut impl Write, catalogue: &Catalogue, r: &FileResult) {
        let path = r.path.to_string_lossy();
        let path = path.strip_prefix("./").unwrap_or(&path);
        let (src, outcome) = match &r.outcome {
            Ok(Some(done)) => done,
            Ok(None) => return,
            Err(e) => {
                self.failed += 1;
                let _ = writeln!(
                    err,
                    "{}error{}: {path}: {e}",
                    ERR.render(),
                    ERR.render_reset()
                );
                return;
            }
        };
        let mut wanted = Vec::new();
        for f in &outcome.findings {
            let id = catalogue.entries[f.codemod].id.as_str();
            if id == UNUSED {
                // A comment on a stale comment would keep both: fix it instead.
                self.left += 1;
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
            return;
        }
        let done = add_suppressions(&src.text, &wanted);
        for (line, why) in &done.skipped {
            self.left += 1;
            let _ = writeln!(err, "{path}:{line}: {why}");
        }
        if done.text == src.text {
            return;
        }
        let new = SourceText {
            text: done.text,
            ..src.clone()
        };
        match write_atomic(&r.path, &new.to_bytes()) {
            Ok(()) => {
                self.added += done.count;
                self.files += 1;
            }
            Err(e) => {
                self.failed += 1;
                let _ = writeln!(
                    err,
                    "{}error{}: {path}: cannot write: {e}; file left unchanged",
                    ERR.render(),
                    ERR.render_reset()
                );
            }
        }
    }

    /// Say what was done. Exit code: 2 on errors, 1 when findings are left
    /// without a comment (unused suppressions, lines that cannot take one),
    /// else 0.
    pub(super) fn finish(self, err: &mut impl Write) -> ExitCode {
        let _ = writeln!(
            err,
            "Added {} to {}{}.",
            counted(self.added, "suppression"),
            counted(self.files, "file"),
            match self.left {
                0 => String::new(),
                n => format!("; {} left", counted(n, "finding")),
            }
        );
        if self.failed > 0 {
            ExitCode::from(2)
        } else if self.left > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}
