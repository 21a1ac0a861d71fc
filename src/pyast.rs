//! Python syntax helpers on top of ast-grep's tree: call arguments, and
//! layout-preserving insertion into and removal from comma-separated lists
//! (argument lists and `from x import (...)` lists share the same rules).
//!
//! Parsing and the hot loops use tree-sitter's own API (a reused parser,
//! cursor walks, kind and field ids); ast-grep's [`Node`] wraps the same tree.

use crate::source::{Edit, indent_of_line, line_end, line_start};
use ast_grep_core::tree_sitter::StrDoc;
use ast_grep_language::Python;
use std::cell::RefCell;
use std::ops::Range;

pub type Node<'r> = ast_grep_core::Node<'r, StrDoc<Python>>;
pub type Root = ast_grep_core::AstGrep<StrDoc<Python>>;

/// The tree-sitter node under an ast-grep [`Node`], for loops that are
/// cheaper on tree-sitter's own API.
pub type TsNode<'r> = tree_sitter::Node<'r>;

/// tree-sitter-python's grammar, the one ast-grep's `Python` wraps.
pub fn language() -> &'static tree_sitter::Language {
    static LANGUAGE: std::sync::OnceLock<tree_sitter::Language> = std::sync::OnceLock::new();
    LANGUAGE.get_or_init(|| tree_sitter_python::LANGUAGE.into())
}

/// Node kind and field ids, looked up once: `Node::field(name)` finds the id
/// by comparing the name with every field name of the grammar on each call,
/// which showed up first in profiles of the per-file walk.
pub struct Ids {
    pub call: u16,
    pub string: u16,
    pub assignment: u16,
    pub class_definition: u16,
    pub identifier: u16,
    pub attribute: u16,
    pub wildcard_import: u16,
    pub return_statement: u16,
    pub import_statement: u16,
    pub import_from_statement: u16,
    pub string_start: u16,
    pub string_content: u16,
    pub string_end: u16,
    pub interpolation: u16,
    pub function_definition: u16,
    pub lambda: u16,
    pub keyword_argument: u16,
    pub argument_list: u16,
    pub dictionary_splat: u16,
    pub list_splat: u16,
    pub comment: u16,
    pub open_paren: u16,
    pub close_paren: u16,
    pub comma: u16,
    pub function: u16,
    pub arguments: u16,
    pub object: u16,
    pub attribute_field: u16,
    pub left: u16,
    pub right: u16,
    pub name: u16,
    pub value: u16,
    pub parameters: u16,
    pub body: u16,
    pub module_name: u16,
    pub alias: u16,
    pub superclasses: u16,
}

pub fn ids() -> &'static Ids {
    static IDS: std::sync::OnceLock<Ids> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        let lang = language();
        let field = |f: &str| {
            lang.field_id_for_name(f)
                .expect("a tree-sitter-python field")
                .get()
        };
        let kind = |k: &str, named: bool| {
            let id = lang.id_for_node_kind(k, named);
            assert_ne!(id, 0, "a tree-sitter-python node kind: {k}");
            id
        };
        // Punctuation is an anonymous node kind.
        let token = |t: &str| kind(t, false);
        let kind = |k: &str| kind(k, true);
        Ids {
            call: kind("call"),
            string: kind("string"),
            assignment: kind("assignment"),
            class_definition: kind("class_definition"),
            identifier: kind("identifier"),
            attribute: kind("attribute"),
            wildcard_import: kind("wildcard_import"),
            return_statement: kind("return_statement"),
            import_statement: kind("import_statement"),
            import_from_statement: kind("import_from_statement"),
            string_start: kind("string_start"),
            string_content: kind("string_content"),
            string_end: kind("string_end"),
            interpolation: kind("interpolation"),
            function_definition: kind("function_definition"),
            lambda: kind("lambda"),
            keyword_argument: kind("keyword_argument"),
            argument_list: kind("argument_list"),
            dictionary_splat: kind("dictionary_splat"),
            list_splat: kind("list_splat"),
            comment: kind("comment"),
            open_paren: token("("),
            close_paren: token(")"),
            comma: token(","),
            function: field("function"),
            arguments: field("arguments"),
            object: field("object"),
            attribute_field: field("attribute"),
            left: field("left"),
            right: field("right"),
            name: field("name"),
            value: field("value"),
            parameters: field("parameters"),
            body: field("body"),
            module_name: field("module_name"),
            alias: field("alias"),
            superclasses: field("superclasses"),
        }
    })
}

