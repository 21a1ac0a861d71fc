//! Stack classes that never tag themselves get `Tags.of(self).add(...)` for
//! the environment name and the configured tags, at the end of `__init__`.

use super::environment;
use super::{Codemod, FileCtx, Finding};
use crate::pyast::{CallView, Node, py_str, string_literal_value};
use crate::source::{Edit, indent_of_line, line_end, starts_line};
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Base classes that make a class a stack.
    stacks: Vec<String>,
    /// The tag that carries the environment name.
    environment_tag: String,
}

pub struct StackTags {
    params: Params,
}

const TAGS_OF: &str = "aws_cdk.Tags.of";
/// A configured tag value naming the stack's environment name.
const ENVIRONMENT: &str = "{environment}";

impl StackTags {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("stack-tags", params)?;
        crate::catalogue::check_constructs(&params.stacks)?;
        Ok(StackTags { params })
    }

    fn is_stack(&self, class: &Node, ctx: &FileCtx) -> bool {
        class.field("superclasses").is_some_and(|bases| {
            bases.children().any(|b| {
                ctx.imports
                    .resolve(&b)
                    .is_some_and(|fqn| self.params.stacks.contains(&fqn))
            })
        })
    }
}

/// Keys of the tags a class already puts on itself: `Tags.of(self).add("Key", ...)`.
fn own_tag_keys(class: &Node, ctx: &FileCtx) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let class_range = class.range();
    let adds = ctx.index().method_calls("add").iter().filter(|c| {
        let r = c.range();
        class_range.start <= r.start && r.end <= class_range.end
    });
    for node in adds {
        let Some(add) = CallView::new(node.clone()) else {
            continue;
        };
        let Some(target) = add.func.field("object") else {
            continue;
        };
        if add
            .func
            .field("attribute")
            .is_none_or(|a| a.text() != "add")
            || target.kind() != "call"
        {
            continue;
        }
        let Some(of) = CallView::new(target) else {
            continue;
        };
        let tags_self = ctx.imports.resolve(&of.func).as_deref() == Some(TAGS_OF)
            && of.positional.first().is_some_and(|a| a.text() == "self");
        let key = add.positional.first().or_else(|| add.kwarg("key"));
        if let (true, Some(key)) = (tags_self, key.and_then(string_literal_value)) {
            keys.insert(key);
        }
    }
    keys
}

impl Codemod for StackTags {
    fn classes(&self) -> bool {
        true
    }

    fn on_class<'r>(&self, class: &Node<'r>, ctx: &FileCtx<'_, 'r>, out: &mut Vec<Finding>) {
        if !self.is_stack(class, ctx) {
            return;
        }
        let Some(init) = class.field("body").and_then(|body| {
            body.children().find(|f| {
                f.kind() == "function_definition"
                    && f.field("name").is_some_and(|n| n.text() == "__init__")
            })
        }) else {
            return;
        };
        let Some(body) = init.field("body") else {
            return;
        };
        let statements: Vec<Node> = body
            .children()
            .filter(|c| c.is_named() && c.kind() != "comment")
            .collect();
        let (Some(first), Some(last)) = (statements.first(), statements.last()) else {
            return;
        };

        let present = own_tag_keys(class, ctx);
        let mut wanted: Vec<(String, Option<String>)> =
            vec![(self.params.environment_tag.clone(), None)];
        for (key, value) in &ctx.options.tags {
            let value = (value != ENVIRONMENT).then(|| py_str(value));
            match wanted.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = value,
                None => wanted.push((key.clone(), value)),
            }
        }
        wanted.retain(|(k, _)| !present.contains(k) && !ctx.options.project_tag_keys.contains(k));
        if wanted.is_empty() {
            return;
        }
        let finding = Finding {
            codemod: 0,
            at: class.range().start,
            note: None,
            fix: None,
            construct_id: None,
        };
        if !starts_line(ctx.text, first.range().start) {
            out.push(finding.note(
                "not rewritten: `__init__` is written on one line, with no block to add to",
            ));
            return;
        }
        let env = if wanted.iter().any(|(_, v)| v.is_none()) {
            match environment::find(last, ctx) {
                Some(env) => Some(env),
                None => {
                    out.push(finding.note(
                        "not rewritten: no environment name in scope after `super().__init__(...)`",
                    ));
                    return;
                }
            }
        } else {
            None
        };
        let Some(tags) = ctx.imports.spell("aws_cdk.Tags") else {
            out.push(finding.note("not rewritten: `Tags` clashes with a local name"));
            return;
        };
        let indent = indent_of_line(ctx.text, first.range().start);
        let mut added = String::new();
        for (key, value) in &wanted {
            let value = value
                .clone()
                .unwrap_or_else(|| env.as_ref().expect("found above").expr.clone());
            added.push_str(&format!(
                "{nl}{indent}{t}.of(self).add({k}, {value})",
                nl = ctx.newline,
                t = tags.text,
                k = py_str(key),
            ));
        }
        let mut edits: Vec<Edit> = env.and_then(|e| e.introduce).into_iter().collect();
        let end = line_end(ctx.text, last.range().end);
        // The variable's introduction and the tags may meet at one offset (when
        // `super().__init__` is the last statement): one edit keeps their order.
        match edits.first_mut() {
            Some(intro) if intro.range.start == end => intro.text.push_str(&added),
            _ => edits.push(Edit::insert(end, added)),
        }
        let keys: Vec<&str> = wanted.iter().map(|(k, _)| k.as_str()).collect();
        out.push(
            finding
                .note(format!("add tags {}", keys.join(", ")))
                .fix(edits, tags.need.into_iter().collect()),
        );
    }
}
