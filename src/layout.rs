//! Keeping the lines cdkfix writes readable: a line that a fix made longer
//! than the line length (an S3 bucket call that gained three arguments, a
//! `"dynamodb:*"` expanded into twenty actions, a new `StageOptions(...)`)
//! gets its outermost one-line bracket exploded, one item per line with a
//! trailing comma, the way black and ruff format it. Lines the file already
//! had over the limit are its own style and are left alone.

use crate::pyast::{ListView, Node, parse};
use crate::source::{Edit, apply_edits, indent_of_line, line_end, line_start};
use std::ops::Range;

/// How deep one line is exploded: a call, a value in it, a list in that.
const MAX_DEPTH: usize = 4;

/// Node kinds whose brackets hold a comma-separated list that may be split
/// over lines with a trailing comma added (a parenthesised expression or a
/// one-element tuple would change meaning; a generator argument cannot take
/// the comma).
const SPLITTABLE: &[&str] = &["argument_list", "list", "dictionary", "set"];

/// Columns, a tab counting as four.
fn width(line: &str) -> usize {
    line.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum()
}

/// The lines (by start offset in `new`) that the edits made longer than
/// `limit` when they were not already: `spans` pairs each edit's start in
/// the old text with where its replacement landed in the new one.
pub fn lines_made_long(
    old: &str,
    new: &str,
    spans: &[(usize, Range<usize>)],
    limit: usize,
) -> Vec<usize> {
    let mut lines = Vec::new();
    for (old_at, range) in spans {
        let old_start = line_start(old, *old_at);
        let was = width(&old[old_start..line_end(old, *old_at)]);
        let mut at = line_start(new, range.start);
        while at <= range.end {
            let end = line_end(new, at);
            let now = width(&new[at..end]);
            // A line the fix wrote whole (but for indentation) is new; one
            // that was long already is the file's style, unless the fix made
            // it much longer (a new argument, not a renamed value).
            let whole =
                (at >= range.start || new[at..range.start].trim().is_empty()) && end <= range.end;
            let made_long = whole || was <= limit || now >= was + limit / 4;
            if now > limit && made_long && !lines.contains(&at) {
                lines.push(at);
            }
            let Some(next) = new[end..].find('\n') else {
                break;
            };
            at = end + next + 1;
        }
    }
    lines.sort_unstable();
    lines
}

/// The file's indentation step: how much deeper the first block of the
/// file (a class or function body) is indented than the line that opens it;
/// four spaces when there is none. Read from the tree, so that the inside of
/// a string (embedded JavaScript, say) does not count.
pub fn indent_unit(text: &str, module: &Node) -> String {
    // Top-level statements only (a decorated one through its definition):
    // the first indented block is almost always one of theirs.
    let block = module.children().find_map(|stmt| {
        let stmt = match stmt.kind().as_ref() {
            "decorated_definition" => stmt.field("definition")?,
            _ => stmt,
        };
        stmt.field("body")
            .or_else(|| stmt.field("consequence"))
            .filter(|b| b.kind() == "block")
            .filter(|b| {
                b.child(0)
                    .is_some_and(|c| crate::source::starts_line(text, c.range().start))
            })
            .map(|b| (stmt.range().start, b))
    });
    if let Some((opener, block)) = block {
        let inner = indent_of_line(text, block.range().start);
        let outer = indent_of_line(text, opener);
        if let Some(unit) = inner.strip_prefix(outer).filter(|u| !u.is_empty()) {
            return unit.to_string();
        }
    }
    "    ".to_string()
}

/// The items of a splittable bracket node.
fn bracket_items(node: &Node) -> Option<ListView> {
    if !SPLITTABLE.contains(&node.kind().as_ref()) {
        return None;
    }
    let mut list = ListView::default();
    let children: Vec<Node> = node.children().collect();
    let (first, last) = (children.first()?, children.last()?);
    list.open_end = Some(first.range().end);
    list.close = Some(last.range().start);
    for child in &children[1..children.len() - 1] {
        match child.kind().as_ref() {
            "," => list.push_comma(child.range()),
            "comment" => return None,
            // `f(x for x in y)` holds one generator item without a comma,
            // and it cannot take a trailing one.
            "generator_expression" => return None,
            _ if child.is_named() => list.push_item(child.range()),
            _ => {}
        }
    }
    (!list.items.is_empty()).then_some(list)
}

