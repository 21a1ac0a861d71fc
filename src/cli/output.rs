//! Where each file's result goes as soon as it and every file before it are
//! done: text, GitHub annotations, JSON entries and SARIF results are printed
//! at once; `--add-suppressions` writes its comments. Totals are counted as files
//! pass, so nothing grows with the number of files but those summaries.

use super::add_suppressions::Adder;
use super::report::{ERR, Totals, counted, json_file, text_file, text_footer};
use super::sarif::Sarif;
use super::statistics::{self, Tally};
use super::{FileResult, Mode, OutputFormat, github};
use crate::catalogue::Catalogue;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

enum Format<'c> {
    Text,
    /// Whether a file entry was printed yet.
    Json(bool),
    Sarif(Sarif<'c>),
    Github,
    AddSuppressions(Adder),
}

pub(super) struct Output<'c> {
    catalogue: &'c Catalogue,
    mode: Mode,
    format: Format<'c>,
    statistics: Option<Tally>,
    /// Per path given.
    totals: Vec<Totals>,
}

impl<'c> Output<'c> {
    pub(super) fn new(
        catalogue: &'c Catalogue,
        mode: Mode,
        format: OutputFormat,
        add_suppressions: bool,
        statistics: bool,
        roots: usize,
    ) -> Self {
        let format = match format {
            _ if add_suppressions => Format::AddSuppressions(Adder::default()),
            OutputFormat::Text => Format::Text,
            OutputFormat::Json => Format::Json(false),
            OutputFormat::Sarif => Format::Sarif(Sarif::new(catalogue, mode)),
            OutputFormat::Github => Format::Github,
        };
        Output {
            catalogue,
            mode,
            format,
            statistics: statistics.then(Tally::default),
            totals: (0..roots).map(|_| Totals::default()).collect(),
        }
    }

    /// Errors that are not about one file, and notes, before any file.
    pub(super) fn start(
        &mut self,
        out: &mut impl Write,
        err: &mut impl Write,
        errors: &[String],
        notes: &[String],
    ) {
        match &mut self.format {
            Format::AddSuppressions(adder) => adder.run_errors(err, errors),
            Format::Github => github::run_errors(out, errors),
            format => {
                match format {
                    Format::Sarif(log) => {
                        errors.iter().for_each(|e| log.run_error(e));
                        log.head(out);
                    }
                    // The document is printed as it goes: its errors (known
                    // before any file), then each file's entry.
                    Format::Json(_) => {
                        let list = serde_json::to_string(errors).unwrap_or_default();
                        let _ = write!(out, "{{\n  \"errors\": {list},\n  \"files\": [");
                    }
                    _ => {}
                }
                // Colour only in text output, whatever the terminal.
                let style = match format {
                    Format::Text => ERR,
                    _ => anstyle::Style::new(),
                };
                for e in errors {
                    let _ = writeln!(err, "{}error{}: {e}", style.render(), style.render_reset());
                }
            }
        }
        for n in notes {
            let _ = writeln!(err, "note: {n}");
        }
    }

    pub(super) fn file(&mut self, out: &mut impl Write, err: &mut impl Write, r: &FileResult) {
        self.totals[r.root].add(r);
        if let Some(tally) = &mut self.statistics {
            tally.add(r, self.mode);
        }
        let details = self.statistics.is_none();
        match &mut self.format {
            Format::Text => text_file(out, err, self.catalogue, r, self.mode, details),
            Format::Json(any) => {
                if let Some(entry) = json_file(self.catalogue, r) {
                    let entry = serde_json::to_string_pretty(&entry).unwrap_or_default();
                    let _ = write!(out, "{}\n    ", if *any { "," } else { "" });
                    let _ = out.write_all(entry.replace('\n', "\n    ").as_bytes());
                    *any = true;
                }
            }
            Format::Sarif(log) => log.file(out, r),
            Format::Github => github::file(out, self.catalogue, r, self.mode),
            Format::AddSuppressions(adder) => adder.file(err, self.catalogue, r),
        }
    }

    /// The summary, the document of the formats that print one, and the exit
    /// code. `root_errors` are the errors per path given that are not about
    /// one file.
    pub(super) fn finish(
        self,
        out: &mut impl Write,
        err: &mut impl Write,
        errors: &[String],
        roots: &[PathBuf],
        root_errors: &[usize],
    ) -> ExitCode {
        let mut t = Totals::default();
        self.totals.iter().for_each(|r| t.merge(r));
        let stats = self.statistics.map(Tally::sorted);
        match self.format {
            Format::AddSuppressions(adder) => return adder.finish(err),
            Format::Text => {
                if let Some(stats) = &stats {
                    statistics::print(out, self.catalogue, stats);
                }
                text_footer(err, &t, self.mode);
                batch_summary(err, &self.totals, self.mode, roots, root_errors);
            }
            Format::Json(any) => {
                let _ = write!(out, "{}]", if any { "\n  " } else { "" });
                if let Some(stats) = &stats {
                    let stats = statistics::to_json(self.catalogue, stats);
                    let stats = serde_json::to_string_pretty(&stats).unwrap_or_default();
                    let _ = write!(out, ",\n  \"statistics\": {}", stats.replace('\n', "\n  "));
                }
                let _ = writeln!(out, "\n}}");
            }
            Format::Sarif(log) => log.finish(out),
            Format::Github => {}
        }
        if !errors.is_empty() || t.errors > 0 {
            ExitCode::from(2)
        } else if t.findings > 0 || t.changed > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// A summary per repository in a batch; files named one by one (as a
/// pre-commit hook passes them) get none.
fn batch_summary(
    err: &mut impl Write,
    totals: &[Totals],
    mode: Mode,
    roots: &[PathBuf],
    root_errors: &[usize],
) {
    let folders: Vec<usize> = (0..roots.len()).filter(|&i| roots[i].is_dir()).collect();
    if folders.len() < 2 {
        return;
    }
    for i in folders {
        let t = &totals[i];
        // A check fixes nothing: the files `--write` would change.
        let fixed = match mode {
            Mode::Check => t.fixable_files,
            _ => t.changed,
        };
        let _ = writeln!(
            err,
            "{}: {}, {}, {} {}, {}",
            roots[i].display(),
            counted(t.files, "file"),
            counted(t.findings, "finding"),
            counted(fixed, "file"),
            if mode == Mode::Write {
                "fixed"
            } else {
                "to fix"
            },
            counted(t.errors + root_errors[i], "error"),
        );
    }
}
