//! The progress line of long runs: files done out of the total, and in a
//! batch the repository being worked on, on stderr.

use super::OutputFormat;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Below this many files a run is over before a progress line helps.
const MIN_FILES: usize = 200;

/// Whether a run shows the progress line: only for a person watching a
/// terminal (not a pipe, not CI's log) and only with text output, which
/// a progress line on stderr cannot corrupt for a program reading it.
pub(super) fn wanted(stderr_is_tty: bool, ci: bool, format: OutputFormat, files: usize) -> bool {
    stderr_is_tty && !ci && format == OutputFormat::Text && files > MIN_FILES
}

pub(super) struct Progress {
    bar: Option<ProgressBar>,
    /// The root last shown, so the message changes only when it must.
    shown_root: AtomicUsize,
}

impl Progress {
    /// A progress line over `files` files, where the run allows one (see
    /// [`wanted`]); a hidden one otherwise.
    pub(super) fn new(files: usize, format: OutputFormat) -> Progress {
        let show = wanted(
            std::io::stderr().is_terminal(),
            std::env::var_os("CI").is_some(),
            format,
            files,
        );
        let bar = show.then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(files as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{pos}/{len} files {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress {
            bar,
            shown_root: AtomicUsize::new(usize::MAX),
        }
    }

    /// One more file done; `root` is the path given it came from, shown
    /// when the run has several.
    pub(super) fn done(&self, root: usize, roots: &[impl AsRef<Path>]) {
        let Some(bar) = &self.bar else { return };
        if roots.len() > 1 && self.shown_root.swap(root, Ordering::Relaxed) != root {
            bar.set_message(roots[root].as_ref().display().to_string());
        }
        bar.inc(1);
    }

    /// Remove the line before the output is printed.
    /// Run `f` (which prints) with the line hidden, so output never mixes
    /// with it.
    pub(super) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_only_to_a_person_at_a_terminal_on_long_text_runs() {
        assert!(wanted(true, false, OutputFormat::Text, 201));
        assert!(!wanted(true, false, OutputFormat::Text, 200), "short run");
        assert!(!wanted(false, false, OutputFormat::Text, 5000), "a pipe");
        assert!(!wanted(true, true, OutputFormat::Text, 5000), "CI");
        for format in [
            OutputFormat::Json,
            OutputFormat::Sarif,
            OutputFormat::Github,
        ] {
            assert!(!wanted(true, false, format, 5000), "{format:?}");
        }
    }
}
