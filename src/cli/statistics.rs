//! `--statistics`: how many findings each codemod has, most first.

use super::{FileResult, Mode};
use crate::catalogue::Catalogue;
use crate::engine::Fixability;
use serde_json::{Value, json};
use std::io::Write;

pub(super) struct Stat {
    codemod: usize,
    count: usize,
    /// Findings this run's flags fix.
    fixable: usize,
    /// Findings fixed with `--unsafe-fixes` added.
    unsafe_fixable: usize,
}

/// The findings of the run per codemod, counted file by file. A check or a
/// dry run counts what it found; `--write` counts what is left.
#[derive(Default)]
pub(super) struct Tally(Vec<Stat>);

impl Tally {
    pub(super) fn add(&mut self, r: &FileResult, mode: Mode) {
        let Ok(Some((_, o))) = &r.outcome else {
            return;
        };
        let found = match mode {
            Mode::Write => &o.remaining,
            Mode::Check | Mode::DryRun => &o.findings,
        };
        for f in found {
            if self.0.len() <= f.codemod {
                self.0.resize_with(f.codemod + 1, || Stat {
                    codemod: 0,
                    count: 0,
                    fixable: 0,
                    unsafe_fixable: 0,
                });
            }
            let s = &mut self.0[f.codemod];
            s.codemod = f.codemod;
            s.count += 1;
            s.fixable += usize::from(f.fixability == Fixability::Safe);
            s.unsafe_fixable += usize::from(f.fixability == Fixability::Unsafe);
        }
    }

    /// Most first, ties by id.
    pub(super) fn sorted(self) -> Vec<Stat> {
        let mut stats: Vec<Stat> = self.0.into_iter().filter(|s| s.count > 0).collect();
        // The catalogue is sorted by id, so its index orders ties by id.
        stats.sort_by_key(|s| (std::cmp::Reverse(s.count), s.codemod));
        stats
    }
}

/// One line per codemod: count, id, `[*]` when this run's flags fix some of
/// them (`[-]` when `--unsafe-fixes` would), summary.
pub(super) fn print(out: &mut impl Write, catalogue: &Catalogue, stats: &[Stat]) {
    let count_width = stats
        .iter()
        .map(|s| s.count.to_string().len())
        .max()
        .unwrap_or(1);
    let id_width = stats
        .iter()
        .map(|s| catalogue.entries[s.codemod].id.len())
        .max()
        .unwrap_or(0);
    for s in stats {
        let entry = &catalogue.entries[s.codemod];
        let marker = if s.fixable > 0 {
            "[*]"
        } else if s.unsafe_fixable > 0 {
            "[-]"
        } else {
            "   "
        };
        let line = format!(
            "{:>count_width$} {:id_width$} {marker} {}",
            s.count, entry.id, entry.summary
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

pub(super) fn to_json(catalogue: &Catalogue, stats: &[Stat]) -> Value {
    stats
        .iter()
        .map(|s| {
            json!({
                "codemod": catalogue.entries[s.codemod].id,
                "count": s.count,
                "fixable": s.fixable,
                "unsafe_fixable": s.unsafe_fixable,
                "summary": catalogue.entries[s.codemod].summary,
            })
        })
        .collect()
}