/// Rewrite `text` so that each of `lines` (start offsets) that is longer
/// than `limit` is exploded at its outermost one-line bracket, and the
/// lines that produces likewise, up to [`MAX_DEPTH`] levels.
pub fn reflow(text: &str, lines: &[usize], limit: usize, unit: &str, newline: &str) -> String {
    let mut text = text.to_string();
    let mut lines = lines.to_vec();
    for _ in 0..MAX_DEPTH {
        lines.sort_unstable();
        lines.dedup();
        let long: Vec<usize> = lines
            .iter()
            .copied()
            .filter(|&ls| width(&text[ls..line_end(&text, ls)]) > limit)
            .collect();
        let contexts = line_contexts(&text, &long);
        let mut edits = Vec::new();
        for (&ls, context) in long.iter().zip(contexts) {
            let le = line_end(&text, ls);
            edits.extend(split_alone(&text, ls..le, context, limit, unit, newline));
        }
        if edits.is_empty() {
            break;
        }
        let (new, spans) = apply_tracking(&text, &edits);
        lines = spans
            .iter()
            .flat_map(|(_, r)| line_starts_in(&new, r.clone()))
            .collect();
        text = new;
    }
    text
}

/// Where a line starts, as Python's tokenizer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineContext {
    /// Inside a string literal (a triple-quoted one that goes on): not code.
    InString,
    /// At statement level.
    Statement,
    /// Inside brackets opened on an earlier line; the innermost one.
    InBracket(u8),
}

/// The context of each of `starts` (line starts, ascending) in `text`: one
/// scan of the text that follows strings (prefixes, triple quotes, f-string
/// fields), comments and brackets, which a parse of the line alone cannot
/// know.
pub fn line_contexts(text: &str, starts: &[usize]) -> Vec<LineContext> {
    #[derive(Clone, Copy)]
    enum Mode {
        /// Code; `field` when inside an f-string's `{...}` field.
        Code { field: bool },
        Str {
            quote: u8,
            triple: bool,
            f: bool,
            raw: bool,
        },
    }
    let b = text.as_bytes();
    let mut stack = vec![Mode::Code { field: false }];
    let mut brackets: Vec<u8> = Vec::new();
    // How many brackets were open when each f-string field opened.
    let mut field_depth: Vec<usize> = Vec::new();
    let mut out = Vec::with_capacity(starts.len());
    let mut next = 0;
    let mut i = 0;
    while next < starts.len() {
        while next < starts.len() && starts[next] <= i {
            out.push(match stack.last() {
                Some(Mode::Str { .. }) => LineContext::InString,
                _ => match brackets.last() {
                    Some(&c) => LineContext::InBracket(c),
                    None => LineContext::Statement,
                },
            });
            next += 1;
        }
        if i >= b.len() {
            break;
        }
        let c = b[i];
        match *stack.last().expect("never empty") {
            Mode::Code { field } => match c {
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'\'' | b'"' => {
                    let prefix = b[..i]
                        .iter()
                        .rev()
                        .take_while(|p| p.is_ascii_alphabetic())
                        .map(|p| p.to_ascii_lowercase())
                        .collect::<Vec<_>>();
                    let triple = b[i..].starts_with(&[c, c, c]);
                    stack.push(Mode::Str {
                        quote: c,
                        triple,
                        f: prefix.contains(&b'f'),
                        raw: prefix.contains(&b'r'),
                    });
                    i += if triple { 3 } else { 1 };
                    continue;
                }
                b'(' | b'[' | b'{' => brackets.push(c),
                b'}' if field && brackets.len() == *field_depth.last().unwrap_or(&0) => {
                    field_depth.pop();
                    stack.pop();
                }
                b')' | b']' | b'}' => {
                    brackets.pop();
                }
                _ => {}
            },
            Mode::Str {
                quote,
                triple,
                f,
                raw,
            } => {
                if c == b'\\' && !raw {
                    i += 2;
                    continue;
                }
                if f && c == b'{' {
                    if b.get(i + 1) == Some(&b'{') {
                        i += 2;
                        continue;
                    }
                    field_depth.push(brackets.len());
                    stack.push(Mode::Code { field: true });
                } else if f && c == b'}' && b.get(i + 1) == Some(&b'}') {
                    i += 2;
                    continue;
                } else if c == quote && (!triple || b[i..].starts_with(&[c, c, c])) {
                    stack.pop();
                    i += if triple { 3 } else { 1 };
                    continue;
                } else if c == b'\n' && !triple {
                    // An unterminated string: the tokenizer gives up at the line end.
                    stack.pop();
                }
            }
        }
        i += 1;
    }
    out.resize(starts.len(), LineContext::Statement);
    out
}

