//! The text of one Python file, and byte-range edits on it.

use std::ops::Range;

/// A Python source file as cdkfix sees it: UTF-8 text without its BOM, plus the
/// facts needed to write it back byte-for-byte in the same style.
#[derive(Debug, Clone)]
pub struct SourceText {
    pub text: String,
    pub bom: bool,
    /// The newline sequence inserted code uses: the file's own.
    pub newline: &'static str,
}

impl SourceText {
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, std::str::Utf8Error> {
        let bom = bytes.starts_with(b"\xEF\xBB\xBF");
        let body = if bom { bytes[3..].to_vec() } else { bytes };
        let text = match String::from_utf8(body) {
            Ok(t) => t,
            Err(e) => return Err(e.utf8_error()),
        };
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        Ok(SourceText { text, bom, newline })
    }

    pub fn from_text(text: &str) -> Self {
        Self::from_bytes(text.as_bytes().to_vec()).expect("a &str is UTF-8")
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.text.len() + 3);
        if self.bom {
            out.extend_from_slice(b"\xEF\xBB\xBF");
        }
        out.extend_from_slice(self.text.as_bytes());
        out
    }
}

/// Replace `range` of the text with `text`. An empty range is an insertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
    /// The names of the list items this insertion appends (keyword names, or
    /// the items' text), when it appends them in a way that stays valid with
    /// other appends at the same offset written after it. Empty otherwise.
    pub appends: Vec<String>,
}

impl Edit {
    pub fn insert(at: usize, text: impl Into<String>) -> Self {
        Self::replace(at..at, text)
    }
    pub fn replace(range: Range<usize>, text: impl Into<String>) -> Self {
        Edit {
            range,
            text: text.into(),
            appends: Vec::new(),
        }
    }
    pub fn delete(range: Range<usize>) -> Self {
        Self::replace(range, "")
    }

    /// Mark an insertion as appending list items named `names` (see
    /// [`Edit::appends`]).
    pub fn appending(mut self, names: Vec<String>) -> Self {
        debug_assert!(self.range.is_empty(), "only insertions append");
        self.appends = names;
        self
    }

    /// Two edits conflict when they touch the same bytes or meet at one point:
    /// two insertions at the same offset have no defined order, so the second
    /// waits for the next pass. The exception is two appends of different
    /// items to one list: they compose in the order they were taken, which
    /// saves a re-parse per added argument (a function missing five keyword
    /// arguments is fixed in one pass, not five).
    pub fn conflicts(&self, other: &Edit) -> bool {
        let composes = self.range.is_empty()
            && self.range == other.range
            && !self.appends.is_empty()
            && !other.appends.is_empty()
            && !self.appends.iter().any(|n| other.appends.contains(n));
        !composes && self.range.start <= other.range.end && other.range.start <= self.range.end
    }
}

/// Apply edits that are known not to conflict. Insertions at one offset
/// (composing appends) are written in the order given.
pub fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    // Stable: the order of composing appends is the order they were taken.
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut pos = 0;
    for e in sorted {
        debug_assert!(e.range.start >= pos, "overlapping edits");
        out.push_str(&text[pos..e.range.start]);
        out.push_str(&e.text);
        pos = e.range.end;
    }
    out.push_str(&text[pos..]);
    out
}