thread_local! {
    // A parser keeps allocations between parses; one per worker thread.
    static PARSER: RefCell<tree_sitter::Parser> = RefCell::new({
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(language())
            .expect("tree-sitter-python matches the linked tree-sitter");
        parser
    });
}

pub fn parse(text: &str) -> Root {
    parse_with(text, None)
}

fn parse_with(text: &str, old: Option<&tree_sitter::Tree>) -> Root {
    let tree = PARSER
        .with(|p| p.borrow_mut().parse(text, old))
        .expect("a parser with a language and no timeout always returns a tree");
    Root::doc(StrDoc {
        src: text.to_string(),
        lang: Python,
        tree,
    })
}

/// One replacement in a text: `range` of the text before becomes `text`.
pub type Change<'a> = (Range<usize>, &'a str);

/// An incremental re-parse: `old`'s tree, told about the changes that made
/// `text`, is reused where the changes did not reach. `steps` are applied in
/// order, each a set of sorted, non-overlapping changes to the text the
/// previous step produced (the first to `old`'s text); the last step yields
/// `text`. tree-sitter gives the tree a fresh parse would, provided the edits
/// are described exactly: debug builds check that against a fresh parse.
pub fn reparse(old: &Root, steps: &[(&str, Vec<Change>)], text: &str) -> Root {
    let mut tree = old.root().get_doc().tree.clone();
    for (before, changes) in steps {
        describe(&mut tree, before, changes);
    }
    let root = parse_with(text, Some(&tree));
    #[cfg(debug_assertions)]
    {
        let fresh = parse(text);
        let (a, b) = (root.root().get_inner_node(), fresh.root().get_inner_node());
        assert_eq!(
            a.has_error(),
            b.has_error(),
            "incremental re-parse disagrees with a fresh parse on syntax errors"
        );
        if !b.has_error() {
            assert_eq!(a.to_sexp(), b.to_sexp(), "incremental re-parse differs");
        }
    }
    root
}

/// Tell `tree` (a tree of `before`) about `changes` to `before`. They are
/// given back to front, so each one's start is still where `before` has it.
fn describe(tree: &mut tree_sitter::Tree, before: &str, changes: &[Change]) {
    let bytes = before.as_bytes();
    // Rows and columns of each change's start and end, in one forward scan.
    let mut points = Vec::with_capacity(changes.len());
    let (mut row, mut line_start, mut at) = (0, 0, 0);
    let mut advance = |to: usize| {
        for i in memchr::memchr_iter(b'\n', &bytes[at..to]) {
            row += 1;
            line_start = at + i + 1;
        }
        at = to;
        tree_sitter::Point::new(row, to - line_start)
    };
    for (range, _) in changes {
        let start = advance(range.start);
        let end = advance(range.end);
        points.push((start, end));
    }
    for ((range, new), (start, old_end)) in changes.iter().zip(points).rev() {
        let rows = memchr::memchr_iter(b'\n', new.as_bytes()).count();
        let new_end = match memchr::memrchr(b'\n', new.as_bytes()) {
            Some(last) => tree_sitter::Point::new(start.row + rows, new.len() - last - 1),
            None => tree_sitter::Point::new(start.row, start.column + new.len()),
        };
        tree.edit(&tree_sitter::InputEdit {
            start_byte: range.start,
            old_end_byte: range.end,
            new_end_byte: range.start + new.len(),
            start_position: start,
            old_end_position: old_end,
            new_end_position: new_end,
        });
    }
}

