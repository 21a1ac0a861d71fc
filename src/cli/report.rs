//! Output: findings, diffs and summaries as text or JSON, and the catalogue
//! listing.

use super::{FileResult, Mode};
use crate::catalogue::{Catalogue, Entry};
use crate::engine::Fixability;
use crate::source::{Origin, SourceText, origin};
use anstyle::{AnsiColor, Style};
use std::io::Write;
use std::path::Path;

pub(super) const ERR: Style = AnsiColor::Red.on_default().bold();
const PATH: Style = Style::new().bold();
const ID: Style = AnsiColor::Red.on_default();
const DIM: Style = Style::new().dimmed();
const ADD: Style = AnsiColor::Green.on_default();
const DEL: Style = AnsiColor::Red.on_default();
const HUNK: Style = AnsiColor::Cyan.on_default();

#[derive(Default)]
pub(super) struct Totals {
    pub(super) files: usize,
    pub(super) findings: usize,
    /// Findings left after the fixes.
    pub(super) remaining: usize,
    pub(super) changed: usize,
    pub(super) applied: usize,
    pub(super) errors: usize,
    pub(super) fixable: usize,
    pub(super) unsafe_fixable: usize,
    /// Files with a finding `--write` would fix (with the run's settings).
    pub(super) fixable_files: usize,
}

impl Totals {
    pub(super) fn add(&mut self, r: &FileResult) {
        self.files += 1;
        match &r.outcome {
            Err(_) => self.errors += 1,
            Ok(None) => {}
            Ok(Some((_, o))) => {
                self.findings += o.findings.len();
                self.remaining += o.remaining.len();
                self.changed += usize::from(o.fixed.is_some());
                self.applied += o.applied.len();
                let fixable = o
                    .findings
                    .iter()
                    .filter(|f| f.fixability == Fixability::Safe)
                    .count();
                self.fixable += fixable;
                self.fixable_files += usize::from(fixable > 0);
                self.unsafe_fixable += o
                    .findings
                    .iter()
                    .filter(|f| f.fixability == Fixability::Unsafe)
                    .count();
            }
        }
    }

    pub(super) fn merge(&mut self, other: &Totals) {
        self.files += other.files;
        self.findings += other.findings;
        self.remaining += other.remaining;
        self.changed += other.changed;
        self.applied += other.applied;
        self.errors += other.errors;
        self.fixable += other.fixable;
        self.unsafe_fixable += other.unsafe_fixable;
        self.fixable_files += other.fixable_files;
    }
}