/// Start of the line holding byte `at`.
pub fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// End of the line holding byte `at`, before its newline (and before a `\r`).
pub fn line_end(text: &str, at: usize) -> usize {
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    if end > at && text.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

/// Whether only whitespace comes before byte `at` on its line.
pub fn starts_line(text: &str, at: usize) -> bool {
    text[line_start(text, at)..at].trim().is_empty()
}

/// The whitespace that starts the line holding byte `at`.
pub fn indent_of_line(text: &str, at: usize) -> &str {
    let start = line_start(text, at);
    let rest = &text[start..];
    let len = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    &rest[..len]
}

/// Where each line starts, for turning many offsets of one text into lines
/// without rescanning it from the top each time.
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Self {
        // Sized first: the iterator gives no length, and growing by pushes
        // cost more than a second count.
        let newlines = memchr::memchr_iter(b'\n', text.as_bytes());
        let mut starts = Vec::with_capacity(newlines.count() + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Lines { starts }
    }

    /// 1-based line of byte `at`.
    pub fn line(&self, at: usize) -> usize {
        self.starts.partition_point(|&s| s <= at)
    }

    /// Where 1-based line `line` starts, if the text has it.
    pub fn start(&self, line: usize) -> Option<usize> {
        self.starts.get(line.checked_sub(1)?).copied()
    }

    /// 1-based line and character column of byte `at` of `text` (the text
    /// these lines were made from).
    pub fn line_col(&self, text: &str, at: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= at);
        let start = self.starts[line - 1];
        (line, text[start..at].chars().count() + 1)
    }
}

/// 1-based line and character column of byte `at`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let start = line_start(text, at);
    let line = text[..start].matches('\n').count() + 1;
    (line, text[start..at].chars().count() + 1)
}

/// A line diff of two texts that live as long as each other.
pub type LineDiff<'a> = similar::TextDiff<'a, 'a, 'a, str>;

/// Where a place in the fixed text is in the file on disk.
#[derive(Debug, PartialEq, Eq)]
pub enum Origin {
    /// This line and column of the file.
    Disk(usize, usize),
    /// In code the fix adds or rewrites at this line of the file.
    Written(usize),
}