/// The one change that turns `before` into `after`: what lies between their
/// common start and common end.
pub fn whole_change<'a>(before: &str, after: &'a str) -> Change<'a> {
    let prefix = before
        .bytes()
        .zip(after.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let suffix = before.as_bytes()[prefix..]
        .iter()
        .rev()
        .zip(after.as_bytes()[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    // Keep both ends on character boundaries.
    let mut start = prefix;
    while !before.is_char_boundary(start) || !after.is_char_boundary(start) {
        start -= 1;
    }
    let (mut end_b, mut end_a) = (before.len() - suffix, after.len() - suffix);
    while !before.is_char_boundary(end_b) || !after.is_char_boundary(end_a) {
        end_b += 1;
        end_a += 1;
    }
    (start..end_b, &after[start..end_a])
}

/// Visit `node` and everything below it in source order (pre-order), with
/// each node's kind id, but not the parts of a string literal without `{}`
/// fields (a plain string's start, content and end hold nothing codemods
/// look for, and CDK code is full of them). f-strings are entered: their
/// fields hold calls and names. `visit` returning false skips what is below
/// that node.
pub fn walk<'r>(node: &Node<'r>, mut visit: impl FnMut(&Node<'r>, u16) -> bool) {
    let ids = ids();
    let source = node.root().get_text().as_bytes();
    walk_pruned(node, |n, kind| {
        if !visit(n, kind) {
            return false;
        }
        kind != ids.string
            || source[n.range().start..]
                .iter()
                .take_while(|b| b.is_ascii_alphabetic())
                .any(|b| *b == b'f' || *b == b'F')
    });
}

/// Pre-order visit of `node` and the nodes below it; `visit` says whether
/// to go below the node it is given.
pub fn walk_pruned<'r>(node: &Node<'r>, mut visit: impl FnMut(&Node<'r>, u16) -> bool) {
    let root = node.root();
    let mut cursor = node.get_inner_node().walk();
    loop {
        let inner = cursor.node();
        let kind = inner.kind_id();
        // A leaf has no child to go to, and asking the cursor costs more.
        let enter = visit(&root.adopt(inner), kind) && inner.child_count() > 0;
        if enter && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

pub fn has_syntax_error(root: &Root) -> bool {
    root.root().get_inner_node().has_error()
}

/// 1-based line of the first syntax error, for the error message.
pub fn first_error_line(root: &Root) -> Option<usize> {
    root.root()
        .dfs()
        .find(|n| n.is_error() || n.is_missing())
        .map(|n| n.start_pos().line() + 1)
}

/// The items of a delimited, comma-separated list and where its delimiters are.
#[derive(Debug, Clone, Default)]
pub struct ListView {
    pub items: Vec<Range<usize>>,
    /// A comma after the last item.
    pub trailing_comma: Option<Range<usize>>,
    /// End of the opening `(`, when the list has one.
    pub open_end: Option<usize>,
    /// Start of the closing `)`, when the list has one.
    pub close: Option<usize>,
}

impl ListView {
    pub(crate) fn push_comma(&mut self, r: Range<usize>) {
        if self.items.last().is_some_and(|last| last.end <= r.start) {
            self.trailing_comma = Some(r);
        }
    }
    pub(crate) fn push_item(&mut self, r: Range<usize>) {
        self.trailing_comma = None;
        self.items.push(r);
    }
}

impl ListView {
    /// The pairs of a dictionary literal (`{"a": 1}`); `None` for anything
    /// else.
    pub fn of_dict(node: &Node) -> Option<Self> {
        if node.kind() != "dictionary" {
            return None;
        }
        let mut list = ListView::default();
        for child in node.children() {
            match child.kind().as_ref() {
                "{" => list.open_end = Some(child.range().end),
                "}" => list.close = Some(child.range().start),
                "," => list.push_comma(child.range()),
                "comment" => {}
                _ if child.is_named() => list.push_item(child.range()),
                _ => {}
            }
        }
        Some(list)
    }

    /// The items of a list literal (`[a, b]`); `None` for anything else.
    pub fn of_list(node: &Node) -> Option<Self> {
        if node.kind() != "list" {
            return None;
        }
        let mut list = ListView::default();
        for child in node.children() {
            match child.kind().as_ref() {
                "[" => list.open_end = Some(child.range().end),
                "]" => list.close = Some(child.range().start),
                "," => list.push_comma(child.range()),
                "comment" => {}
                _ if child.is_named() => list.push_item(child.range()),
                _ => {}
            }
        }
        Some(list)
    }
}

/// Edits that replace item `idx` with `items`, following the list's layout:
/// an item that starts its own line gets one line per new item with its
/// indent; otherwise the new items stay on its line, comma-separated.
pub fn replace_item(
    text: &str,
    list: &ListView,
    idx: usize,
    items: &[String],
    newline: &str,
) -> Vec<Edit> {
    let item = &list.items[idx];
    if items.is_empty() {
        return remove_item(text, list, idx);
    }
    let starts_line = text[line_start(text, item.start)..item.start]
        .trim()
        .is_empty();
    let sep = if starts_line {
        format!(",{newline}{}", indent_of_line(text, item.start))
    } else {
        ", ".to_string()
    };
    vec![Edit::replace(item.clone(), items.join(&sep))]
}

/// Edits that add `item` as the new last element of the list, following the
/// layout the list already has:
/// - one line: `f(a, b)` becomes `f(a, b, item)`;
/// - exploded, `)` on its own line: a new line with the last item's indent,
///   keeping (or not) a trailing comma, after any comment on the last line;
/// - hanging indent (`f(a,\n  b)`): a new line aligned with the last item.
pub fn insert_item(text: &str, list: &ListView, item: &str, newline: &str) -> Vec<Edit> {
    insert_items(text, list, &[item], newline)
}

/// Like [`insert_item`] for several items: one line each in an exploded or
/// hanging list, comma-separated on a one-line list.
///
/// Where the insertion is a single edit that begins with its own separator
/// (or ends with the list's trailing comma), another append at the same
/// offset written after it stays valid, so the edit is marked as appending
/// (see [`Edit::appends`]) and several codemods' arguments land in one pass.
pub fn insert_items(text: &str, list: &ListView, items: &[&str], newline: &str) -> Vec<Edit> {
    let names = || items.iter().map(|i| item_name(i).to_string()).collect();
    let Some(last) = list.items.last() else {
        let at = list.open_end.unwrap_or(0);
        return vec![Edit::insert(at, items.join(", "))];
    };
    let last_line = line_start(text, last.end);
    let starts_line = text[line_start(text, last.start)..last.start]
        .trim()
        .is_empty();
    // `f(a, b,` with `)` alone below: the items share the opening line, so
    // a new one joins them there (a new line would be indented like `)`).
    let on_opening_line = list
        .open_end
        .is_some_and(|o| line_start(text, o) == line_start(text, last.start));
    let exploded = !on_opening_line && list.close.is_some_and(|c| line_start(text, c) != last_line);
    // A list without brackets (`from m import a, \` continued) can only grow
    // on its last line: a new line there would need its own backslash.
    let hanging = list
        .open_end
        .is_some_and(|o| starts_line && line_start(text, o) != line_start(text, last.start));
    let indent = indent_of_line(text, last.start);
    let edit = if exploded {
        let item = items.join(&format!(",{newline}{indent}"));
        let anchor = list.trailing_comma.as_ref().map_or(last.end, |c| c.end);
        let eol = line_end(text, anchor);
        let tail = if list.trailing_comma.is_some() {
            ","
        } else {
            ""
        };
        let new_line = format!("{newline}{indent}{item}{tail}");
        // Only blanks after the last item (trailing whitespace, not a
        // comment): the line ends there.
        if list.trailing_comma.is_none() && text[last.end..eol].trim().is_empty() {
            Edit::insert(last.end, format!(",{new_line}"))
        } else if list.trailing_comma.is_none() {
            // A comment ends the last line: the comma goes before it, the
            // item after it. Two edits, so it does not compose.
            return vec![Edit::insert(last.end, ","), Edit::insert(eol, new_line)];
        } else {
            Edit::insert(eol, new_line)
        }
    } else if hanging {
        let item = items.join(&format!(",{newline}{indent}"));
        match &list.trailing_comma {
            Some(c) => Edit::insert(c.end, format!("{newline}{indent}{item},")),
            None => Edit::insert(last.end, format!(",{newline}{indent}{item}")),
        }
    } else {
        let item = items.join(", ");
        match &list.trailing_comma {
            Some(c) => Edit::insert(c.end, format!(" {item},")),
            None => Edit::insert(last.end, format!(", {item}")),
        }
    };
    vec![edit.appending(names())]
}

/// What names a list item for [`Edit::appends`]: a keyword argument's name,
/// else the item's text.
fn item_name(item: &str) -> &str {
    match item.split_once('=') {
        Some((name, _)) if crate::catalogue::is_identifier(name.trim()) => name.trim(),
        _ => item.trim(),
    }
}

/// Edits that remove item `idx` and its separator. An item alone on its line
/// goes with its whole line (including a comment about it there).
pub fn remove_item(text: &str, list: &ListView, idx: usize) -> Vec<Edit> {
    let item = &list.items[idx];
    let ls = line_start(text, item.start);
    let alone_before = text[ls..item.start].trim().is_empty();
    let rest = &text[item.end..];
    let after = rest.trim_start_matches([' ', '\t']);
    let after = after.strip_prefix(',').unwrap_or(after);
    let after = after.trim_start_matches([' ', '\t']);
    let alone_after = after.is_empty()
        || after.starts_with('#')
        || after.starts_with('\n')
        || after.starts_with("\r\n");
    if alone_before && alone_after && ls > 0 {
        let eol = line_end(text, item.end);
        let eol = if after.starts_with('#') {
            eol
        } else {
            eol.max(item.end)
        };
        let mut end = eol;
        if text[end..].starts_with("\r\n") {
            end += 2;
        } else if text[end..].starts_with('\n') {
            end += 1;
        }
        return vec![Edit::delete(ls..end)];
    }
    if idx > 0 {
        vec![Edit::delete(list.items[idx - 1].end..item.end)]
    } else if let Some(next) = list.items.get(1) {
        vec![Edit::delete(item.start..next.start)]
    } else {
        let end = list.trailing_comma.as_ref().map_or(item.end, |c| c.end);
        vec![Edit::delete(item.start..end)]
    }
}

/// A call and its arguments.
pub struct CallView<'r> {
    pub node: Node<'r>,
    pub func: Node<'r>,
    pub list: ListView,
    pub positional: Vec<Node<'r>>,
    /// Keyword arguments: name, the whole `name=value` node, and the value.
    pub kwargs: Vec<(&'r str, Node<'r>, Node<'r>)>,
    /// `**mapping` or `*sequence`: the call may already hold any keyword.
    pub has_splat: bool,
}

impl<'r> CallView<'r> {
    pub fn new(node: Node<'r>) -> Option<Self> {
        let ids = ids();
        let func = node.child_by_field_id(ids.function)?;
        let args = node.child_by_field_id(ids.arguments)?;
        if args.kind_id() != ids.argument_list {
            return None;
        }
        let text = node.root().get_text();
        let mut list = ListView::default();
        let mut positional = Vec::new();
        let mut kwargs = Vec::new();
        let mut has_splat = false;
        for child in args.children() {
            let kind = child.kind_id();
            match () {
                _ if kind == ids.open_paren => list.open_end = Some(child.range().end),
                _ if kind == ids.close_paren => list.close = Some(child.range().start),
                _ if kind == ids.comma => list.push_comma(child.range()),
                _ if kind == ids.comment => {}
                _ if kind == ids.keyword_argument => {
                    list.push_item(child.range());
                    if let (Some(name), Some(value)) = (
                        child.child_by_field_id(ids.name),
                        child.child_by_field_id(ids.value),
                    ) {
                        kwargs.push((&text[name.range()], child.clone(), value));
                    }
                }
                _ if kind == ids.dictionary_splat || kind == ids.list_splat => {
                    list.push_item(child.range());
                    has_splat = true;
                }
                _ if child.is_named() => {
                    list.push_item(child.range());
                    positional.push(child);
                }
                _ => {}
            }
        }
        Some(CallView {
            node,
            func,
            list,
            positional,
            kwargs,
            has_splat,
        })
    }

    pub fn kwarg(&self, name: &str) -> Option<&Node<'r>> {
        self.kwargs
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, v)| v)
    }

    pub fn has_kwarg(&self, name: &str) -> bool {
        self.kwargs.iter().any(|(n, _, _)| *n == name)
    }

    /// Index of keyword argument `name` among the list's items.
    pub fn item_index(&self, name: &str) -> Option<usize> {
        let (_, node, _) = self.kwargs.iter().find(|(n, _, _)| *n == name)?;
        let r = node.range();
        self.list.items.iter().position(|i| *i == r)
    }

    /// The scope argument of a construct call: the first positional one, or
    /// `scope=`.
    pub fn scope_arg(&self) -> Option<&Node<'r>> {
        self.positional.first().or_else(|| self.kwarg("scope"))
    }

    /// The construct id argument: the second positional one, or `id=`.
    pub fn id_arg(&self) -> Option<&Node<'r>> {
        self.positional.get(1).or_else(|| self.kwarg("id"))
    }

    /// The construct id when it is a plain string literal
    /// (`Bucket(self, "Logs")`, `Bucket(scope=self, id="Logs")`).
    pub fn construct_id(&self) -> Option<String> {
        string_literal_value(self.id_arg()?)
    }
}