/// How a line inside brackets is parsed on its own: as the items of a
/// bracket of the same kind (`f(a=1, b=[2, 3],)`, `[x, y,]`, `{"k": v,}`).
fn wrapper(open: u8) -> (&'static str, &'static str) {
    match open {
        b'[' => ("[\n", "\n]"),
        b'{' => ("{\n", "\n}"),
        _ => ("f(\n", "\n)"),
    }
}

/// Comments that tools read from the line they are on: splitting the line
/// would move them to its last line, where they no longer apply.
const PRAGMAS: &[&str] = &[
    "# type:",
    "# noqa",
    "# pyright:",
    "# pylint:",
    "# pragma",
    "# fmt:",
    // cdkfix's own suppressions, in any spacing.
    "cdkfix",
];

/// The edits splitting one long line, from a parse of that line alone (far
/// cheaper than the file's, and a line is all a split looks at), as a
/// statement or as the items of the bracket it stands in. A line inside a
/// string, with a pragma comment, or that opens or closes a bracket it does
/// not contain is left alone.
fn split_alone(
    text: &str,
    line: Range<usize>,
    context: LineContext,
    limit: usize,
    unit: &str,
    newline: &str,
) -> Vec<Edit> {
    let indent = indent_of_line(text, line.start);
    let content = &text[line.start + indent.len()..line.end];
    let (open, close) = match context {
        LineContext::InString => return Vec::new(),
        LineContext::Statement => ("", ""),
        LineContext::InBracket(c) => wrapper(c),
    };
    if PRAGMAS.iter().any(|p| content.contains(p)) {
        return Vec::new();
    }
    let base = line.start + indent.len();
    let content = match balance(content) {
        Balance::Even => content,
        // `actions=[...], resources=[...]))`: the part before the closers.
        Balance::Closes(at) if matches!(context, LineContext::InBracket(_)) => &content[..at],
        // `b = s3.Bucket(self, "B", ...,` with `)` below: what follows the
        // bracket moves to a line of its own, to be split there.
        Balance::Opens(at) if !content[at..].trim().is_empty() => {
            let lead = content[at..].len() - content[at..].trim_start().len();
            return vec![Edit::replace(
                base + at..base + at + lead,
                format!("{newline}{indent}{unit}"),
            )];
        }
        _ => return Vec::new(),
    };
    let fragment = format!("{open}{content}{close}");
    let root = parse(&fragment);
    if crate::pyast::has_syntax_error(&root) {
        return Vec::new();
    }
    let own = open.len()..open.len() + content.len();
    let found = Found::gather(&root.root(), &own, limit);
    let Some(edits) = split_line(&found, &own, &fragment, indent, unit, newline) else {
        return Vec::new();
    };
    // Back from the fragment to the file: shift, and never touch the
    // wrapper (a split between its items is a split of the line's).
    edits
        .into_iter()
        .filter(|e| e.range.start >= own.start && e.range.end <= own.end)
        .map(|e| {
            Edit::replace(
                e.range.start - own.start + base..e.range.end - own.start + base,
                e.text,
            )
        })
        .collect()
}

/// How a line's brackets pair up.
#[derive(Debug, PartialEq, Eq)]
enum Balance {
    /// Every bracket the line opens it closes.
    Even,
    /// It closes a bracket opened before it, first at this offset.
    Closes(usize),
    /// It opens a bracket it does not close; the offset just after the last one.
    Opens(usize),
    /// Both, or a string it does not end.
    Mixed,
}

