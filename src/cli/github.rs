//! `--output-format github`: GitHub Actions workflow commands, which the
//! runner turns into annotations on the pull request's lines.

use super::report::display;
use super::{FileResult, Mode};
use crate::catalogue::Catalogue;
use crate::engine::{FileError, Fixability};
use std::io::Write;

/// Errors that are not about one file (a missing path, a bad configuration).
pub(super) fn run_errors(out: &mut impl Write, errors: &[String]) {
    for e in errors {
        let _ = writeln!(out, "::error::{}", data(e));
    }
}

/// One file's annotations: a warning per finding (with --write, per finding
/// left), or an error.
pub(super) fn file(out: &mut impl Write, catalogue: &Catalogue, r: &FileResult, mode: Mode) {
    let path = property(&display(&r.path));
    let o = match &r.outcome {
        Ok(None) => return,
        Ok(Some((_, o))) => o,
        Err(e) => {
            let line = match e {
                FileError::Syntax(line) => format!(",line={line}"),
                _ => String::new(),
            };
            let _ = writeln!(out, "::error file={path}{line}::{}", data(&e.to_string()));
            return;
        }
    };
    let shown = match mode {
        Mode::Write => &o.remaining,
        Mode::Check | Mode::DryRun => &o.findings,
    };
    for f in shown {
        let entry = &catalogue.entries[f.codemod];
        let mut message = entry.summary.clone();
        if let Some(note) = &f.note {
            message.push_str(&format!(" ({note})"));
        }
        message.push_str(match f.fixability {
            Fixability::Safe if mode != Mode::Write => " [fixable]",
            Fixability::Unsafe => " [fixable with --unsafe-fixes]",
            _ => "",
        });
        let _ = writeln!(
            out,
            "::warning file={path},line={},col={},title={}::{}",
            f.line,
            f.col,
            property(&entry.id),
            data(&message)
        );
    }
}

/// A command's message: `%`, CR and LF would end or garble the command.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A command's property value: also `:` and `,`, which separate properties.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_runner() {
        assert_eq!(data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        assert_eq!(property("a,b:c%.py"), "a%2Cb%3Ac%25.py");
    }
}
