//! Suppressions: `# cdkfix: ignore[...]` comments on a line, and
//! `# cdkfix: ignore-file[...]` for the whole file; cdk-nag's own
//! `NagSuppressions` calls, which document an exception cdkfix must not
//! "fix"; the `unused-suppression` findings on comments that silence
//! nothing; and the comments `--add-suppressions` writes.
//!
//! Comments are found as tree-sitter `comment` nodes, never by searching the
//! text: a `"# cdkfix: ignore"` inside a string literal is not a comment.

use crate::catalogue::Catalogue;
use crate::imports::Imports;
use crate::pyast::{CallView, Node, TsNode};
use crate::rules::{Codemod, FileIndex, Finding, Fix};
use crate::source::{Edit, Lines, line_end, line_start};
use std::collections::BTreeMap;
use std::ops::Range;

/// The id of the catalogue entry reporting suppressions that silence nothing.
pub const UNUSED: &str = "unused-suppression";

/// The catalogue entry's codemod. It has no hooks: its findings come from
/// [`apply`], which needs every other codemod's findings first.
pub struct UnusedSuppression;

impl Codemod for UnusedSuppression {}

/// One `cdkfix: ignore...` directive, with byte offsets into the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// From its `#` to its `]` (or the end of `ignore` when bare).
    pub range: Range<usize>,
    /// Where what the directive owns ends: its trailing text (a reason)
    /// runs to the next comment's `#` on the line, or to the comment's end.
    pub extent_end: usize,
    /// Whether another comment follows on the same line.
    pub followed: bool,
    /// `ignore-file` rather than `ignore`.
    pub file: bool,
    /// The ids listed; `None` when bare (everything).
    pub ids: Option<Vec<String>>,
    /// The text between the brackets.
    pub list: Option<Range<usize>>,
}

/// The directives in one comment (`comment` is the comment node's range;
/// several comments on a line are one node: `# noqa: E501  # cdkfix: ignore`).
/// Spacing is free (`#cdkfix:ignore[a,b]`); ids are separated by commas or
/// spaces. Anything else, and a list without its `]`, is no directive.
pub fn parse_comment(text: &str, comment: Range<usize>) -> Vec<Directive> {
    let c = &text[comment.clone()];
    let base = comment.start;
    let end = c.trim_end().len();
    let b = c.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(hash) = c[from..].find('#').map(|i| i + from) {
        let Some((stop, file, list)) = parse_at(c, hash) else {
            from = hash + 1;
            continue;
        };
        // The next comment starts at a `#` after whitespace (or right here).
        let next =
            (stop..end).find(|&p| b[p] == b'#' && (p == stop || b[p - 1].is_ascii_whitespace()));
        let ids = list.clone().map(|r| {
            c[r].split(|ch: char| ch == ',' || ch.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        });
        out.push(Directive {
            range: base + hash..base + stop,
            extent_end: base + next.unwrap_or(end),
            followed: next.is_some(),
            file,
            ids,
            list: list.map(|r| base + r.start..base + r.end),
        });
        from = next.unwrap_or(end);
        if next.is_none() {
            break;
        }
    }
    out
}

/// A directive starting at the `#` at `hash` of comment text `c`: where it
/// stops, whether it is file-level, and its list's inside.
fn parse_at(c: &str, hash: usize) -> Option<(usize, bool, Option<Range<usize>>)> {
    let ws = |mut i: usize| {
        while c[i..].starts_with([' ', '\t']) {
            i += 1;
        }
        i
    };
    let mut i = ws(hash + 1);
    i = ws(c.len() - c[i..].strip_prefix("cdkfix")?.len());
    i = ws(c.len() - c[i..].strip_prefix(':')?.len());
    i = c.len() - c[i..].strip_prefix("ignore")?.len();
    let file = c[i..].starts_with("-file");
    if file {
        i += "-file".len();
    }
    // `ignored`, `ignore-files`: another word.
    if c[i..]
        .chars()
        .next()
        .is_some_and(|ch| ch.is_alphanumeric() || ch == '_' || ch == '-')
    {
        return None;
    }
    let j = ws(i);
    if !c[j..].starts_with('[') {
        return Some((i, file, None));
    }
    let close = j + c[j..].find(']')?;
    if c[j..close].contains('#') {
        return None;
    }
    Some((close + 1, file, Some(j + 1..close)))
}

/// A directive found in the file, with what the engine needs about it.
#[derive(Debug, Clone)]
struct Found {
    d: Directive,
    /// 1-based line of its `#`.
    line: usize,
    /// A file-level directive not on a line of its own at the top level.
    misplaced: bool,
}

/// Every directive of the file, in source order.
fn directives(text: &str, module: &Node) -> Vec<Found> {
    let ids = crate::pyast::ids();
    let root = module.get_inner_node();
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for at in memchr::memmem::find_iter(text.as_bytes(), b"cdkfix") {
        let Some(node) = root.descendant_for_byte_range(at, at + "cdkfix".len()) else {
            continue;
        };
        if node.kind_id() != ids.comment || seen.contains(&node.start_byte()) {
            continue;
        }
        seen.push(node.start_byte());
        for d in parse_comment(text, node.byte_range()) {
            let line = text[..d.range.start].matches('\n').count() + 1;
            let misplaced = d.file && !file_level(text, &node, &d);
            out.push(Found { d, line, misplaced });
        }
    }
    out
}

/// Whether a file-level directive is where it counts: first on a line of its
/// own, at column 0, between statements (not inside brackets).
fn file_level(text: &str, comment: &TsNode, d: &Directive) -> bool {
    let at_start = line_start(text, d.range.start) == d.range.start;
    let between_statements = comment.parent().is_none_or(|p| {
        let kind = p.kind();
        kind == "module"
            || kind == "block"
            || kind.ends_with("_statement")
            || kind.ends_with("_definition")
            || kind.ends_with("_clause")
    });
    at_start && between_statements
}

/// The innermost call whose range holds byte `at`: the call a finding is
/// about (for a construct finding, `at` is the call's start).
fn innermost_call<'r>(module: &Node<'r>, at: usize) -> Option<TsNode<'r>> {
    let call = crate::pyast::ids().call;
    let mut node = module.get_inner_node().descendant_for_byte_range(at, at)?;
    loop {
        if node.kind_id() == call {
            return Some(node);
        }
        node = node.parent()?;
    }
}