/// A double-quoted Python string literal holding `value`.
pub fn py_str(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Python string literal holding `value`, quoted like `like` (another
/// literal of the file) so new strings match their neighbours.
pub fn py_str_like(value: &str, like: &str) -> String {
    let single = like
        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .starts_with('\'');
    if !single {
        return py_str(value);
    }
    let inner = py_str(value);
    let inner = &inner[1..inner.len() - 1];
    format!("'{}'", inner.replace("\\\"", "\"").replace('\'', "\\'"))
}

/// The value of a plain (non-f, non-concatenated) string literal.
pub fn string_literal_value(node: &Node) -> Option<String> {
    let ids = ids();
    if node.kind_id() != ids.string {
        return None;
    }
    let text = node.root().get_text();
    let mut value = String::new();
    for child in node.children() {
        let kind = child.kind_id();
        if kind == ids.string_start {
            if text[child.range()].contains(['f', 'F']) {
                return None;
            }
        } else if kind == ids.string_content {
            value.push_str(&text[child.range()]);
        } else if kind != ids.string_end {
            return None;
        }
    }
    Some(value)
}

/// One string literal (not an implicit concatenation) taken apart.
pub struct StringParts<'r> {
    /// The whole literal, prefix and quotes included.
    pub range: Range<usize>,
    /// The prefix letters before the quote (`f`, `rb`, or none), as written.
    pub prefix: String,
    /// The text between the quotes.
    pub body: Range<usize>,
    /// An f-string's `{...}` parts, in order.
    pub interpolations: Vec<Node<'r>>,
}

impl StringParts<'_> {
    pub fn is_f(&self) -> bool {
        self.prefix.contains(['f', 'F'])
    }
    pub fn is_bytes(&self) -> bool {
        self.prefix.contains(['b', 'B'])
    }
    /// The body without its interpolations: what the literal surely holds.
    pub fn static_text(&self, text: &str) -> String {
        let mut out = String::new();
        let mut pos = self.body.start;
        for i in &self.interpolations {
            out.push_str(&text[pos..i.range().start]);
            pos = i.range().end;
        }
        out.push_str(&text[pos..self.body.end]);
        out
    }
}