/// How a path is shown, in text and JSON alike: as given, without a leading
/// `./`, with `/` between folders on every platform (a `\` in a Unix file
/// name stays). A name that is not UTF-8 shows U+FFFD for each invalid
/// sequence.
pub(super) fn display(path: &Path) -> String {
    let s = path.to_string_lossy();
    let s = if std::path::MAIN_SEPARATOR == '\\' {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    };
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

fn finding_line(catalogue: &Catalogue, path: &str, f: &crate::engine::Reported) -> String {
    finding_line_at(catalogue, path, f, (f.line, f.col), None)
}

/// A finding shown at `at` (line, column), with `place` saying where it
/// really is when that is not on disk.
fn finding_line_at(
    catalogue: &Catalogue,
    path: &str,
    f: &crate::engine::Reported,
    at: (usize, usize),
    place: Option<String>,
) -> String {
    let entry = &catalogue.entries[f.codemod];
    let note = f
        .note
        .iter()
        .chain(&place)
        .map(|n| format!(" ({n})"))
        .collect::<String>();
    let marker = match f.fixability {
        Fixability::Safe => " [*]",
        Fixability::Unsafe => " [unsafe fix]",
        Fixability::None => "",
    };
    format!(
        "{}{path}{}:{}:{}: {}{}{} {}{note}{}{marker}{}",
        PATH.render(),
        PATH.render_reset(),
        at.0,
        at.1,
        ID.render(),
        entry.id,
        ID.render_reset(),
        entry.summary,
        DIM.render(),
        DIM.render_reset(),
    )
}

/// One file: its error, and with `details` its findings or diff.
pub(super) fn text_file(
    out: &mut impl Write,
    err: &mut impl Write,
    catalogue: &Catalogue,
    r: &FileResult,
    mode: Mode,
    details: bool,
) {
    let path = display(&r.path);
    match &r.outcome {
        Err(e) => {
            let _ = writeln!(
                err,
                "{}error{}: {path}: {e}",
                ERR.render(),
                ERR.render_reset()
            );
        }
        Ok(None) => {}
        Ok(Some(_)) if !details => {}
        Ok(Some((src, o))) => match mode {
            Mode::Check => {
                for f in &o.findings {
                    let _ = writeln!(out, "{}", finding_line(catalogue, &path, f));
                }
            }
            Mode::DryRun => {
                let Some(fixed) = &o.fixed else {
                    for f in &o.remaining {
                        let _ = writeln!(err, "{}", finding_line(catalogue, &path, f));
                    }
                    return;
                };
                let (old, new) = diff_sides(src, fixed);
                let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
                let _ = write!(out, "{}", colored_diff(&path, &diff));
                // The file on disk is unchanged, so leftovers are shown
                // at its lines; one in code the fix writes says so.
                for f in &o.remaining {
                    let line = match origin(&diff, f.line, f.col) {
                        Origin::Disk(line, col) => {
                            finding_line_at(catalogue, &path, f, (line, col), None)
                        }
                        Origin::Written(line) => {
                            let place = format!(
                                "in code the fix writes here: line {}, column {} of the fixed file",
                                f.line, f.col
                            );
                            finding_line_at(catalogue, &path, f, (line, 1), Some(place))
                        }
                    };
                    let _ = writeln!(err, "{line}");
                }
            }
            Mode::Write => {
                for f in &o.remaining {
                    let _ = writeln!(out, "{}", finding_line(catalogue, &path, f));
                }
            }
        },
    }
}

/// The summary line.
pub(super) fn text_footer(err: &mut impl Write, t: &Totals, mode: Mode) {
    let errors = if t.errors > 0 {
        format!("; {} with errors", counted(t.errors, "file"))
    } else {
        String::new()
    };
    let remaining = t.remaining;
    let _ = match mode {
        Mode::Check => {
            let mut hint = String::new();
            if t.fixable > 0 {
                hint.push_str(&format!(" {} fixable with --write.", t.fixable));
            }
            if t.unsafe_fixable > 0 {
                hint.push_str(&format!(
                    " {} more with --write --unsafe-fixes.",
                    t.unsafe_fixable
                ));
            }
            writeln!(
                err,
                "Found {} ({} checked{errors}).{hint}",
                counted(t.findings, "finding"),
                counted(t.files, "file")
            )
        }
        Mode::DryRun => writeln!(
            err,
            "Would apply {} to {} of {} checked; {} left{errors}.",
            counted(t.applied, "fix"),
            t.changed,
            counted(t.files, "file"),
            counted(remaining, "finding")
        ),
        Mode::Write => writeln!(
            err,
            "Applied {} to {} of {} checked; {} left{errors}.",
            counted(t.applied, "fix"),
            t.changed,
            counted(t.files, "file"),
            counted(remaining, "finding")
        ),
    };
}

/// `1 finding`, `2 findings`, `0 fixes`.
pub(super) fn counted(n: usize, noun: &str) -> String {
    match (n, noun.ends_with('x')) {
        (1, _) => format!("{n} {noun}"),
        (_, true) => format!("{n} {noun}es"),
        _ => format!("{n} {noun}s"),
    }
}

/// The two sides of a file's diff. A BOM is part of the first line on disk,
/// so it is on both sides: without it the patch would not apply.
fn diff_sides(src: &SourceText, fixed: &str) -> (String, String) {
    let bom = if src.bom { "\u{feff}" } else { "" };
    (format!("{bom}{}", src.text), format!("{bom}{fixed}"))
}

type Diff<'a> = crate::source::LineDiff<'a>;

/// A git-style unified diff (`a/`, `b/` headers, 3 lines of context), coloured
/// when the output is a terminal (anstream strips the colour otherwise, and
/// honours NO_COLOR).
fn colored_diff<'a>(path: &str, diff: &'a Diff<'a>) -> String {
    let plain = diff_text(path, diff);
    let mut out = String::with_capacity(plain.len() + 256);
    for line in plain.split_inclusive('\n') {
        let style = if line.starts_with("+++") || line.starts_with("---") {
            PATH
        } else if line.starts_with('+') {
            ADD
        } else if line.starts_with('-') {
            DEL
        } else if line.starts_with("@@") {
            HUNK
        } else {
            Style::new()
        };
        let body = line.trim_end_matches('\n');
        out.push_str(&format!(
            "{}{body}{}\n",
            style.render(),
            style.render_reset()
        ));
    }
    out
}

pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    diff_text(path, &similar::TextDiff::from_lines(old, new))
}

fn diff_text<'a>(path: &str, diff: &'a Diff<'a>) -> String {
    // As git writes an absolute path: `a/tmp/x.py`, not `a//tmp/x.py`.
    let path = path.trim_start_matches('/');
    diff.unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

pub(super) fn print_list(catalogue: &Catalogue) {
    let mut out = anstream::stdout().lock();
    let width = catalogue
        .entries
        .iter()
        .map(|e| e.id.len())
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "{:width$}  {:6}  {:40}  summary",
        "id", "fix", "resolves"
    );
    for e in &catalogue.entries {
        let opt_in = if e.opt_in.is_some() {
            " (opt-in: --extend-select)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{:width$}  {:6}  {:40}  {}{opt_in}",
            e.id,
            e.fix_label(),
            resolves(e),
            e.summary
        );
    }
}

fn resolves(e: &Entry) -> String {
    let ids: Vec<&str> = e
        .cdk_nag
        .iter()
        .chain(&e.checkov)
        .map(String::as_str)
        .collect();
    if ids.is_empty() {
        "-".into()
    } else {
        ids.join(", ")
    }
}

/// One file's entry in the JSON document: what it found and fixed, never its
/// text. `None` for a file the prefilter skipped.
pub(super) fn json_file(catalogue: &Catalogue, r: &FileResult) -> Option<serde_json::Value> {
    use serde_json::json;
    let id = |c: usize| catalogue.entries[c].id.clone();
    Some(match &r.outcome {
        Err(e) => json!({"path": display(&r.path), "error": e.to_string()}),
        Ok(None) => return None,
        Ok(Some((_, o))) => json!({
            "path": display(&r.path),
            "changed": o.fixed.is_some(),
            "findings": o.findings.iter().map(|f| json!({
                "codemod": id(f.codemod),
                "line": f.line,
                "col": f.col,
                "note": f.note,
                "fix": match f.fixability {
                    Fixability::None => "none",
                    Fixability::Safe => "available",
                    Fixability::Unsafe => "unsafe",
                },
                "construct_id": f.construct_id,
            })).collect::<Vec<_>>(),
            "applied": o.applied.iter().map(|a| json!({
                "codemod": id(a.codemod),
                "line": a.line,
                "construct_id": a.construct_id,
            })).collect::<Vec<_>>(),
        }),
    })
}
