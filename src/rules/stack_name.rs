//! Account-wide names written as fixed literals: a top-level stack's
//! construct id (its CloudFormation stack name) or `stack_name=` in the app
//! entry point, and `CfnOutput(export_name=...)`. Report-only: how an app
//! tells its environments apart is its own decision, so no rewrite is right
//! for every app.

use super::{Codemod, FileCtx, Finding};
use crate::pyast::{CallView, StringParts, string_parts};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Words that name an environment (`dev`, `prod`): a name containing one
    /// as a word (`OrdersStack-prod`, `OrdersStackProd`) is per-environment.
    environment_words: Vec<String>,
}

pub struct StackName {
    params: Params,
}

const APP: &str = "aws_cdk.App";
const CFN_OUTPUT: &str = "aws_cdk.CfnOutput";

impl StackName {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("stack-name", params)?;
        let bad = params
            .environment_words
            .iter()
            .find(|w| w.is_empty() || !w.chars().all(|c| c.is_ascii_lowercase()));
        if let Some(w) = bad {
            return Err(format!("stack-name params: `{w}` is not a lower-case word"));
        }
        Ok(StackName { params })
    }

    /// A literal name that is the same in every environment: a plain string
    /// (or an f-string without `{...}`) none of whose words names an
    /// environment. Computed names are not judged.
    fn fixed_name(&self, lit: &StringParts, ctx: &FileCtx) -> Option<String> {
        if !lit.interpolations.is_empty() || lit.is_bytes() {
            return None;
        }
        let name = &ctx.text[lit.body.clone()];
        let env = &ctx.options.environment;
        let is_env = |w: &str| {
            self.params.environment_words.iter().any(|e| e == w)
                || env.default.eq_ignore_ascii_case(w)
                || env.production.iter().any(|p| p.eq_ignore_ascii_case(w))
        };
        (!name.is_empty() && !words(name).iter().any(|w| is_env(w))).then(|| name.to_string())
    }

    /// Calls `SomeStack(<app>, "Id", ...)` anywhere in the file, where `<app>`
    /// is the name this `App()` call is bound to (`app` when it is not bound).
    fn stacks_of_app(&self, app: &CallView, ctx: &FileCtx, out: &mut Vec<Finding>) {
        let bound = app
            .node
            .parent()
            .filter(|p| p.kind() == "assignment")
            .and_then(|a| a.field("left"))
            .filter(|l| l.kind() == "identifier")
            .map_or_else(|| "app".to_string(), |l| l.text().to_string());
        let ids = crate::pyast::ids();
        for node in ctx.index().calls() {
            // Only calls that mention the app's name are taken apart.
            let mentions_app = node
                .child_by_field_id(ids.arguments)
                .is_some_and(|args| ctx.text[args.range()].contains(bound.as_str()));
            if !mentions_app {
                continue;
            }
            let Some(call) = CallView::new(node.clone()) else {
                continue;
            };
            let first_is_app = call
                .positional
                .first()
                .is_some_and(|a| a.kind() == "identifier" && a.text() == bound);
            // Classes only: `load_config(app, "file.json")` is no stack.
            let class = call.func.text();
            let class = class.rsplit('.').next().unwrap_or_default();
            if !first_is_app || !class.starts_with(|c: char| c.is_ascii_uppercase()) {
                continue;
            }
            if let Some((_, item, value)) = call.kwargs.iter().find(|(k, _, _)| *k == "stack_name")
            {
                let Some(name) = string_parts(value).and_then(|l| self.fixed_name(&l, ctx)) else {
                    continue;
                };
                let mut finding = Finding::new(&call);
                finding.at = item.range().start;
                out.push(finding.note(format!(
                    "stack name `{name}` is the same in every environment: a second deployment in the account updates this stack"
                )));
                continue;
            }
            let Some(id) = call.id_arg() else {
                continue;
            };
            let Some(name) = string_parts(id).and_then(|l| self.fixed_name(&l, ctx)) else {
                continue;
            };
            out.push(Finding::new(&call).note(format!(
                "construct id `{name}` is also the stack name, the same in every environment: a second deployment in the account updates this stack"
            )));
        }
    }
}

/// The lower-cased words of a name: split at anything but letters and
/// digits, at a lower-to-upper change (`OrdersProd`) and before the last
/// capital of a capital run followed by lower case (`QAStack`).
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let boundary = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
            });
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

impl Codemod for StackName {
    fn constructs(&self) -> Vec<String> {
        vec![APP.to_string(), CFN_OUTPUT.to_string()]
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        if fqn == APP {
            self.stacks_of_app(call, ctx, out);
            return;
        }
        let Some((_, item, value)) = call.kwargs.iter().find(|(k, _, _)| *k == "export_name")
        else {
            return;
        };
        let Some(name) = string_parts(value).and_then(|l| self.fixed_name(&l, ctx)) else {
            return;
        };
        let mut finding = Finding::new(call);
        finding.at = item.range().start;
        out.push(finding.note(format!(
            "export name `{name}` is the same in every environment: exports are unique per account and region"
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn splits_names_into_words() {
        assert_eq!(words("OrdersStack"), ["orders", "stack"]);
        assert_eq!(words("orders-prod_v2"), ["orders", "prod", "v2"]);
        assert_eq!(words("OrdersStackProd"), ["orders", "stack", "prod"]);
        assert_eq!(words("QAStack"), ["qa", "stack"]);
        assert_eq!(words("Stack2Dev"), ["stack2", "dev"]);
        // Not a word boundary: `Products` is no `prod`.
        assert_eq!(words("ProductsStack"), ["products", "stack"]);
    }
}