/// The bracket balance of one line of code (strings and a comment skipped).
fn balance(line: &str) -> Balance {
    let b = line.as_bytes();
    let mut open: Vec<usize> = Vec::new();
    let mut closes = None;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => break,
            q @ (b'\'' | b'"') => {
                let triple = b[i..].starts_with(&[q, q, q]);
                let quote: &[u8] = if triple { &[q, q, q] } else { &[q] };
                i += quote.len();
                loop {
                    if i >= b.len() {
                        return Balance::Mixed;
                    }
                    if b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b[i..].starts_with(quote) {
                        i += quote.len();
                        break;
                    }
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' | b'{' => open.push(i + 1),
            b')' | b']' | b'}' => {
                let unmatched = open.pop().is_none();
                if unmatched {
                    closes = closes.or(Some(i));
                }
            }
            _ => {}
        }
        i += 1;
    }
    match (closes, open.last()) {
        (None, None) => Balance::Even,
        (Some(at), None) => Balance::Closes(at),
        (None, Some(&at)) => Balance::Opens(at),
        _ => Balance::Mixed,
    }
}

/// What a split may use on a long line, gathered in one walk that only goes
/// below nodes reaching the line.
struct Found<'r> {
    limit: usize,
    /// Strings touching the line.
    strings: Vec<Range<usize>>,
    /// Splittable nodes on the line.
    on_line: Vec<Node<'r>>,
    /// The innermost splittable node around the line.
    around: Option<Node<'r>>,
    /// Conditional expressions on the line.
    conditionals: Vec<Node<'r>>,
    /// A `from ... import` on the line.
    import: Option<Node<'r>>,
}

impl<'r> Found<'r> {
    fn gather(module: &Node<'r>, line: &Range<usize>, limit: usize) -> Self {
        let mut found = Found {
            limit,
            strings: Vec::new(),
            on_line: Vec::new(),
            around: None,
            conditionals: Vec::new(),
            import: None,
        };
        crate::pyast::walk_pruned(module, |node, _| {
            let r = node.range();
            if r.end < line.start || r.start > line.end {
                return false;
            }
            let within = r.start >= line.start && r.end <= line.end;
            let around = r.start < line.start && r.end > line.end;
            match node.kind().as_ref() {
                "string" => found.strings.push(r.clone()),
                "conditional_expression" if within => found.conditionals.push(node.clone()),
                "import_from_statement" if within => found.import = Some(node.clone()),
                k if SPLITTABLE.contains(&k) && within => found.on_line.push(node.clone()),
                // Pre-order: a later node around the line is inside the earlier one.
                k if SPLITTABLE.contains(&k) && around => found.around = Some(node.clone()),
                _ => {}
            }
            true
        });
        found
    }
}

/// The edits that split the long `line`, if it can be split.
fn split_line(
    found: &Found,
    line: &Range<usize>,
    text: &str,
    indent: &str,
    unit: &str,
    newline: &str,
) -> Option<Vec<Edit>> {
    let (ls, le) = (line.start, line.end);
    // Brackets inside an f-string's `{...}` cannot take a newline (before
    // Python 3.12): strings on the line are left whole.
    let in_string = |r: &Range<usize>| {
        found
            .strings
            .iter()
            .any(|s| s.start <= r.start && r.end <= s.end)
    };
    // Items of a list that spans the line and share it (`actions=[...],
    // resources=[...]` inside an exploded call) first get a line each.
    if let Some(list) = found
        .around
        .as_ref()
        .filter(|n| !in_string(&n.range()))
        .and_then(bracket_items)
    {
        let here: Vec<&Range<usize>> = list
            .items
            .iter()
            .filter(|r| r.start >= ls && r.end <= le)
            .collect();
        if here.len() > 1 {
            return Some(
                here.windows(2)
                    .map(|pair| {
                        Edit::replace(pair[0].end..pair[1].start, format!(",{newline}{indent}"))
                    })
                    .collect(),
            );
        }
    }
    // The outermost splittable bracket that opens and closes on the line.
    let mut candidates: Vec<&Node> = found
        .on_line
        .iter()
        .filter(|n| !in_string(&n.range()))
        .collect();
    candidates.sort_by_key(|n| (std::cmp::Reverse(n.range().len()), n.range().start));
    let outer = candidates
        .into_iter()
        .find_map(|n| bracket_items(n).map(|l| (n.clone(), l)));
    let Some((node, list)) = outer else {
        return split_other(found, text, indent, unit, newline)
            .filter(|e| !in_string(&e.range))
            .map(|e| vec![e]);
    };
    let splitter = Splitter {
        text,
        unit,
        newline,
        limit: found.limit,
        strings: &found.strings,
    };
    let (open, close) = (list.open_end?, list.close?);
    Some(vec![Edit::replace(
        open..close,
        splitter.explode(&node, &list, indent),
    )])
}