/// What the engine hands over for the suppression step.
pub struct Scope<'a, 'r> {
    pub text: &'a str,
    pub module: &'a Node<'r>,
    pub imports: &'a Imports,
    pub index: &'a FileIndex<'r>,
    pub catalogue: &'a Catalogue,
    /// Which codemods run.
    pub enabled: &'a [bool],
}

/// What a cdk-nag suppression covers.
#[derive(Debug)]
enum Covers {
    /// `add_resource_suppressions(x, ...)`: the construct calls `x` was
    /// assigned from (or the call passed in place), and method calls on `x`.
    Construct {
        calls: Vec<usize>,
        receiver: Option<String>,
    },
    /// `add_stack_suppressions(self, ...)`: the class it is called in.
    Class(Range<usize>),
    File,
    /// `add_resource_suppressions_by_path(stack, "/Stack/Bucket/Resource")`:
    /// constructs whose literal id is one of the path's parts.
    ConstructIds(Vec<String>),
}

#[derive(Debug)]
struct NagScope {
    covers: Covers,
    /// The codemods whose entry resolves one of the suppressed rule ids.
    codemods: Vec<usize>,
}

/// Drop the findings a suppression silences, and (when `unused-suppression`
/// runs) add a finding for each directive that silenced nothing. Files that
/// mention neither `cdkfix` nor `NagSuppressions` cost two byte searches.
pub fn apply(s: &Scope, findings: &mut Vec<Finding>) {
    let bytes = s.text.as_bytes();
    let has_comments = memchr::memmem::find(bytes, b"cdkfix").is_some();
    let has_nag = memchr::memmem::find(bytes, b"NagSuppressions").is_some();
    if !has_comments && !has_nag {
        return;
    }
    let found = match has_comments {
        true => directives(s.text, s.module),
        false => Vec::new(),
    };
    let nag = match has_nag {
        true => nag_scopes(s),
        false => Vec::new(),
    };
    if found.is_empty() && nag.is_empty() {
        return;
    }
    let mut used: Vec<Vec<bool>> = found
        .iter()
        .map(|f| vec![false; f.d.ids.as_ref().map_or(1, Vec::len)])
        .collect();
    let lines = Lines::new(s.text);
    let line_of = |at: usize| lines.line(at);
    findings.retain(|f| {
        let entry = &s.catalogue.entries[f.codemod];
        let mut silenced = false;
        let call = innermost_call(s.module, f.at);
        let lines = [Some(line_of(f.at)), call.map(|c| line_of(c.start_byte()))];
        for (k, d) in found.iter().enumerate() {
            let applies = match d.d.file {
                true => !d.misplaced,
                false => lines.contains(&Some(d.line)),
            };
            if !applies {
                continue;
            }
            match &d.d.ids {
                None => {
                    silenced = true;
                    used[k][0] = true;
                }
                Some(ids) => {
                    for (j, id) in ids.iter().enumerate() {
                        if entry.matches(id) {
                            silenced = true;
                            used[k][j] = true;
                        }
                    }
                }
            }
        }
        silenced |= nag
            .iter()
            .any(|n| n.codemods.contains(&f.codemod) && covers(&n.covers, f, call, s.text));
        !silenced
    });
    let Some(unused_idx) = s.catalogue.index(UNUSED).filter(|&i| s.enabled[i]) else {
        return;
    };
    // A directive naming `unused-suppression` opts its line out (ruff's
    // RUF100 semantics), and a bare `ignore-file` silences everything.
    let file_exempt = found.iter().any(|d| {
        d.d.file
            && !d.misplaced
            && d.d
                .ids
                .as_ref()
                .is_none_or(|ids| ids.iter().any(|i| i == UNUSED))
    });
    if file_exempt {
        return;
    }
    let exempt_lines: Vec<usize> = found
        .iter()
        .filter(|d| {
            !d.d.file
                && d.d
                    .ids
                    .as_ref()
                    .is_some_and(|ids| ids.iter().any(|i| i == UNUSED))
        })
        .map(|d| d.line)
        .collect();
    for (k, d) in found.iter().enumerate() {
        if !d.d.file && exempt_lines.contains(&d.line) {
            continue;
        }
        if let Some(f) = unused_finding(s, d, &used[k]) {
            findings.push(Finding {
                codemod: unused_idx,
                ..f
            });
        }
    }
}

