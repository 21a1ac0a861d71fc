//! `--output-format sarif`: one SARIF 2.1.0 log on stdout, for code scanning
//! services. Written with serde_json; `tests/output.rs` validates it against
//! the OASIS schema.
//!
//! Fixes: the engine applies fixes in passes (a later pass sees what earlier
//! ones wrote, and lines may be re-wrapped), so a single finding's edit is
//! not known in the input's terms. What is exact is the file's whole change,
//! so each fixed finding carries that: one fix whose replacements are the
//! line hunks between the file on disk and the fixed text. Applying any one
//! result's fix gives the same fixed file as `--write`.

use super::report::display;
use super::{FileResult, Mode};
use crate::catalogue::Catalogue;
use crate::engine::{Fixability, Reported};
use crate::source::{Lines, SourceText};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Where a code scanning service links the tool's name to.
const INFORMATION_URI: &str = "https://github.com/cdkfix/cdkfix#readme";
/// Relative artifact URIs are relative to this base, the folder cdkfix ran in.
const SRCROOT: &str = "%SRCROOT%";

/// The log, written as it goes: a header (tool and rules), each file's
/// results as the file is done, a footer (the invocation, with the errors,
/// the only part kept until the end).
pub(super) struct Sarif<'c> {
    catalogue: &'c Catalogue,
    mode: Mode,
    /// Whether a result was written yet.
    any: bool,
    notifications: Vec<Value>,
}

impl<'c> Sarif<'c> {
    pub(super) fn new(catalogue: &'c Catalogue, mode: Mode) -> Self {
        Sarif {
            catalogue,
            mode,
            any: false,
            notifications: Vec::new(),
        }
    }

    /// An error that is not about one file (a missing path, a bad
    /// configuration).
    pub(super) fn run_error(&mut self, message: &str) {
        self.notifications
            .push(json!({"level": "error", "message": {"text": message}}));
    }

    /// One file's findings (with --write, those left after the fixes, at the
    /// lines of the written file), or its error.
    pub(super) fn file(&mut self, out: &mut impl Write, r: &FileResult) {
        let location = artifact_location(&r.path);
        let (src, o) = match &r.outcome {
            Ok(None) => return,
            Ok(Some(found)) => found,
            Err(e) => {
                self.notifications.push(json!({
                    "level": "error",
                    "message": {"text": format!("{}: {e}", display(&r.path))},
                    "locations": [{"physicalLocation": {"artifactLocation": location}}],
                }));
                return;
            }
        };
        let (shown, fix) = match (self.mode, &o.fixed) {
            (Mode::Write, _) => (&o.remaining, None),
            (_, None) => (&o.findings, None),
            (_, Some(fixed)) => (&o.findings, Some(self.fix(src, fixed, o, &location))),
        };
        // A finding carries the fix when a fix of its codemod was applied at
        // its line.
        let mut applied: HashMap<(usize, usize), usize> = HashMap::new();
        for a in &o.applied {
            *applied.entry((a.codemod, a.line)).or_default() += 1;
        }
        for f in shown {
            let fixed_here = applied
                .get_mut(&(f.codemod, f.line))
                .filter(|n| **n > 0)
                .map(|n| *n -= 1)
                .is_some();
            let mut result = self.result(f, &location);
            if let (true, Some(fix)) = (fixed_here, &fix) {
                result["fixes"] = json!([fix]);
            }
            let result = serde_json::to_string_pretty(&result).unwrap_or_default();
            let _ = write!(out, "{}\n        ", if self.any { "," } else { "" });
            let _ = out.write_all(result.replace('\n', "\n        ").as_bytes());
            self.any = true;
        }
    }

    fn result(&self, f: &Reported, location: &Value) -> Value {
        let entry = &self.catalogue.entries[f.codemod];
        let text = match &f.note {
            Some(note) => format!("{} ({note})", entry.summary),
            None => entry.summary.clone(),
        };
        let fix = match f.fixability {
            Fixability::None => "none",
            Fixability::Safe => "available",
            Fixability::Unsafe => "unsafe",
        };
        let mut properties = json!({"fix": fix});
        if let Some(id) = &f.construct_id {
            properties["constructId"] = json!(id);
        }
        json!({
            "ruleId": entry.id,
            "ruleIndex": f.codemod,
            "level": "warning",
            "message": {"text": text},
            "locations": [{"physicalLocation": {
                "artifactLocation": location,
                "region": {"startLine": f.line, "startColumn": f.col},
            }}],
            "properties": properties,
        })
    }

