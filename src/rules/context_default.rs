//! `node.try_get_context("key")` read without a default: `None` flows into
//! the app whenever the key is not passed. When the app's `cdk.json` (a
//! project fact the command line adds) has the key, the lookup gets
//! `or <that value>`; otherwise it is reported. A lookup already followed by
//! `or ...`, or used as a test (`if ...`, `== "prod"`, `not ...`), is left
//! alone: there `None` is an answer, not a missing value.

use super::{Codemod, FileCtx, Finding};
use crate::pyast::{CallView, Node, py_str_like, string_literal_value};
use crate::source::Edit;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// `try_get_context`
    method: String,
}

pub struct ContextDefault {
    params: Params,
}

impl ContextDefault {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("context-default", params)?;
        crate::catalogue::check_identifiers(std::slice::from_ref(&params.method))?;
        Ok(ContextDefault { params })
    }
}

/// How the value of a lookup is used.
#[derive(Debug, PartialEq)]
enum Use {
    /// `lookup or default`: it has a default.
    Defaulted,
    /// A truth test or comparison: `None` is a meaningful answer.
    Test,
    /// A statement of its own: the value is not used.
    Discarded,
    /// A value; `bare` when `lookup or default` can replace it without
    /// parentheses.
    Value { bare: bool },
}

fn usage(call: &Node) -> Use {
    // Whether `lookup or default` can stand where the call is without
    // parentheses: decided by the node right around it.
    let bare = call.parent().is_some_and(|p| {
        matches!(
            p.kind().as_ref(),
            "assignment"
                | "keyword_argument"
                | "argument_list"
                | "return_statement"
                | "interpolation"
                | "parenthesized_expression"
                | "list"
                | "tuple"
                | "pair"
        )
    });
    // Parentheses and `and` / `or` chains pass the value on; what encloses
    // them decides how it is used.
    let mut node = call.clone();
    while let Some(parent) = node.parent() {
        let is = |field: &str| {
            parent
                .field(field)
                .is_some_and(|c| c.range() == node.range())
        };
        match parent.kind().as_ref() {
            "boolean_operator" => {
                let or = parent.field("operator").is_some_and(|o| o.text() == "or");
                if or && is("left") {
                    return Use::Defaulted;
                }
            }
            "parenthesized_expression" => {}
            "if_statement" | "elif_clause" | "while_statement" if is("condition") => {
                return Use::Test;
            }
            "conditional_expression" => {
                // `a if <test> else b`: the test is the middle operand.
                let test = parent.children().filter(|c| c.is_named()).nth(1);
                let is_test = test.is_some_and(|t| t.range() == node.range());
                return if is_test {
                    Use::Test
                } else {
                    Use::Value { bare }
                };
            }
            "comparison_operator" | "not_operator" | "assert_statement" => return Use::Test,
            "expression_statement" => return Use::Discarded,
            _ => return Use::Value { bare },
        }
        node = parent;
    }
    Use::Value { bare }
}

/// The Python literal for a context value, when defaulting to it is safe:
/// strings, numbers and `false`. `true` is not (`x or True` would also
/// override an explicit `false`); `null`, lists and objects are left to a
/// person.
fn literal(value: &Value, quote_like: &str) -> Result<String, &'static str> {
    match value {
        Value::String(s) => Ok(py_str_like(s, quote_like)),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(false) => Ok("False".into()),
        Value::Bool(true) => Err("`or True` would also override an explicit `false`"),
        Value::Null => Err("its value is `null`"),
        Value::Array(_) | Value::Object(_) => Err("its value is a list or an object"),
    }
}

/// The quote a new string literal needs: inside an f-string's `{...}`, the
/// one the f-string does not use (older Pythons cannot nest the same quote).
fn quote_for(call: &Node) -> &'static str {
    let fstring = call.ancestors().find(|n| n.kind() == "string");
    match fstring.map(|s| {
        s.text()
            .trim_start_matches(char::is_alphabetic)
            .starts_with('"')
    }) {
        Some(true) => "'",
        _ => "\"",
    }
}

impl Codemod for ContextDefault {
    fn methods(&self) -> Vec<String> {
        vec![self.params.method.clone()]
    }

    fn on_method<'r>(
        &self,
        call: &CallView<'r>,
        receiver: &Node<'r>,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        // `<x>.node.try_get_context(...)` or `Node.of(x).try_get_context(...)`.
        let on_node = match receiver.kind().as_ref() {
            "attribute" => receiver
                .field("attribute")
                .is_some_and(|a| a.text() == "node"),
            "call" => receiver
                .field("function")
                .and_then(|f| ctx.imports.resolve(&f))
                .is_some_and(|f| f == "constructs.Node.of"),
            _ => false,
        };
        let key = match (call.positional.as_slice(), call.kwargs.as_slice()) {
            ([key], []) => key,
            ([], [(name, _, key)]) if *name == "key" => key,
            _ => return,
        };
        if !on_node || call.has_splat {
            return;
        }
        let bare = match usage(&call.node) {
            Use::Defaulted | Use::Test | Use::Discarded => return,
            Use::Value { bare } => bare,
        };
        let finding = Finding::new(call);
        let Some(key) = string_literal_value(key) else {
            out.push(finding.note(
                "not rewritten: the key is not a string literal; give the lookup a default (`or ...`)",
            ));
            return;
        };
        let Some(context) = &ctx.options.project_context else {
            out.push(finding.note(format!(
                "not rewritten: no cdk.json found for this file, so no default is known; add `or <default>` or put `{key}` in cdk.json's context"
            )));
            return;
        };
        let Some(value) = context.get(&key) else {
            out.push(finding.note(format!(
                "not rewritten: cdk.json's context has no `{key}`, so the value only comes from `-c {key}=...`; add `or <default>`, or handle `None`"
            )));
            return;
        };
        let default = match literal(value, quote_for(&call.node)) {
            Ok(d) => d,
            Err(why) => {
                out.push(finding.note(format!(
                    "not rewritten: cdk.json's `{key}` cannot be the default: {why}"
                )));
                return;
            }
        };
        let range = call.node.range();
        let edits = if bare {
            vec![Edit::insert(range.end, format!(" or {default}"))]
        } else {
            vec![
                Edit::insert(range.start, "("),
                Edit::insert(range.end, format!(" or {default})")),
            ]
        };
        let note = format!("default from cdk.json's context: `{key}` = {value}");
        out.push(finding.note(note).fix(edits, vec![]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_values_become_literals_only_when_safe() {
        assert_eq!(literal(&Value::from("dev"), "\"").unwrap(), "\"dev\"");
        assert_eq!(literal(&Value::from("dev"), "'").unwrap(), "'dev'");
        assert_eq!(literal(&Value::from(30), "\"").unwrap(), "30");
        assert_eq!(literal(&Value::from(false), "\"").unwrap(), "False");
        assert!(literal(&Value::from(true), "\"").is_err());
        assert!(literal(&Value::Null, "\"").is_err());
        assert!(literal(&serde_json::json!(["a"]), "\"").is_err());
    }
}