/// The `unused-suppression` finding for one directive, if it has one.
fn unused_finding(s: &Scope, d: &Found, used: &[bool]) -> Option<Finding> {
    let finding = |note: Option<String>, fix: Option<Vec<Edit>>| Finding {
        codemod: 0,
        at: d.d.range.start,
        note,
        fix: fix.map(|edits| Fix {
            edits,
            needs: Vec::new(),
            alone: false,
            unsafe_override: false,
        }),
        construct_id: None,
    };
    if d.misplaced {
        return Some(finding(
            Some(
                "`ignore-file` counts only on a line of its own at the top level of the file"
                    .into(),
            ),
            None,
        ));
    }
    let Some(ids) = &d.d.ids else {
        // A bare `ignore-file` is exempt (see `apply`).
        return (!d.d.file && !used[0])
            .then(|| finding(None, Some(remove_directive(s.text, &d.d))));
    };
    let mut unknown = Vec::new();
    let mut unused = Vec::new();
    for (id, &was_used) in ids.iter().zip(used) {
        let mut matched = s
            .catalogue
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.matches(id))
            .peekable();
        if matched.peek().is_none() {
            unknown.push(id.as_str());
        } else if !was_used && matched.any(|(i, _)| s.enabled[i]) && !unused.contains(&id.as_str())
        {
            // Ids of codemods that do not run here may well be used.
            unused.push(id.as_str());
        }
    }
    if unknown.is_empty() && unused.is_empty() {
        return None;
    }
    let quoted = |ids: &[&str]| {
        ids.iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut notes = Vec::new();
    if !unused.is_empty() {
        notes.push(format!("unused: {}", quoted(&unused)));
    }
    if !unknown.is_empty() {
        let noun = if unknown.len() == 1 { "id" } else { "ids" };
        notes.push(format!(
            "unknown {noun} {}: no codemod, cdk-nag or checkov id of `cdkfix --list`; left to correct by hand",
            quoted(&unknown)
        ));
    }
    let fix = (!unused.is_empty()).then(|| {
        let kept: Vec<&str> = ids
            .iter()
            .map(String::as_str)
            .filter(|i| !unused.contains(i))
            .collect();
        match (&d.d.list, kept.is_empty()) {
            (Some(list), false) => {
                let sep = match s.text[list.clone()].contains(", ")
                    || !s.text[list.clone()].contains(',')
                {
                    true => ", ",
                    false => ",",
                };
                vec![Edit::replace(list.clone(), kept.join(sep))]
            }
            _ => remove_directive(s.text, &d.d),
        }
    });
    Some(finding(Some(notes.join("; ")), fix))
}

/// The edit removing a whole directive: other comments on the line stay, the
/// whitespace it leaves at the end of the line goes, and a line left empty
/// goes with its newline.
pub fn remove_directive(text: &str, d: &Directive) -> Vec<Edit> {
    if d.followed {
        // `# cdkfix: ignore[x]  # noqa`: up to the next comment.
        return vec![Edit::delete(d.range.start..d.extent_end)];
    }
    let start = line_start(text, d.range.start);
    let end = line_end(text, d.range.start);
    let before = &text[start..d.range.start];
    if before.trim().is_empty() {
        let next = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
        return vec![Edit::delete(start..next)];
    }
    vec![Edit::delete(start + before.trim_end().len()..end)]
}

/// Whether a cdk-nag suppression's scope holds finding `f`, whose call is `call`.
fn covers(c: &Covers, f: &Finding, call: Option<TsNode>, text: &str) -> bool {
    match c {
        Covers::File => true,
        Covers::Class(range) => range.contains(&f.at),
        Covers::ConstructIds(ids) => f.construct_id.as_ref().is_some_and(|i| ids.contains(i)),
        Covers::Construct { calls, receiver } => {
            let ids = crate::pyast::ids();
            calls.contains(&f.at)
                || call.is_some_and(|call| {
                    calls.contains(&call.start_byte())
                        || receiver.as_deref().is_some_and(|r| {
                            call.child_by_field_id(ids.function)
                                .filter(|func| func.kind_id() == ids.attribute)
                                .and_then(|func| func.child_by_field_id(ids.object))
                                .is_some_and(|o| &text[o.byte_range()] == r)
                        })
                })
        }
    }
}

/// The `NagSuppressions` calls of the file, resolved through its imports.
fn nag_scopes(s: &Scope) -> Vec<NagScope> {
    let ids = crate::pyast::ids();
    let mut out = Vec::new();
    for method in [
        "add_resource_suppressions",
        "add_stack_suppressions",
        "add_resource_suppressions_by_path",
    ] {
        let want = format!("cdk_nag.NagSuppressions.{method}");
        for node in s.index.method_calls(method) {
            let resolved = node
                .child_by_field_id(ids.function)
                .and_then(|f| s.imports.resolve(&f));
            if resolved.as_deref() != Some(want.as_str()) {
                continue;
            }
            let Some(call) = CallView::new(node.clone()) else {
                continue;
            };
            let arg =
                |pos: usize, name: &str| call.positional.get(pos).or_else(|| call.kwarg(name));
            let (target, list) = match method {
                "add_resource_suppressions" => (arg(0, "construct"), arg(1, "suppressions")),
                "add_stack_suppressions" => (arg(0, "stack"), arg(1, "suppressions")),
                _ => (arg(1, "path"), arg(2, "suppressions")),
            };
            let (Some(target), Some(list)) = (target, list) else {
                continue;
            };
            let rules = nag_rule_ids(s, list, &call);
            let codemods: Vec<usize> = s
                .catalogue
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.id != UNUSED && rules.iter().any(|r| e.matches(r)))
                .map(|(i, _)| i)
                .collect();
            if codemods.is_empty() {
                continue;
            }
            let covers = match method {
                "add_resource_suppressions" => construct_scope(s, target, &call),
                "add_stack_suppressions" => Some(stack_scope(s, target, &call)),
                _ => path_scope(target),
            };
            if let Some(covers) = covers {
                out.push(NagScope { covers, codemods });
            }
        }
    }
    out
}