    /// The file's whole change as one SARIF fix.
    fn fix(
        &self,
        src: &SourceText,
        fixed: &str,
        o: &crate::engine::Outcome,
        location: &Value,
    ) -> Value {
        let mut ids: Vec<&str> = o
            .applied
            .iter()
            .map(|a| self.catalogue.entries[a.codemod].id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        json!({
            "description": {"text": format!(
                "cdkfix's fixes for this file, as `cdkfix --write` applies them together ({})",
                ids.join(", ")
            )},
            "artifactChanges": [{
                "artifactLocation": location,
                "replacements": replacements(&src.text, fixed),
            }],
        })
    }

    /// Everything before the results.
    pub(super) fn head(&self, out: &mut impl Write) {
        let rules: Vec<Value> = self
            .catalogue
            .entries
            .iter()
            .map(|e| {
                let tags: Vec<&String> = e.cdk_nag.iter().chain(&e.checkov).collect();
                json!({
                    "id": e.id,
                    "shortDescription": {"text": e.summary},
                    "fullDescription": {"text": e.docs.what.trim()},
                    "help": {"text": e.explain(), "markdown": e.explain()},
                    "defaultConfiguration": {"level": "warning"},
                    "properties": {"tags": tags, "fix": e.fix_label()},
                })
            })
            .collect();
        let version = env!("CARGO_PKG_VERSION");
        let mut run = json!({
            "tool": {"driver": {
                "name": "cdkfix",
                "version": version,
                "semanticVersion": version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            // Columns count characters, as in cdkfix's other formats.
            "columnKind": "unicodeCodePoints",
        });
        if let Some(cwd) = std::env::current_dir().ok().and_then(|d| file_uri(&d)) {
            run["originalUriBaseIds"] = json!({SRCROOT: {"uri": format!("{cwd}/")}});
        }
        // The run object is written open, its results to follow.
        let run = serde_json::to_string_pretty(&run).unwrap_or_default();
        let run = run
            .strip_suffix("\n}")
            .unwrap_or(&run)
            .replace('\n', "\n    ");
        let _ = write!(
            out,
            "{{\n  \"$schema\": \"{SCHEMA}\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {run},\n      \"results\": ["
        );
    }

    pub(super) fn finish(self, out: &mut impl Write) {
        let invocations = json!([{
            "executionSuccessful": self.notifications.is_empty(),
            "toolExecutionNotifications": self.notifications,
        }]);
        let invocations = serde_json::to_string_pretty(&invocations).unwrap_or_default();
        let _ = writeln!(
            out,
            "{}],\n      \"invocations\": {}\n    }}\n  ]\n}}",
            if self.any { "\n      " } else { "" },
            invocations.replace('\n', "\n      ")
        );
    }
}

/// The line hunks turning `old` into `new`, each a region of whole lines of
/// `old` (from the start of its first line to the start of the line after
/// its last, so newlines are included; an empty region for an insertion)
/// and the lines written there. Regions are in `old`'s terms, in order, and
/// never overlap.
fn replacements(old: &str, new: &str) -> Vec<Value> {
    let diff = similar::TextDiff::from_lines(old, new);
    let (olds, news) = (diff.old_slices(), diff.new_slices());
    let mut offsets = Vec::with_capacity(olds.len() + 1);
    offsets.push(0);
    for line in olds {
        offsets.push(offsets.last().copied().unwrap_or(0) + line.len());
    }
    let lines = Lines::new(old);
    let mut out = Vec::new();
    for op in diff.ops() {
        let (tag, old_lines, new_lines) = op.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            continue;
        }
        let (start_line, start_col) = lines.line_col(old, offsets[old_lines.start]);
        let (end_line, end_col) = lines.line_col(old, offsets[old_lines.end]);
        let mut replacement = json!({"deletedRegion": {
            "startLine": start_line,
            "startColumn": start_col,
            "endLine": end_line,
            "endColumn": end_col,
        }});
        if !new_lines.is_empty() {
            replacement["insertedContent"] = json!({"text": news[new_lines].concat()});
        }
        out.push(replacement);
    }
    out
}

fn artifact_location(path: &Path) -> Value {
    if let Some(uri) = file_uri(path) {
        return json!({"uri": uri});
    }
    json!({"uri": encode(&display(path)), "uriBaseId": SRCROOT})
}

/// `file:///...` for an absolute path.
fn file_uri(path: &Path) -> Option<String> {
    if !path.is_absolute() {
        return None;
    }
    let shown = display(path);
    // A Windows path (`C:/x`) gets the slash a URI's path starts with.
    let slash = if shown.starts_with('/') { "" } else { "/" };
    Some(format!("file://{slash}{}", encode(&shown)))
}

/// Percent-encode what may not stand in a URI path (RFC 3986), `:` included
/// so a relative reference never reads as a scheme.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Apply replacements the way a SARIF consumer does: regions in the
    /// original's terms, in order.
    fn apply(old: &str, replacements: &[Value]) -> String {
        let lines = Lines::new(old);
        let offset = |line: u64, col: u64| {
            (0..old.len() + 1)
                .find(|&at| {
                    old.is_char_boundary(at)
                        && lines.line_col(old, at) == (line as usize, col as usize)
                })
                .unwrap()
        };
        let mut out = String::new();
        let mut pos = 0;
        for r in replacements {
            let d = &r["deletedRegion"];
            let n = |k: &str| d[k].as_u64().unwrap();
            let (start, end) = (
                offset(n("startLine"), n("startColumn")),
                offset(n("endLine"), n("endColumn")),
            );
            out.push_str(&old[pos..start]);
            out.push_str(r["insertedContent"]["text"].as_str().unwrap_or(""));
            pos = end;
        }
        out.push_str(&old[pos..]);
        out
    }

    #[test]
    fn replacements_rebuild_the_new_text() {
        let cases = [
            ("a\nb\nc\n", "a\nB\nc\n"),
            ("a\nb\nc\n", "a\nb\nc\nd\n"),
            ("a\nb\nc", "a\nb\nC"),
            ("a\nb\nc\n", "x\na\nc\n"),
            ("a\r\nb\r\n", "a\r\nb2\r\nb3\r\n"),
            ("é\nß\n", "é\n\n"),
        ];
        for (old, new) in cases {
            let r = replacements(old, new);
            assert!(!r.is_empty());
            assert_eq!(apply(old, &r), new, "{old:?} -> {new:?}: {r:?}");
        }
        assert!(replacements("same\n", "same\n").is_empty());
    }

    #[test]
    fn uris_are_encoded() {
        assert_eq!(encode("app/my stack.py"), "app/my%20stack.py");
        assert_eq!(encode("a:b/c%.py"), "a%3Ab/c%25.py");
        assert_eq!(encode("é.py"), "%C3%A9.py");
        assert_eq!(
            artifact_location(Path::new("./app/x.py")),
            json!({"uri": "app/x.py", "uriBaseId": SRCROOT})
        );
    }
}
