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
        class
            .child_by_field_id(crate::pyast::ids().superclasses)
            .is_some_and(|bases| {
                bases.children().any(|b| {
                    ctx.imports
                        .resolve(&b)
                        .is_some_and(|fqn| self.params.stacks.contains(&fqn))
                })
            })
    }
}

/// Keys of the tags a class already puts on itself: `Tags.of(self).add("Key", ...)`,
/// `self.tags.set_tag("Key", ...)`, or `tags={"Key": ...}` passed to
/// `super().__init__`. `None` when it tags itself with keys computed at run
/// time (a loop over a dict, `tags=props.tags`): then it may already set any.
fn own_tag_keys(
    class: &Node,
    super_call: Option<&Node>,
    ctx: &FileCtx,
) -> Option<BTreeSet<String>> {
    let mut keys = BTreeSet::new();
    let class_range = class.range();
    let inside = |c: &&Node| {
        let r = c.range();
        class_range.start <= r.start && r.end <= class_range.end
    };
    let index = ctx.index();
    for node in index.method_calls("add").iter().filter(inside) {
        let Some(add) = CallView::new(node.clone()) else {
            continue;
        };
        let Some(of) = add
            .func
            .field("object")
            .filter(|t| t.kind() == "call")
            .and_then(CallView::new)
        else {
            continue;
        };
        let tags_self = ctx.imports.resolve(&of.func).as_deref() == Some(TAGS_OF)
            && of.positional.first().is_some_and(|a| a.text() == "self");
        if !tags_self {
            continue;
        }
        let key = add.positional.first().or_else(|| add.kwarg("key"));
        keys.insert(key.and_then(string_literal_value)?);
    }
    for node in index.method_calls("set_tag").iter().filter(inside) {
        let Some(set) = CallView::new(node.clone()) else {
            continue;
        };
        if set
            .func
            .field("object")
            .is_some_and(|o| o.text() == "self.tags")
        {
            let key = set.positional.first().or_else(|| set.kwarg("key"));
            keys.insert(key.and_then(string_literal_value)?);
        }
    }
    let passed = super_call
        .and_then(|s| s.dfs().find(|n| n.kind() == "call"))
        .and_then(CallView::new)
        .and_then(|c| c.kwarg("tags").cloned());
    if let Some(tags) = passed {
        if tags.kind() != "dictionary" {
            return None;
        }
        for pair in tags.children().filter(|c| c.kind() == "pair") {
            keys.insert(pair.field("key").as_ref().and_then(string_literal_value)?);
        }
    }
    Some(keys)
}

/// A tag value: a literal, or a template naming the environment.
enum TagValue {
    Literal(String),
    /// The configured value, holding `{environment}` somewhere.
    Environment(String),
}

impl TagValue {
    fn of(value: &str) -> Self {
        if value.contains(ENVIRONMENT) {
            TagValue::Environment(value.to_string())
        } else {
            TagValue::Literal(value.to_string())
        }
    }

    /// The Python expression, given the environment name's expression.
    fn render(&self, env: Option<&str>) -> String {
        match (self, env) {
            (TagValue::Literal(v), _) => py_str(v),
            (TagValue::Environment(t), Some(env)) if t == ENVIRONMENT => env.to_string(),
            (TagValue::Environment(t), Some(env)) => {
                let parts: Vec<String> = t
                    .split(ENVIRONMENT)
                    .map(|p| {
                        let q = py_str(p);
                        q[1..q.len() - 1].replace('{', "{{").replace('}', "}}")
                    })
                    .collect();
                format!("f\"{}\"", parts.join(&format!("{{{env}}}")))
            }
            (TagValue::Environment(_), None) => unreachable!("the environment is found first"),
        }
    }
}