/// `x` of `add_resource_suppressions(x, ...)`: a construct call in place, or
/// the name (`bucket`, `self.bucket`) last assigned a call before this one
/// (any assignment of it when none comes before).
fn construct_scope<'r>(
    s: &Scope<'_, 'r>,
    target: &Node<'r>,
    call: &CallView<'r>,
) -> Option<Covers> {
    let ids = crate::pyast::ids();
    if target.kind_id() == ids.call {
        return Some(Covers::Construct {
            calls: vec![target.range().start],
            receiver: None,
        });
    }
    if target.kind_id() != ids.identifier && target.kind_id() != ids.attribute {
        return None;
    }
    let name = &s.text[target.range()];
    let assigned: Vec<usize> = s
        .index
        .assignments_to(name)
        .iter()
        .filter_map(|a| a.child_by_field_id(ids.right))
        .filter(|r| r.kind_id() == ids.call)
        .map(|r| r.range().start)
        .collect();
    let before = call.node.range().start;
    let calls = match assigned.iter().rfind(|&&a| a < before) {
        Some(&last) => vec![last],
        None => assigned,
    };
    Some(Covers::Construct {
        calls,
        receiver: Some(name.to_string()),
    })
}

/// `add_stack_suppressions(self, ...)` covers the class it is called in;
/// any other stack (a `stack` variable, `Stack.of(self)`) the whole file.
fn stack_scope(s: &Scope, target: &Node, call: &CallView) -> Covers {
    if &s.text[target.range()] != "self" {
        return Covers::File;
    }
    let class = crate::pyast::ids().class_definition;
    let mut node = call.node.get_inner_node();
    while let Some(parent) = node.parent() {
        if parent.kind_id() == class {
            return Covers::Class(parent.byte_range());
        }
        node = parent;
    }
    Covers::File
}

/// The construct ids of a path argument (a literal, or a list of them): its
/// parts after the stack's. A path naming only the stack covers the file.
fn path_scope(target: &Node) -> Option<Covers> {
    let ids = crate::pyast::ids();
    let paths: Vec<String> = if target.kind_id() == ids.string {
        vec![crate::pyast::string_literal_value(target)?]
    } else if target.kind() == "list" {
        target
            .children()
            .filter_map(|c| crate::pyast::string_literal_value(&c))
            .collect()
    } else {
        return None;
    };
    let mut parts = Vec::new();
    for path in &paths {
        let inner: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).skip(1).collect();
        if inner.is_empty() {
            return Some(Covers::File);
        }
        parts.extend(inner.into_iter().map(String::from));
    }
    (!parts.is_empty()).then_some(Covers::ConstructIds(parts))
}

/// The rule ids of a suppressions list: `{"id": "AwsSolutions-S1", ...}`
/// dicts, `NagPackSuppression(id="...", ...)` or `dict(id=...)` calls, in a
/// list written in place or assigned to a name before the call. A granular
/// id (`AwsSolutions-IAM5[Resource::*]`) counts as its rule.
fn nag_rule_ids<'r>(s: &Scope<'_, 'r>, list: &Node<'r>, call: &CallView<'r>) -> Vec<String> {
    let ids = crate::pyast::ids();
    // A name: the list last assigned to it before the call.
    let assigned = (list.kind_id() == ids.identifier || list.kind_id() == ids.attribute)
        .then(|| {
            s.index
                .assignments_to(&s.text[list.range()])
                .iter()
                .rfind(|a| a.range().end <= call.node.range().start)
                .and_then(|a| a.child_by_field_id(ids.right))
        })
        .flatten();
    let list = assigned.unwrap_or_else(|| list.clone());
    let mut out = Vec::new();
    for item in list.children().filter(|c| c.is_named()) {
        let id = if item.kind() == "dictionary" {
            item.children()
                .filter(|p| p.kind() == "pair")
                .find(|p| {
                    p.field("key")
                        .and_then(|k| crate::pyast::string_literal_value(&k))
                        .is_some_and(|k| k == "id")
                })
                .and_then(|p| p.field("value"))
                .and_then(|v| crate::pyast::string_literal_value(&v))
        } else if item.kind_id() == ids.call {
            let is_suppression = item.child_by_field_id(ids.function).is_some_and(|f| {
                f.text() == "dict"
                    || s.imports.resolve(&f).as_deref() == Some("cdk_nag.NagPackSuppression")
            });
            CallView::new(item.clone())
                .filter(|_| is_suppression)
                .and_then(|c| c.kwarg("id").and_then(crate::pyast::string_literal_value))
        } else {
            None
        };
        if let Some(id) = id {
            let rule = id.split('[').next().unwrap_or_default().trim();
            out.push(rule.to_string());
        }
    }
    out
}

/// What [`add_suppressions`] did to a file.
#[derive(Debug, Default)]
pub struct Added {
    /// The text with the comments written.
    pub text: String,
    /// How many ids were written (merged ones included).
    pub count: usize,
    /// Findings that got no comment: their line and why.
    pub skipped: Vec<(usize, String)>,
}