/// Writes a bracket's items one per line, splitting in turn the items that
/// are still too long, all from one parse of the text.
struct Splitter<'t> {
    text: &'t str,
    unit: &'t str,
    newline: &'t str,
    limit: usize,
    strings: &'t [Range<usize>],
}

impl Splitter<'_> {
    fn in_string(&self, r: &Range<usize>) -> bool {
        self.strings
            .iter()
            .any(|s| s.start <= r.start && r.end <= s.end)
    }

    /// The text between the brackets of `node` (whose items are `list`),
    /// exploded at `indent`.
    fn explode(&self, node: &Node, list: &ListView, indent: &str) -> String {
        let deeper = format!("{indent}{}", self.unit);
        let mut body = String::new();
        let mut children = node.children().filter(|c| c.is_named());
        for item in &list.items {
            body.push_str(self.newline);
            body.push_str(&deeper);
            match children.find(|c| c.range() == *item) {
                Some(child) => body.push_str(&self.item(&child, &deeper)),
                None => body.push_str(&self.text[item.clone()]),
            }
            body.push(',');
        }
        body.push_str(self.newline);
        body.push_str(indent);
        body
    }

    /// An item on a line of its own at `indent` (with its comma), split
    /// further at its outermost splittable bracket when it does not fit.
    fn item(&self, item: &Node, indent: &str) -> String {
        let r = item.range();
        let own = &self.text[r.clone()];
        if width(indent) + width(own) < self.limit {
            return own.to_string();
        }
        let mut inner: Vec<Node> = item
            .dfs()
            .filter(|n| SPLITTABLE.contains(&n.kind().as_ref()) && !self.in_string(&n.range()))
            .collect();
        inner.sort_by_key(|n| (std::cmp::Reverse(n.range().len()), n.range().start));
        let Some((node, list)) = inner
            .into_iter()
            .find_map(|n| bracket_items(&n).map(|l| (n.clone(), l)))
        else {
            return own.to_string();
        };
        let (open, close) = (
            list.open_end.unwrap_or(r.start),
            list.close.unwrap_or(r.end),
        );
        format!(
            "{}{}{}",
            &self.text[r.start..open],
            self.explode(&node, &list, indent),
            &self.text[close..r.end]
        )
    }
}

/// A long line with no bracket to split: a `from m import a, b, c` gets its
/// names in parentheses, one per line; a one-line `a if c else b` (a
/// removal policy by environment) gets parentheses and a line per part, as
/// black writes them.
fn split_other(found: &Found, text: &str, indent: &str, unit: &str, newline: &str) -> Option<Edit> {
    let inner = format!("{newline}{indent}{unit}");
    if let Some(import) = &found.import {
        if import
            .children()
            .any(|c| c.kind() == "(" || c.kind() == "wildcard_import")
        {
            return None;
        }
        let names: Vec<Node> = import.field_children("name").collect();
        let (first, last) = (names.first()?, names.last()?);
        let mut body = String::from("(");
        for n in &names {
            body.push_str(&inner);
            body.push_str(&text[n.range()]);
            body.push(',');
        }
        body.push_str(newline);
        body.push_str(indent);
        body.push(')');
        return Some(Edit::replace(first.range().start..last.range().end, body));
    }
    let cond = found.conditionals.iter().max_by_key(|n| n.range().len())?;
    let parts: Vec<Node> = cond.children().filter(|c| c.is_named()).collect();
    let [then, test, otherwise] = parts.as_slice() else {
        return None;
    };
    // Inside brackets already (parentheses, a positional argument), the
    // parts can go on lines of their own as they are; a keyword argument's
    // value gets parentheses so the `name=` stays on its line.
    let in_parens = cond.parent().is_some_and(|p| {
        matches!(
            p.kind().as_ref(),
            "parenthesized_expression" | "argument_list"
        )
    });
    let part = |n: &Node| text[n.range()].to_string();
    let (then, test, otherwise) = (part(then), part(test), part(otherwise));
    let replacement = if in_parens {
        let same = format!("{newline}{indent}");
        format!("{then}{same}if {test}{same}else {otherwise}")
    } else {
        format!("({inner}{then}{inner}if {test}{inner}else {otherwise}{newline}{indent})")
    };
    Some(Edit::replace(cond.range(), replacement))
}