/// Whether `__init__` can return before its last statement: a `return` of
/// its own (not of a nested function).
fn returns_early(body: &Node) -> bool {
    if !body.text().contains("return") {
        return false;
    }
    let ids = crate::pyast::ids();
    let mut found = false;
    // Nested functions and lambdas are not entered: their returns are theirs.
    crate::pyast::walk_pruned(body, |_, kind| {
        found |= kind == ids.return_statement;
        !found && kind != ids.function_definition && kind != ids.lambda
    });
    found
}

impl Codemod for StackTags {
    fn classes(&self) -> bool {
        true
    }

    fn on_class<'r>(&self, class: &Node<'r>, ctx: &FileCtx<'_, 'r>, out: &mut Vec<Finding>) {
        if !self.is_stack(class, ctx) {
            return;
        }
        let ids = crate::pyast::ids();
        let Some(init) = class.child_by_field_id(ids.body).and_then(|body| {
            body.children().find(|f| {
                f.kind_id() == ids.function_definition
                    && f.child_by_field_id(ids.name)
                        .is_some_and(|n| n.text() == "__init__")
            })
        }) else {
            return;
        };
        let Some(body) = init.child_by_field_id(ids.body) else {
            return;
        };
        let statements: Vec<Node> = body
            .children()
            .filter(|c| c.is_named() && c.kind() != "comment")
            .collect();
        let (Some(first), Some(last)) = (statements.first(), statements.last()) else {
            return;
        };

        let super_call = statements.iter().find(|stmt| {
            stmt.kind() == "expression_statement"
                && stmt.text().trim_start().starts_with("super(")
                && stmt.text().contains("__init__")
        });
        let Some(present) = own_tag_keys(class, super_call, ctx) else {
            return;
        };
        let mut wanted: Vec<(String, TagValue)> = vec![(
            self.params.environment_tag.clone(),
            TagValue::of(ENVIRONMENT),
        )];
        for (key, value) in &ctx.options.tags {
            match wanted.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = TagValue::of(value),
                None => wanted.push((key.clone(), TagValue::of(value))),
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
            out.push(
                finding.note(
                    "not rewritten: `__init__` is written on one line, with no block to add to",
                ),
            );
            return;
        }
        // Tags apply to the whole scope whenever they are added, so after an
        // early `return` they would be missed: then they go right after
        // `super().__init__(...)`.
        let anchor = if returns_early(&body) {
            match super_call {
                Some(s) => s,
                None => {
                    out.push(finding.note(
                        "not rewritten: `__init__` can return early and calls no `super().__init__(...)` to tag after",
                    ));
                    return;
                }
            }
        } else {
            last
        };
        let needs_env = wanted
            .iter()
            .any(|(_, v)| matches!(v, TagValue::Environment(_)));
        let env = if needs_env {
            match environment::find_in(&init, anchor, ctx) {
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
        let Some(tags) = ctx.spell("aws_cdk.Tags") else {
            out.push(finding.note("not rewritten: `Tags` clashes with a local name"));
            return;
        };
        let env_expr = env.as_ref().map(|e| e.expr.as_str());
        if wanted
            .iter()
            .any(|(_, v)| matches!(v, TagValue::Environment(t) if t != ENVIRONMENT))
            && env_expr.is_some_and(|e| !e.split('.').all(crate::catalogue::is_identifier))
        {
            out.push(
                finding.note(
                    "not rewritten: the environment name cannot be written inside an f-string",
                ),
            );
            return;
        }
        let indent = indent_of_line(ctx.text, first.range().start);
        let mut added = String::new();
        for (key, value) in &wanted {
            added.push_str(&format!(
                "{nl}{indent}{t}.of(self).add({k}, {v})",
                nl = ctx.newline,
                t = tags.text,
                k = py_str(key),
                v = value.render(env_expr),
            ));
        }
        let mut edits: Vec<Edit> = env.and_then(|e| e.introduce).into_iter().collect();
        let end = line_end(ctx.text, anchor.range().end);
        // The variable's introduction and the tags may meet at one offset (when
        // `super().__init__` is the anchor): one edit keeps their order.
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