/// Write `# cdkfix: ignore[<id>]` for each finding (`line`, `col`, codemod
/// id) on its line, merged into a `cdkfix: ignore[...]` comment already there
/// (sorted, without duplicates) and after any other comment. A line ending
/// inside a string or in a `\` continuation cannot take a comment: the
/// finding's call's first line takes it then, or, when that cannot either,
/// the finding is skipped.
pub fn add_suppressions(text: &str, findings: &[(usize, usize, &str)]) -> Added {
    let root = crate::pyast::parse(text);
    let module = root.root();
    let lines = Lines::new(text);
    let mut per_line: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for &(line, col, id) in findings {
        let Some(start) = lines.start(line) else {
            continue;
        };
        let at = start
            + text[start..]
                .char_indices()
                .nth(col.saturating_sub(1))
                .map_or(0, |(i, _)| i);
        let target = if takes_comment(text, &module, start) {
            Some(line)
        } else {
            innermost_call(&module, at)
                .map(|c| lines.line(c.start_byte()))
                .filter(|&l| {
                    l != line
                        && lines
                            .start(l)
                            .is_some_and(|s| takes_comment(text, &module, s))
                })
        };
        match target {
            Some(l) => per_line.entry(l).or_default().push(id.to_string()),
            None => skipped.push((
                line,
                format!("no place for `# cdkfix: ignore[{id}]`: the line ends inside a string or continues with `\\`, and so does the first line of its call"),
            )),
        }
    }
    let found = directives(text, &module);
    let mut edits = Vec::new();
    let mut count = 0;
    for (line, mut ids) in per_line {
        let Some(start) = lines.start(line) else {
            continue;
        };
        let existing = found
            .iter()
            .find(|d| d.line == line && !d.d.file && d.d.list.is_some());
        match existing {
            Some(d) => {
                ids.extend(d.d.ids.iter().flatten().cloned());
                ids.sort();
                ids.dedup();
                count += ids.len() - d.d.ids.as_ref().map_or(0, Vec::len);
                edits.push(Edit::replace(
                    d.d.list.clone().unwrap_or_default(),
                    ids.join(", "),
                ));
            }
            None => {
                ids.sort();
                ids.dedup();
                count += ids.len();
                let end = line_end(text, start);
                let trimmed = start + text[start..end].trim_end().len();
                edits.push(Edit::replace(
                    trimmed..end,
                    format!("  # cdkfix: ignore[{}]", ids.join(", ")),
                ));
            }
        }
    }
    Added {
        text: crate::source::apply_edits(text, &edits),
        count,
        skipped,
    }
}