/// The origin of 1-based `line` and character column `col` of the diff's new
/// side.
pub fn origin(diff: &LineDiff<'_>, line: usize, col: usize) -> Origin {
    use similar::DiffTag;
    let at = line.saturating_sub(1);
    let (olds, news) = (diff.old_slices(), diff.new_slices());
    for op in diff.ops() {
        let (tag, old, new) = op.as_tag_tuple();
        if !new.contains(&at) {
            continue;
        }
        let k = at - new.start;
        return match tag {
            DiffTag::Equal => Origin::Disk(old.start + k + 1, col),
            DiffTag::Replace => {
                let near = old.start + k.min(old.len() - 1);
                let nearest = |found: &dyn Fn(&str) -> Option<usize>| {
                    old.clone()
                        .filter_map(|i| found(olds[i]).map(|c| (i, c)))
                        .min_by_key(|(i, _)| i.abs_diff(near))
                };
                // A rewritten line that starts the same up to and including
                // the word at the finding (an argument added after it) is that
                // line; so is one that ends the same from the finding on (a
                // value replaced before it). The nearest when several match.
                let key = |s: &str| {
                    let mut chars = s.chars();
                    let mut key: String = chars.by_ref().take(col.saturating_sub(1)).collect();
                    key.extend(chars.take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '.')));
                    key
                };
                let wanted = key(news[at]);
                let tail: String = news[at].chars().skip(col.saturating_sub(1)).collect();
                let same_start = |s: &str| (key(s) == wanted).then_some(col);
                let same_end = |s: &str| {
                    (tail.trim().len() >= 3 && s.ends_with(&tail))
                        .then(|| s[..s.len() - tail.len()].chars().count() + 1)
                };
                match nearest(&same_start).or_else(|| nearest(&same_end)) {
                    Some((i, c)) => Origin::Disk(i + 1, c),
                    None => Origin::Written(near + 1),
                }
            }
            // Added after the previous line of the file.
            _ => Origin::Written(old.start.max(1)),
        };
    }
    // Past the last line (the end of a file without a final newline).
    Origin::Disk((at + olds.len()).saturating_sub(news.len()) + 1, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_lines_map_back_to_the_file() {
        use Origin::{Disk, Written};
        let old = "a\nf(x)\nb\nc\n";
        let new = "import y\na\nf(x, k=1)\nnew()\nb\nc";
        let diff = similar::TextDiff::from_lines(old, new);
        let at = |line, col| origin(&diff, line, col);
        assert_eq!(at(1, 1), Written(1), "an added import");
        assert_eq!(at(2, 1), Disk(1, 1));
        assert_eq!(at(3, 1), Disk(2, 1), "unchanged up to the finding");
        assert_eq!(at(3, 6), Written(2), "changed before the finding");
        assert_eq!(at(4, 1), Written(2), "a line the fix adds");
        assert_eq!(at(5, 1), Disk(3, 1));
        assert_eq!(at(6, 1), Disk(4, 1), "the last line lost its newline");
        assert_eq!(at(7, 1), Disk(5, 1));
        // Lines added inside a rewritten block: each finding is matched by
        // its word, not by its position in the block.
        let old = "    a(x)\n    b(y)\nz\n";
        let new = "    env = 1\n    a(x, k=env)\n    b(y, k=env)\nz\n";
        let diff = similar::TextDiff::from_lines(old, new);
        let at = |line, col| origin(&diff, line, col);
        assert_eq!(at(1, 5), Written(1));
        assert_eq!(at(2, 5), Disk(1, 5));
        assert_eq!(at(3, 5), Disk(2, 5));
        assert_eq!(at(4, 1), Disk(3, 1));
        // A value replaced before the finding: matched by what follows it.
        let old = "p(actions=[\"s3:*\"], resources=[\"*\"])\n";
        let new = "p(actions=[\"s3:GetObject\", \"s3:PutObject\"], resources=[\"*\"])\n";
        let diff = similar::TextDiff::from_lines(old, new);
        let col = new.find("[\"*\"]").unwrap() + 2;
        assert_eq!(
            origin(&diff, 1, col),
            Disk(1, old.find("[\"*\"]").unwrap() + 2)
        );
    }

    #[test]
    fn bom_and_crlf_round_trip() {
        let bytes = b"\xEF\xBB\xBFimport aws_cdk\r\nx = 1\r\n".to_vec();
        let src = SourceText::from_bytes(bytes.clone()).unwrap();
        assert!(src.bom);
        assert_eq!(src.newline, "\r\n");
        assert!(src.text.starts_with("import"));
        assert_eq!(src.to_bytes(), bytes);
    }

    #[test]
    fn edits_apply_in_order() {
        let out = apply_edits(
            "abcdef",
            &[
                Edit::replace(4..5, "E"),
                Edit::insert(0, ">"),
                Edit::delete(1..2),
            ],
        );
        assert_eq!(out, ">acdEf");
    }

    #[test]
    fn conflicts_include_touching_insertions() {
        assert!(Edit::insert(3, "a").conflicts(&Edit::insert(3, "b")));
        assert!(Edit::replace(1..3, "a").conflicts(&Edit::replace(2..4, "b")));
        assert!(!Edit::replace(1..3, "a").conflicts(&Edit::replace(4..5, "b")));
    }

    #[test]
    fn appends_of_different_items_compose() {
        let a = Edit::insert(3, ", a=1").appending(vec!["a".into()]);
        let b = Edit::insert(3, ", b=2").appending(vec!["b".into()]);
        let a_again = Edit::insert(3, ", a=2").appending(vec!["a".into()]);
        assert!(!a.conflicts(&b));
        assert!(a.conflicts(&a_again), "the same keyword twice must wait");
        assert!(
            a.conflicts(&Edit::insert(3, "x")),
            "a plain insertion has no order"
        );
        assert!(a.conflicts(&Edit::replace(3..4, "y")));
        assert_eq!(apply_edits("f(x)", &[a, b]), "f(x, a=1, b=2)");
    }

    #[test]
    fn line_helpers() {
        let t = "a\r\n\tbé = 1\r\n";
        assert_eq!(line_end(t, 0), 1);
        assert_eq!(indent_of_line(t, 5), "\t");
        assert_eq!(line_col(t, t.find('=').unwrap()), (2, 5));
        let lines = Lines::new(t);
        for at in 0..t.len() {
            if t.is_char_boundary(at) {
                assert_eq!(lines.line_col(t, at), line_col(t, at), "at {at}");
            }
        }
    }
}