/// The parts of a `string` node; `None` for anything else (a concatenation,
/// a name, a call).
pub fn string_parts<'r>(node: &Node<'r>) -> Option<StringParts<'r>> {
    let ids = ids();
    if node.kind_id() != ids.string {
        return None;
    }
    let (mut start, mut end) = (None, None);
    let mut interpolations = Vec::new();
    for child in node.children() {
        let kind = child.kind_id();
        if kind == ids.string_start {
            start = Some(child);
        } else if kind == ids.string_end {
            end = Some(child.range().start);
        } else if kind == ids.interpolation {
            interpolations.push(child);
        }
    }
    let start = start?;
    let opening = &node.root().get_text()[start.range()];
    let prefix = opening.trim_end_matches(['"', '\'']).to_string();
    Some(StringParts {
        range: node.range(),
        prefix,
        body: start.range().end..end?,
        interpolations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::apply_edits;

    fn call_list(src: &str) -> ListView {
        let root = parse(src);
        let call = root.root().dfs().find(|n| n.kind() == "call").unwrap();
        CallView::new(call).unwrap().list
    }

    fn insert(src: &str) -> String {
        let list = call_list(src);
        apply_edits(src, &insert_item(src, &list, "k=1", "\n"))
    }

    #[test]
    fn insert_one_line() {
        assert_eq!(insert("f(a, b)\n"), "f(a, b, k=1)\n");
        assert_eq!(insert("f(a, b,)\n"), "f(a, b, k=1,)\n");
        assert_eq!(insert("f()\n"), "f(k=1)\n");
    }

    #[test]
    fn insert_exploded() {
        assert_eq!(
            insert("f(\n    a,\n    b,\n)\n"),
            "f(\n    a,\n    b,\n    k=1,\n)\n"
        );
        assert_eq!(
            insert("f(\n    a,\n    b\n)\n"),
            "f(\n    a,\n    b,\n    k=1\n)\n"
        );
        assert_eq!(
            insert("f(\n    a,\n    b,  # why\n)\n"),
            "f(\n    a,\n    b,  # why\n    k=1,\n)\n"
        );
        assert_eq!(
            insert("f(\n    a,\n    b  # why\n)\n"),
            "f(\n    a,\n    b,  # why\n    k=1\n)\n"
        );
    }

    #[test]
    fn insert_next_to_items_sharing_the_opening_line() {
        assert_eq!(insert("f(a, b,\n)\n"), "f(a, b, k=1,\n)\n");
        assert_eq!(insert("x = f(a, b\n)\n"), "x = f(a, b, k=1\n)\n");
    }

    #[test]
    fn insert_several() {
        let src = "f(\n    a,\n)\n";
        let out = apply_edits(
            src,
            &insert_items(src, &call_list(src), &["x=1", "y=2"], "\n"),
        );
        assert_eq!(out, "f(\n    a,\n    x=1,\n    y=2,\n)\n");
        let src = "f(a)\n";
        let out = apply_edits(
            src,
            &insert_items(src, &call_list(src), &["x=1", "y=2"], "\n"),
        );
        assert_eq!(out, "f(a, x=1, y=2)\n");
    }

    /// Appends computed on the same text compose when applied together.
    #[test]
    fn appends_compose() {
        for src in [
            "f(a, b)\n",
            "f(a, b,)\n",
            "f(\n    a,\n    b,\n)\n",
            "f(\n    a,\n    b\n)\n",
            "f(\n    a,\n    b,  # why\n)\n",
            "f(a,\n  b)\n",
        ] {
            let list = call_list(src);
            let mut edits = insert_item(src, &list, "x=1", "\n");
            edits.extend(insert_item(src, &list, "y=2", "\n"));
            assert!(!edits[0].conflicts(&edits[1]), "{src:?}");
            let one_by_one = {
                let first = apply_edits(src, &insert_item(src, &list, "x=1", "\n"));
                apply_edits(
                    &first,
                    &insert_item(&first, &call_list(&first), "y=2", "\n"),
                )
            };
            assert_eq!(apply_edits(src, &edits), one_by_one, "{src:?}");
        }
        // A comment after the last item without a trailing comma: two edits.
        let src = "f(\n    a,\n    b  # why\n)\n";
        let list = call_list(src);
        let x = insert_item(src, &list, "x=1", "\n");
        let y = insert_item(src, &list, "y=2", "\n");
        assert!(x.iter().any(|e| y.iter().any(|f| e.conflicts(f))));
        // The same keyword twice never composes.
        let src = "f(a)\n";
        let list = call_list(src);
        let x = insert_item(src, &list, "x=1", "\n");
        let x2 = insert_item(src, &list, "x = 2", "\n");
        assert!(x[0].conflicts(&x2[0]));
    }

    #[test]
    fn insert_hanging() {
        assert_eq!(insert("f(a,\n  b)\n"), "f(a,\n  b,\n  k=1)\n");
        let src = "from m import a, \\\n    b\n";
        let imports = crate::imports::Imports::collect(&parse(src));
        let need = crate::imports::ImportNeed {
            module: "m".into(),
            name: "c".into(),
        };
        assert_eq!(
            apply_edits(src, &imports.edits_for(&[need], src, "\n")),
            "from m import a, \\\n    b, c\n"
        );
    }

    #[test]
    fn remove_items() {
        let rm = |src: &str, idx| apply_edits(src, &remove_item(src, &call_list(src), idx));
        assert_eq!(rm("f(a, b, c)\n", 1), "f(a, c)\n");
        assert_eq!(rm("f(a, b, c)\n", 0), "f(b, c)\n");
        assert_eq!(rm("f(a, b, c)\n", 2), "f(a, b)\n");
        assert_eq!(
            rm("f(\n    a,\n    b,  # x\n    c,\n)\n", 1),
            "f(\n    a,\n    c,\n)\n"
        );
        assert_eq!(rm("f(\n    a,\n    b\n)\n", 1), "f(\n    a,\n)\n");
        assert_eq!(rm("f(a,\n  b)\n", 1), "f(a)\n");
    }

    fn list_of(src: &str) -> ListView {
        let root = parse(src);
        let list = root.root().dfs().find(|n| n.kind() == "list").unwrap();
        ListView::of_list(&list).unwrap()
    }

    #[test]
    fn replace_list_items() {
        let rep = |src: &str, idx, items: &[&str]| {
            let items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
            apply_edits(src, &replace_item(src, &list_of(src), idx, &items, "\n"))
        };
        assert_eq!(rep("x = [a, b]\n", 0, &["c", "d"]), "x = [c, d, b]\n");
        assert_eq!(rep("x = [a]\n", 0, &["c"]), "x = [c]\n");
        assert_eq!(
            rep("x = [\n    a,\n    b,\n]\n", 1, &["c", "d"]),
            "x = [\n    a,\n    c,\n    d,\n]\n"
        );
        assert_eq!(
            rep("x = [\n    a,  # why\n]\n", 0, &["c", "d"]),
            "x = [\n    c,\n    d,  # why\n]\n"
        );
        assert_eq!(rep("x = [a, b]\n", 1, &[]), "x = [a]\n");
        assert!(ListView::of_list(&parse("x = (a,)\n").root()).is_none());
    }

    #[test]
    fn string_literals_keep_the_quote_style() {
        assert_eq!(py_str_like("s3:GetObject", "'s3:*'"), "'s3:GetObject'");
        assert_eq!(py_str_like("s3:GetObject", "\"s3:*\""), "\"s3:GetObject\"");
        assert_eq!(py_str_like("it's \"q\"", "'x'"), "'it\\'s \"q\"'");
        assert_eq!(py_str_like("a", "r'x'"), "'a'");
    }

    #[test]
    fn python_string_literals() {
        assert_eq!(py_str("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(py_str("prod"), "\"prod\"");
    }

    #[test]
    fn walk_visits_what_dfs_does_but_inside_plain_strings() {
        let src = "x = f(\"a\", f\"{g(1)}\", y=[h()])\n# note\n";
        let root = parse(src);
        let mut walked = Vec::new();
        walk(&root.root(), |n, _| {
            walked.push(n.range());
            true
        });
        let plain = root.root().dfs().find(|n| n.text() == "\"a\"").unwrap();
        let expected: Vec<_> = root
            .root()
            .dfs()
            .filter(|n| {
                n.range() == plain.range()
                    || !(plain.range().start <= n.range().start
                        && n.range().end <= plain.range().end)
            })
            .map(|n| n.range())
            .collect();
        assert_eq!(walked, expected);
        let calls = walked
            .iter()
            .filter(|r| src[(*r).clone()].starts_with("g("))
            .count();
        assert_eq!(calls, 1, "calls inside f-strings are visited");
    }

    #[test]
    fn string_literals() {
        let root = parse("x = ('a', f'b', 'c' 'd')\n");
        let strings: Vec<_> = root
            .root()
            .dfs()
            .filter(|n| n.kind() == "string")
            .map(|n| string_literal_value(&n))
            .collect();
        assert_eq!(strings[0].as_deref(), Some("a"));
        assert_eq!(strings[1], None);
    }

    #[test]
    fn string_parts_split_prefix_body_and_interpolations() {
        let src = "x = (f'{a}-b.fifo', rb\"x\", \"\"\"doc\"\"\")\n";
        let root = parse(src);
        let parts: Vec<_> = root.root().dfs().filter_map(|n| string_parts(&n)).collect();
        assert_eq!(parts.len(), 3);
        assert!(parts[0].is_f() && !parts[0].is_bytes());
        assert_eq!(&src[parts[0].body.clone()], "{a}-b.fifo");
        assert_eq!(parts[0].static_text(src), "-b.fifo");
        assert!(parts[1].is_bytes() && parts[1].prefix == "rb");
        assert_eq!(&src[parts[2].body.clone()], "doc");
        assert_eq!(parts[2].prefix, "");
    }
}