/// Whether a comment can go at the end of the line starting at `start`: the
/// line does not end inside a string, nor continue with a `\` (a comment
/// already there shows it does not).
fn takes_comment(text: &str, module: &Node, start: usize) -> bool {
    let ids = crate::pyast::ids();
    let end = line_end(text, start);
    let content = text[start..end].trim_end();
    if content.is_empty() {
        return false;
    }
    let root = module.get_inner_node();
    let mut node = root.descendant_for_byte_range(end, end);
    while let Some(n) = node {
        if n.kind_id() == ids.string {
            return false;
        }
        node = n.parent();
    }
    let last = start + content.len();
    let in_comment = root
        .descendant_for_byte_range(last - 1, last)
        .is_some_and(|n| n.kind_id() == ids.comment);
    in_comment || !content.ends_with('\\')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, Settings};

    use crate::source::{SourceText, apply_edits};

    const HEAD: &str = "from aws_cdk import Stack, Tags, aws_s3 as s3\n\n\nclass S(Stack):\n    def __init__(self, scope, cid):\n        super().__init__(scope, cid)\n        Tags.of(self).add(\"Environment\", \"dev\")\n";

    fn directives_of(comment: &str) -> Vec<Directive> {
        parse_comment(comment, 0..comment.len())
    }

    fn ids_of(comment: &str) -> Vec<Option<Vec<String>>> {
        directives_of(comment).into_iter().map(|d| d.ids).collect()
    }

    fn list(ids: &[&str]) -> Option<Vec<String>> {
        Some(ids.iter().map(|s| s.to_string()).collect())
    }

    /// `(codemod id, line)` of each finding of a check with all codemods on
    /// but those in `off`.
    fn check_without(src: &str, off: &[&str]) -> Vec<(String, usize)> {
        let engine = Engine::builtin();
        let catalogue = engine.catalogue;
        let mut settings = Settings::all(catalogue);
        for id in off {
            settings.enabled[catalogue.index(id).unwrap()] = false;
        }
        let out = engine
            .run(&SourceText::from_text(src), &settings, false)
            .unwrap();
        out.findings
            .iter()
            .map(|f| (catalogue.entries[f.codemod].id.clone(), f.line))
            .collect()
    }

    fn check(src: &str) -> Vec<(String, usize)> {
        check_without(src, &[])
    }

    /// The text after safe fixes to the fixed point.
    fn fix(src: &str) -> String {
        let engine = Engine::builtin();
        let catalogue = engine.catalogue;
        let settings = Settings::all(catalogue);
        let out = engine
            .run(&SourceText::from_text(src), &settings, true)
            .unwrap();
        out.fixed.unwrap_or_else(|| src.to_string())
    }

    fn has(findings: &[(String, usize)], id: &str, line: usize) -> bool {
        findings.iter().any(|(i, l)| i == id && *l == line)
    }

    #[test]
    fn comments_are_parsed_with_any_spacing() {
        assert_eq!(ids_of("# cdkfix: ignore[a, b]"), vec![list(&["a", "b"])]);
        assert_eq!(ids_of("#cdkfix:ignore[a,b]"), vec![list(&["a", "b"])]);
        assert_eq!(
            ids_of("#  cdkfix :  ignore [ a  b ]"),
            vec![list(&["a", "b"])]
        );
        assert_eq!(ids_of("# cdkfix: ignore"), vec![None]);
        assert_eq!(ids_of("# noqa: E501  # cdkfix: ignore"), vec![None]);
        let file = directives_of("# cdkfix: ignore-file[x]");
        assert!(file[0].file);
        assert_eq!(file[0].ids, list(&["x"]));
        for not_one in [
            "# cdkfix: ignored",
            "# cdkfix: ignore-files",
            "# cdkfix ignore",
            "# cdkfix: ignore[a",
            "# see cdkfix: ignore",
            "# cdkfix: skip",
        ] {
            assert_eq!(ids_of(not_one), vec![], "{not_one}");
        }
    }

    #[test]
    fn a_directive_owns_its_reason_up_to_the_next_comment() {
        let c = "# cdkfix: ignore[a] kept on purpose  # noqa: E501";
        let d = &directives_of(c)[0];
        assert_eq!(&c[d.range.clone()], "# cdkfix: ignore[a]");
        assert_eq!(&c[d.extent_end..], "# noqa: E501");
        assert!(d.followed);
        let c = "# cdkfix: ignore[a]   ";
        let d = &directives_of(c)[0];
        assert!(!d.followed);
        assert_eq!(d.extent_end, "# cdkfix: ignore[a]".len());
        // Two on one line are two directives.
        assert_eq!(
            ids_of("# cdkfix: ignore[a]  # cdkfix: ignore[b]"),
            vec![list(&["a"]), list(&["b"])]
        );
    }

    /// `text` without the directive of its first comment.
    fn removed(text: &str) -> String {
        let at = text.find('#').unwrap();
        let end = line_end(text, at);
        let d = parse_comment(text, at..end)
            .into_iter()
            .find(|d| text[d.range.clone()].contains("cdkfix"))
            .unwrap();
        apply_edits(text, &remove_directive(text, &d))
    }

    #[test]
    fn removing_a_directive_keeps_the_rest_of_the_line() {
        assert_eq!(
            removed("x = 1  # cdkfix: ignore[a]  \ny = 2\n"),
            "x = 1\ny = 2\n"
        );
        assert_eq!(
            removed("x = 1  # cdkfix: ignore[a]  # noqa: E501\n"),
            "x = 1  # noqa: E501\n"
        );
        assert_eq!(
            removed("x = 1  # noqa: E501  # cdkfix: ignore[a]\n"),
            "x = 1  # noqa: E501\n"
        );
        assert_eq!(
            removed("x = 1\n    # cdkfix: ignore\ny = 2\n"),
            "x = 1\ny = 2\n"
        );
        assert_eq!(
            removed("x = 1\r\n# cdkfix: ignore\r\ny = 2\r\n"),
            "x = 1\r\ny = 2\r\n"
        );
        assert_eq!(removed("x = 1\n# cdkfix: ignore"), "x = 1\n");
    }

    #[test]
    fn a_line_comment_silences_its_ids_on_its_line() {
        let plain = format!("{HEAD}        s3.Bucket(self, \"B\")\n");
        let before = check(&plain);
        assert!(has(&before, "s3-bucket-ssl-not-enforced", 8), "{before:?}");
        assert!(has(&before, "s3-bucket-public-access-not-blocked", 8));
        // By codemod id, by the cdk-nag rule it resolves, or all of them.
        for (comment, still) in [
            ("# cdkfix: ignore[s3-bucket-ssl-not-enforced]", true),
            ("#cdkfix:ignore[AwsSolutions-S10]", true),
            ("# noqa: E501  # cdkfix: ignore", false),
        ] {
            let src = format!("{HEAD}        s3.Bucket(self, \"B\")  {comment}\n");
            let after = check(&src);
            assert!(
                !has(&after, "s3-bucket-ssl-not-enforced", 8),
                "{comment}: {after:?}"
            );
            assert_eq!(has(&after, "s3-bucket-public-access-not-blocked", 8), still);
            assert!(
                !after.iter().any(|(i, _)| i == UNUSED),
                "{comment}: {after:?}"
            );
        }
    }

    #[test]
    fn the_first_line_of_the_call_counts_too() {
        let src = format!(
            "{HEAD}        bucket = s3.Bucket(  # cdkfix: ignore[s3-bucket-ssl-not-enforced]\n            self,\n            \"B\",\n        )\n"
        );
        let after = check(&src);
        assert!(
            !after
                .iter()
                .any(|(i, _)| i == "s3-bucket-ssl-not-enforced" || i == UNUSED),
            "{after:?}"
        );
        // A comment on the call's last line is not on its first.
        let src = format!(
            "{HEAD}        bucket = s3.Bucket(\n            self,\n            \"B\",\n        )  # cdkfix: ignore[s3-bucket-ssl-not-enforced]\n"
        );
        let after = check(&src);
        assert!(has(&after, "s3-bucket-ssl-not-enforced", 8), "{after:?}");
        assert!(has(&after, UNUSED, 11), "{after:?}");
    }

    #[test]
    fn the_call_a_finding_is_about_is_the_innermost_one_holding_it() {
        let text = "f(a, g(b, c=1))\n";
        let root = crate::pyast::parse(text);
        let module = root.root();
        let call = |at| innermost_call(&module, at).map(|c| c.byte_range());
        assert_eq!(call(0), Some(0..15));
        assert_eq!(call(5), Some(5..14));
        assert_eq!(call(text.find("c=").unwrap()), Some(5..14));
    }

    #[test]
    fn a_string_that_looks_like_a_suppression_is_not_one() {
        let src = format!(
            "{HEAD}        s3.Bucket(self, \"B\", bucket_name=\"x # cdkfix: ignore\")\n        doc = \"\"\"\n        # cdkfix: ignore-file\n        \"\"\"\n"
        );
        let after = check(&src);
        assert!(has(&after, "s3-bucket-ssl-not-enforced", 8), "{after:?}");
        assert!(!after.iter().any(|(i, _)| i == UNUSED), "{after:?}");
    }

    #[test]
    fn ignore_file_silences_the_whole_file() {
        let body = "        s3.Bucket(self, \"A\")\n        s3.Bucket(self, \"B\")\n";
        let src = format!("# cdkfix: ignore-file[AwsSolutions-S10]\n{HEAD}{body}");
        let after = check(&src);
        assert!(
            !after.iter().any(|(i, _)| i == "s3-bucket-ssl-not-enforced"),
            "{after:?}"
        );
        assert!(
            after
                .iter()
                .any(|(i, _)| i == "s3-bucket-public-access-not-blocked")
        );
        let src = format!("{HEAD}{body}# cdkfix: ignore-file\n");
        assert_eq!(check(&src), vec![]);
        // Indented, it is inside the class: reported, and silences nothing.
        let src = format!("{HEAD}        # cdkfix: ignore-file\n{body}");
        let after = check(&src);
        assert!(has(&after, UNUSED, 8), "{after:?}");
        assert!(has(&after, "s3-bucket-ssl-not-enforced", 9));
        assert_eq!(fix(&src).matches("ignore-file").count(), 1, "no fix for it");
    }

    #[test]
    fn unused_ids_are_removed_and_used_ones_kept() {
        let src = format!(
            "{HEAD}        s3.Bucket(self, \"B\", enforce_ssl=True)  # cdkfix: ignore[s3-bucket-ssl-not-enforced, s3-bucket-public-access-not-blocked]\n        x = 1  # noqa: E501  # cdkfix: ignore\n"
        );
        let after = check(&src);
        assert!(
            has(&after, UNUSED, 8) && has(&after, UNUSED, 9),
            "{after:?}"
        );
        assert!(
            !after
                .iter()
                .any(|(i, _)| i == "s3-bucket-public-access-not-blocked")
        );
        let fixed = fix(&src);
        assert!(
            fixed.contains("enforce_ssl=True, encryption=s3.BucketEncryption.S3_MANAGED)  # cdkfix: ignore[s3-bucket-public-access-not-blocked]\n"),
            "{fixed}"
        );
        assert!(fixed.contains("        x = 1  # noqa: E501\n"), "{fixed}");
        assert_eq!(fix(&fixed), fixed, "a second run changes nothing");
        assert!(!check(&fixed).iter().any(|(i, _)| i == UNUSED));
    }

    #[test]
    fn ids_of_codemods_not_running_are_not_reported() {
        let src = format!(
            "{HEAD}        s3.Bucket(self, \"B\", enforce_ssl=True)  # cdkfix: ignore[s3-bucket-ssl-not-enforced, no-such-codemod]\n"
        );
        let off = check_without(&src, &["s3-bucket-ssl-not-enforced"]);
        assert!(has(&off, UNUSED, 8), "the unknown id still is: {off:?}");
        let engine = Engine::builtin();
        let catalogue = engine.catalogue;
        let mut settings = Settings::all(catalogue);
        settings.enabled[catalogue.index("s3-bucket-ssl-not-enforced").unwrap()] = false;
        let out = engine
            .run(&SourceText::from_text(&src), &settings, true)
            .unwrap();
        let note = out
            .findings
            .iter()
            .find(|f| catalogue.entries[f.codemod].id == UNUSED)
            .and_then(|f| f.note.clone())
            .unwrap();
        assert!(
            note.contains("unknown id `no-such-codemod`") && !note.contains("unused"),
            "{note}"
        );
        assert!(out.fixed.unwrap_or_default().contains("no-such-codemod]"));
        // With the codemod on, the used-less id goes and the unknown one stays.
        let fixed = fix(&src);
        assert!(
            fixed.contains("  # cdkfix: ignore[no-such-codemod]\n"),
            "{fixed}"
        );
        // Turned off, no report at all.
        assert!(
            !check_without(&src, &[UNUSED])
                .iter()
                .any(|(i, _)| i == UNUSED)
        );
    }

    #[test]
    fn naming_unused_suppression_opts_out() {
        let src = format!(
            "{HEAD}        x = 1  # cdkfix: ignore[s3-bucket-ssl-not-enforced, unused-suppression]\n"
        );
        assert_eq!(check(&src), vec![]);
        let src = format!(
            "# cdkfix: ignore-file[unused-suppression]\n{HEAD}        x = 1  # cdkfix: ignore\n"
        );
        assert_eq!(check(&src), vec![]);
    }

    const NAG: &str = "from aws_cdk import Stack, Tags, aws_s3 as s3\nfrom cdk_nag import NagSuppressions, NagPackSuppression\n\n\nclass S(Stack):\n    def __init__(self, scope, cid):\n        super().__init__(scope, cid)\n        Tags.of(self).add(\"Environment\", \"dev\")\n";

    fn ssl_lines(src: &str) -> Vec<usize> {
        check(src)
            .into_iter()
            .filter(|(i, _)| i == "s3-bucket-ssl-not-enforced")
            .map(|(_, l)| l)
            .collect()
    }

    #[test]
    fn nag_resource_suppressions_silence_that_construct() {
        let two = "        a = s3.Bucket(self, \"A\")\n        self.b = s3.Bucket(self, \"B\")\n";
        assert_eq!(ssl_lines(&format!("{NAG}{two}")), vec![9, 10]);
        for call in [
            "NagSuppressions.add_resource_suppressions(a, [{\"id\": \"AwsSolutions-S10\", \"reason\": \"r\"}])",
            "NagSuppressions.add_resource_suppressions(construct=a, suppressions=[NagPackSuppression(id=\"AwsSolutions-S10\", reason=\"r\")], apply_to_children=True)",
            "NagSuppressions.add_resource_suppressions(a, [{'id': 'AwsSolutions-S10[Resource::*]', 'reason': 'r'}])",
        ] {
            let src = format!("{NAG}{two}        {call}\n");
            assert_eq!(ssl_lines(&src), vec![10], "{call}");
        }
        let src = format!(
            "{NAG}{two}        rules = [{{\"id\": \"AwsSolutions-S10\", \"reason\": \"r\"}}]\n        NagSuppressions.add_resource_suppressions(self.b, rules)\n"
        );
        assert_eq!(ssl_lines(&src), vec![9]);
        // Through `import cdk_nag`; an inline construct.
        let src = format!(
            "import cdk_nag\n{NAG}        cdk_nag.NagSuppressions.add_resource_suppressions(s3.Bucket(self, \"C\"), [cdk_nag.NagPackSuppression(id=\"AwsSolutions-S10\", reason=\"r\")])\n        s3.Bucket(self, \"D\")\n"
        );
        assert_eq!(ssl_lines(&src), vec![11]);
        // A NagSuppressions that is not cdk-nag's counts for nothing.
        let src = format!(
            "{}{two}        NagSuppressions.add_resource_suppressions(a, [{{\"id\": \"AwsSolutions-S10\", \"reason\": \"r\"}}])\n",
            NAG.replace(
                "from cdk_nag import NagSuppressions, NagPackSuppression",
                "from mine import NagSuppressions"
            )
        );
        assert_eq!(ssl_lines(&src), vec![9, 10]);
    }

    #[test]
    fn nag_stack_suppressions_silence_the_class_or_the_file() {
        let other = "\n\nclass T(Stack):\n    def __init__(self, scope, cid):\n        super().__init__(scope, cid)\n        Tags.of(self).add(\"Environment\", \"dev\")\n        s3.Bucket(self, \"C\")\n";
        let src = format!(
            "{NAG}        s3.Bucket(self, \"A\")\n        NagSuppressions.add_stack_suppressions(self, [{{\"id\": \"AwsSolutions-S10\", \"reason\": \"r\"}}])\n{other}"
        );
        assert_eq!(ssl_lines(&src), vec![17]);
        let src = format!(
            "{NAG}        s3.Bucket(self, \"A\")\n{other}\n\napp = App()\nstack = S(app, \"S\")\nNagSuppressions.add_stack_suppressions(stack, [{{\"id\": \"AwsSolutions-S10\", \"reason\": \"r\"}}])\n"
        );
        assert_eq!(ssl_lines(&src), Vec::<usize>::new());
        let src = format!(
            "{NAG}        s3.Bucket(self, \"A\")\n        s3.Bucket(self, \"B\")\n        NagSuppressions.add_resource_suppressions_by_path(self, \"/S/B/Resource\", [{{\"id\": \"AwsSolutions-S10\", \"reason\": \"r\"}}])\n"
        );
        assert_eq!(ssl_lines(&src), vec![9]);
    }

    fn added(text: &str, findings: &[(usize, usize, &str)]) -> Added {
        add_suppressions(text, findings)
    }

    #[test]
    fn suppressions_are_added_and_merged() {
        let text = "a = f(1)\nb = f(2)  # noqa: E501\nc = f(3)  # cdkfix: ignore[z-id]\n";
        let out = added(
            text,
            &[
                (1, 5, "x-id"),
                (1, 5, "a-id"),
                (2, 5, "x-id"),
                (3, 5, "b-id"),
                (3, 5, "z-id"),
            ],
        );
        assert_eq!(
            out.text,
            "a = f(1)  # cdkfix: ignore[a-id, x-id]\nb = f(2)  # noqa: E501  # cdkfix: ignore[x-id]\nc = f(3)  # cdkfix: ignore[b-id, z-id]\n"
        );
        assert_eq!(out.count, 4);
        assert!(out.skipped.is_empty());
    }

    #[test]
    fn lines_that_cannot_take_a_comment_use_the_calls_first_line() {
        // The finding is on line 2, which ends inside the string.
        let text = "x = f(\n    a, doc=\"\"\"one\n    two\"\"\")\n";
        let out = added(text, &[(2, 5, "x-id")]);
        assert_eq!(
            out.text,
            "x = f(  # cdkfix: ignore[x-id]\n    a, doc=\"\"\"one\n    two\"\"\")\n"
        );
        let text = "x = f(a) + \\\n    g(b)\n";
        let out = added(text, &[(1, 5, "x-id")]);
        assert_eq!(out.text, text, "nothing written");
        assert_eq!(out.skipped.len(), 1);
        let out = added("x = 1 + \\\n    g(b)  # ok\n", &[(2, 5, "x-id")]);
        assert_eq!(
            out.text,
            "x = 1 + \\\n    g(b)  # ok  # cdkfix: ignore[x-id]\n"
        );
    }
}
