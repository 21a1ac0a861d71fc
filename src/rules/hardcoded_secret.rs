//! Secrets written into the source: `SecretValue.unsafe_plain_text("...")`.
//! As an RDS password (`Credentials.from_password("admin",
//! SecretValue.unsafe_plain_text("..."))`) the call becomes
//! `Credentials.from_generated_secret("admin")`; anywhere else it is reported.

use super::{Codemod, FileCtx, Finding};
use crate::pyast::{CallView, Node, remove_item};
use crate::source::Edit;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// `SecretValue` factories that take the secret as plain text.
    plain_text: Vec<String>,
    /// Credentials factories taking `(username, password)`.
    from_password: Vec<String>,
    /// The method that replaces them: a generated secret for `username`.
    generated: String,
}

fn load(transform: &str, params: &toml::Table) -> Result<Params, String> {
    let params: Params = super::params(transform, params)?;
    crate::catalogue::check_constructs(&params.plain_text)?;
    crate::catalogue::check_constructs(&params.from_password)?;
    if !crate::catalogue::is_identifier(&params.generated) {
        return Err(format!("`{}` is not an identifier", params.generated));
    }
    Ok(params)
}

/// Whether `node` is a call of one of `plain_text` whose secret is a string
/// literal written in the file (f-strings and concatenations included).
fn literal_plain_text(node: &Node, params: &Params, ctx: &FileCtx) -> bool {
    if node.kind() != "call" {
        return false;
    }
    let Some(call) = CallView::new(node.clone()) else {
        return false;
    };
    let resolved = ctx.imports.resolve(&call.func);
    if !resolved.is_some_and(|f| params.plain_text.contains(&f)) {
        return false;
    }
    let secret = call.positional.first().or_else(|| call.kwarg("secret"));
    secret.is_some_and(|s| matches!(s.kind().as_ref(), "string" | "concatenated_string"))
}

/// The password argument of a `from_password(username, password)` call.
fn password_arg<'r>(call: &CallView<'r>) -> Option<Node<'r>> {
    call.positional
        .get(1)
        .cloned()
        .or_else(|| call.kwarg("password").cloned())
}

/// `Credentials.from_password(user, SecretValue.unsafe_plain_text("..."))`
/// becomes `Credentials.from_generated_secret(user)`.
pub struct RdsGeneratedPassword {
    params: Params,
}

impl RdsGeneratedPassword {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        Ok(RdsGeneratedPassword {
            params: load("rds-generated-password", params)?,
        })
    }
}

impl Codemod for RdsGeneratedPassword {
    fn constructs(&self) -> Vec<String> {
        self.params.from_password.clone()
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        _fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        let Some(password) = password_arg(call) else {
            return;
        };
        if !literal_plain_text(&password, &self.params, ctx) {
            return;
        }
        let finding = Finding::new(call);
        let method = (call.func.kind() == "attribute")
            .then(|| call.func.field("attribute"))
            .flatten();
        let has_user = !call.positional.is_empty() || call.has_kwarg("username");
        let Some(method) = method.filter(|_| has_user && !call.has_splat) else {
            out.push(finding.note(format!(
                "not rewritten: use `{}(username)` instead of a password in the source",
                self.params.generated
            )));
            return;
        };
        let range = password.range();
        let idx = call
            .list
            .items
            .iter()
            .position(|i| i.start <= range.start && range.end <= i.end);
        let Some(idx) = idx else {
            return;
        };
        let mut edits = vec![Edit::replace(method.range(), self.params.generated.clone())];
        edits.extend(remove_item(ctx.text, &call.list, idx));
        out.push(finding.fix(edits, vec![]));
    }
}

/// Reports `SecretValue.unsafe_plain_text("literal")` everywhere except as the
/// password of a credentials factory (the entry above handles that).
pub struct PlainTextSecret {
    params: Params,
}

impl PlainTextSecret {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        Ok(PlainTextSecret {
            params: load("plain-text-secret", params)?,
        })
    }
}

impl Codemod for PlainTextSecret {
    fn constructs(&self) -> Vec<String> {
        self.params.plain_text.clone()
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        _fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        if !literal_plain_text(&call.node, &self.params, ctx) {
            return;
        }
        // The password of `from_password(...)`: the RDS entry's finding.
        let outer = call
            .node
            .parent()
            .filter(|p| p.kind() == "argument_list" || p.kind() == "keyword_argument")
            .and_then(|p| {
                if p.kind() == "keyword_argument" {
                    p.parent()
                } else {
                    Some(p)
                }
            })
            .and_then(|list| list.parent())
            .and_then(|c| c.field("function"))
            .and_then(|f| ctx.imports.resolve(&f));
        if outer.is_some_and(|f| self.params.from_password.contains(&f)) {
            return;
        }
        out.push(Finding::new(call).note(
            "a secret written in the source ends up in the template and in git: generate it (`secretsmanager.Secret`) or reference one (`SecretValue.secrets_manager(...)`, `SecretValue.ssm_secure(...)`)",
        ));
    }
}
