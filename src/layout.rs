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

fn width(line: &str) -> usize {
    line.chars().count()
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
        if width(&old[old_start..line_end(old, *old_at)]) > limit {
            continue;
        }
        let mut at = line_start(new, range.start);
        while at <= range.end {
            let end = line_end(new, at);
            if width(&new[at..end]) > limit && !lines.contains(&at) {
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
        let mut edits = Vec::new();
        for &ls in &lines {
            let le = line_end(&text, ls);
            if width(&text[ls..le]) > limit {
                edits.extend(split_alone(&text, ls..le, limit, unit, newline));
            }
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

/// How a line is parsed on its own: as it is (a whole statement), or as
/// the arguments of a call (a line of an exploded call: `a=1, b=[2, 3],`).
const WRAP_OPEN: &str = "f(\n";
const WRAP_CLOSE: &str = "\n)";

/// The edits splitting one long line, from a parse of that line alone (far
/// cheaper than the file's, and a line is all a split looks at). A line
/// that parses neither way (a piece of a statement that opens a bracket it
/// does not close, the inside of a triple-quoted string) is left alone.
fn split_alone(
    text: &str,
    line: Range<usize>,
    limit: usize,
    unit: &str,
    newline: &str,
) -> Vec<Edit> {
    let indent = indent_of_line(text, line.start);
    let content = &text[line.start + indent.len()..line.end];
    // A line ending in a comma is a piece of a bracketed list, not a tuple.
    let forms = if content.trim_end().ends_with(',') {
        [(WRAP_OPEN, WRAP_CLOSE), ("", "")]
    } else {
        [("", ""), (WRAP_OPEN, WRAP_CLOSE)]
    };
    for (open, close) in forms {
        let fragment = format!("{open}{content}{close}");
        let root = parse(&fragment);
        if crate::pyast::has_syntax_error(&root) {
            continue;
        }
        let own = open.len()..open.len() + content.len();
        let found = Found::gather(&root.root(), &own, limit);
        let Some(edits) = split_line(&found, &own, &fragment, indent, unit, newline) else {
            return Vec::new();
        };
        // Back from the fragment to the file: shift, and never touch the
        // wrapper (a split between its items is a split of the line's).
        let base = line.start + indent.len();
        return edits
            .into_iter()
            .filter(|e| e.range.start >= own.start && e.range.end <= own.end)
            .map(|e| {
                Edit::replace(
                    e.range.start - own.start + base..e.range.end - own.start + base,
                    e.text,
                )
            })
            .collect();
    }
    Vec::new()
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
    fn never_splits_inside_an_f_string() {
        let src = "t = f'alerts-{node.try_get_context(\"stage\")}-{suffix}-and-more-text'\n";
        assert_eq!(reflowed(src, 20), src);
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
        assert_eq!(lines, vec![0], "the second line was long already");
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