/// Start offsets of the lines of `text` that `range` touches.
fn line_starts_in(text: &str, range: Range<usize>) -> Vec<usize> {
    let mut out = vec![line_start(text, range.start)];
    for (i, _) in text[range.clone()].match_indices('\n') {
        out.push(range.start + i + 1);
    }
    out
}

/// Apply edits (as [`apply_edits`]) and say where each one's text landed:
/// (its start in the old text, its range in the new one), in text order.
pub fn apply_tracking(text: &str, edits: &[Edit]) -> (String, Vec<(usize, Range<usize>)>) {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut spans = Vec::with_capacity(sorted.len());
    let mut shift: isize = 0;
    for e in &sorted {
        let start = (e.range.start as isize + shift) as usize;
        spans.push((e.range.start, start..start + e.text.len()));
        shift += e.text.len() as isize - e.range.len() as isize;
    }
    let out = apply_edits(text, edits);
    debug_assert!(spans.iter().all(|(_, r)| r.end <= out.len()));
    (out, spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reflowed(src: &str, limit: usize) -> String {
        let lines: Vec<usize> = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .filter(|&i| i < src.len())
            .collect();
        reflow(
            src,
            &lines,
            limit,
            &indent_unit(src, &parse(src).root()),
            "\n",
        )
    }

    #[test]
    fn explodes_the_outermost_bracket_then_what_is_still_long() {
        let src = "class S:\n    def f(self):\n        b = s3.Bucket(self, \"B\", encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True)\n";
        assert_eq!(
            reflowed(src, 60),
            "class S:\n    def f(self):\n        b = s3.Bucket(\n            self,\n            \"B\",\n            encryption=s3.BucketEncryption.S3_MANAGED,\n            enforce_ssl=True,\n        )\n"
        );
        let src = "x = [\n    f(actions=[\"a:1\", \"a:2\", \"a:3\"], resources=[\"*\"]),\n]\n";
        assert_eq!(
            reflowed(src, 30),
            "x = [\n    f(\n        actions=[\n            \"a:1\",\n            \"a:2\",\n            \"a:3\",\n        ],\n        resources=[\"*\"],\n    ),\n]\n"
        );
    }

    #[test]
    fn items_sharing_a_line_of_an_exploded_call_get_a_line_each() {
        let src = "f(\n    actions=[\"a:1\", \"a:2\"], resources=[\"r\"]\n)\n";
        assert_eq!(
            reflowed(src, 28),
            "f(\n    actions=[\"a:1\", \"a:2\"],\n    resources=[\"r\"]\n)\n"
        );
    }

    #[test]
    fn imports_and_conditionals_get_parentheses() {
        assert_eq!(
            reflowed("from m import aaaa, bbbb as b\n", 20),
            "from m import (\n    aaaa,\n    bbbb as b,\n)\n"
        );
        assert_eq!(
            reflowed(
                "f(\n    p=R.RETAIN if env in (\"prod\",) else R.DESTROY,\n)\n",
                30
            ),
            "f(\n    p=(\n        R.RETAIN\n        if env in (\"prod\",)\n        else R.DESTROY\n    ),\n)\n"
        );
    }

    #[test]
    fn line_contexts_follow_strings_and_brackets() {
        let src = "a = f(\n    x,\n)\ns = f\"\"\"\n{g(\n  1)}\n\"\"\"\nd = {\n  'k': [\n    1,\n  ],\n}\n# (\nt = 'a(' \\\n  + 'b'\n";
        let starts: Vec<usize> = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .filter(|&i| i < src.len())
            .collect();
        use LineContext::*;
        assert_eq!(
            line_contexts(src, &starts),
            [
                Statement,
                InBracket(b'('),
                InBracket(b'('),
                Statement,
                InString,
                InBracket(b'('),
                InString,
                Statement,
                InBracket(b'{'),
                InBracket(b'['),
                InBracket(b'['),
                InBracket(b'{'),
                Statement,
                Statement,
                Statement,
            ]
        );
    }

    #[test]
    fn a_top_level_tuple_is_not_taken_for_arguments() {
        let src = "b = s3.Bucket(stack, \"Logs\", x=1), s3.Bucket(stack, \"Data\", x=2),\n";
        let out = reflowed(src, 40);
        let parsed = |t: &str| {
            parse(t)
                .root()
                .dfs()
                .filter(|n| n.kind() == "expression_statement")
                .count()
        };
        assert_eq!(parsed(&out), 1, "{out}");
    }

    #[test]
    fn lines_that_open_or_close_a_bracket_are_split_too() {
        // Closes two brackets it did not open: the part before them is split.
        let src = "f(g(\n    actions=[\"a:1\", \"a:2\", \"a:3\"], resources=[\"r\"]))\n";
        assert_eq!(
            reflowed(src, 30),
            "f(g(\n    actions=[\n        \"a:1\",\n        \"a:2\",\n        \"a:3\",\n    ],\n    resources=[\"r\"]))\n"
        );
        // Opens a bracket closed below: its items move to lines of their own.
        let src = "b = s3.Bucket(self, \"B\", encryption=x, enforce_ssl=True,\n)\n";
        assert_eq!(
            reflowed(src, 30),
            "b = s3.Bucket(\n    self,\n    \"B\",\n    encryption=x,\n    enforce_ssl=True,\n)\n"
        );
        assert_eq!(balance("a(b, 'c)'"), Balance::Opens(2));
        assert_eq!(balance("x], y)"), Balance::Closes(1));
        assert_eq!(balance("), f("), Balance::Mixed);
        assert_eq!(balance("f(x)  # )"), Balance::Even);
    }

    #[test]
    fn pragma_comments_keep_their_line() {
        let src = "e = s3.Bucket(self, \"E\", versioned=True, enforce_ssl=True)  # type: ignore[call-arg]\n";
        assert_eq!(reflowed(src, 40), src);
    }

    #[test]
    fn never_splits_inside_an_f_string() {
        let src = "t = f'alerts-{node.try_get_context(\"stage\")}-{suffix}-and-more-text'\n";
        assert_eq!(reflowed(src, 20), src);
        let src = "s = f\"\"\"#!/bin/bash\nBUCKET={s3.Bucket(stack, \"Assets\", versioned=True).bucket_name}\n\"\"\"\n";
        assert_eq!(reflowed(src, 30), src);
        let src = "x = print(\"\"\"\na = mk(11, 22, 33, 44, 55) + \"\"\", s3.Bucket(self, \"B\"))  # \"\"\"\n";
        assert_eq!(reflowed(src, 30), src);
    }

    #[test]
    fn leaves_what_cannot_take_a_trailing_comma() {
        for src in [
            "y = sum(xxxxxxxxxxx for xxxxxxxxxxx in yyyyyyyyyyyyyyy)\n",
            "y = (aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa + bbbbbbbbbbbbbbbbbbbbbbbbb)\n",
            "y = \"a very long string literal that has no brackets at all in it\"\n",
        ] {
            assert_eq!(reflowed(src, 20), src);
        }
    }

    #[test]
    fn only_lines_a_fix_made_long() {
        let old = "a = f(x)\nb = g(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)\n";
        let edits = [
            Edit::insert(7, ", z=1111111111111111111111111111"),
            Edit::insert(old.len() - 2, ", w=1"),
        ];
        let (new, spans) = apply_tracking(old, &edits);
        let lines = lines_made_long(old, &new, &spans, 30);
        assert_eq!(
            lines,
            vec![0],
            "the second line was long already, and grew a little"
        );
        let edits = [Edit::insert(old.len() - 2, ", w=1111111111")];
        let (new, spans) = apply_tracking(old, &edits);
        let second = old.find('\n').unwrap() + 1;
        assert_eq!(
            lines_made_long(old, &new, &spans, 30),
            vec![second],
            "it grew a lot"
        );
    }

    #[test]
    fn indent_unit_follows_the_file() {
        let unit = |src: &str| indent_unit(src, &parse(src).root());
        assert_eq!(unit("if x:\n  y\n"), "  ");
        assert_eq!(unit("class A:\n\tdef f(self):\n\t\tpass\n"), "\t");
        assert_eq!(unit("x = 1\n"), "    ");
        assert_eq!(
            unit("JS = \"\"\"\n  a;\n\"\"\"\nclass A:\n    x = 1\n"),
            "    "
        );
    }
}
