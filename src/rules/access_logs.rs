//! Access logs go to one log bucket per construct class (the stack): a
//! bucket the class already sends access logs to, or one the fix creates
//! right after `super().__init__(...)`, `self.access_logs_bucket`, hardened
//! the way the rest of the catalogue asks (public access blocked, TLS only,
//! S3-managed encryption, retained) and with the object ownership every log
//! delivery accepts (S3 server access logs, CloudFront standard logs, ELB).
//! Each construct that logs nowhere is then pointed at it, with a prefix
//! named after its construct id.

use super::{Codemod, FileCtx, Finding};
use crate::pyast::{CallView, Node, insert_items};
use crate::source::{Edit, indent_of_line, line_end, starts_line};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    constructs: Vec<String>,
    /// The arguments the construct gets; `{bucket}` is the log bucket,
    /// `{prefix}` the construct id with a `/`.
    arguments: Vec<String>,
    /// Arguments that already decide where (or whether) its logs go.
    satisfied_by: Vec<String>,
    /// Explicit values that turn the logs off (`enable_logging=False`):
    /// replaced by the arguments, an unsafe fix whatever the tier.
    #[serde(default)]
    off: Vec<String>,
    /// Keyword arguments through which a bucket receives these logs: a
    /// bucket passed so is a log bucket, reused, and not logged itself.
    log_bucket_kwargs: Vec<String>,
    /// The log delivery writes with ACLs (CloudFront): a bucket is reused only
    /// when its constructor in the file enables them.
    #[serde(default)]
    needs_acls: bool,
}

pub struct AccessLogs {
    params: Params,
}

/// The attribute and construct id of the log bucket the fix creates.
const LOG_BUCKET: &str = "self.access_logs_bucket";
const LOG_BUCKET_ID: &str = "AccessLogs";

/// The log bucket as the fix writes it: `{...}` names are spelled with the
/// file's imports.
const LOG_BUCKET_TEMPLATE: &str = "{aws_cdk.aws_s3.Bucket}(self, \"AccessLogs\", block_public_access={aws_cdk.aws_s3.BlockPublicAccess}.BLOCK_ALL, encryption={aws_cdk.aws_s3.BucketEncryption}.S3_MANAGED, enforce_ssl=True, object_ownership={aws_cdk.aws_s3.ObjectOwnership}.OBJECT_WRITER, removal_policy={aws_cdk.RemovalPolicy}.RETAIN)";

/// The keyword arguments that make a bucket a log destination, across the
/// catalogue (a bucket receiving any of these logs is not logged to itself).
const ANY_LOG_BUCKET_KWARGS: &[&str] = &["server_access_logs_bucket", "log_bucket"];

const S3_BUCKET: &str = "aws_cdk.aws_s3.Bucket";

impl AccessLogs {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("access-logs", params)?;
        crate::catalogue::check_constructs(&params.constructs)?;
        crate::catalogue::check_identifiers(&params.satisfied_by)?;
        crate::catalogue::check_identifiers(&params.log_bucket_kwargs)?;
        if params.arguments.is_empty() {
            return Err("access-logs params: arguments is empty".into());
        }
        Ok(AccessLogs { params })
    }
}

/// The enclosing class's `__init__` and its `super().__init__(...)`
/// statement.
fn init_and_super<'r>(class: &Node<'r>) -> Option<(Node<'r>, Node<'r>)> {
    let body = class.field("body")?;
    let init = body.children().find_map(|d| {
        let def = if d.kind() == "decorated_definition" {
            d.field("definition")?
        } else {
            d
        };
        (def.kind() == "function_definition"
            && def.field("name").is_some_and(|n| n.text() == "__init__"))
        .then_some(def)
    })?;
    let super_stmt = init.field("body")?.children().find(|stmt| {
        stmt.kind() == "expression_statement"
            && stmt.text().trim_start().starts_with("super(")
            && stmt.text().contains("__init__")
    })?;
    Some((init, super_stmt))
}

/// Whether the bucket last assigned to `name` in the file enables ACLs
/// (`object_ownership` of `OBJECT_WRITER` or `BUCKET_OWNER_PREFERRED`).
fn acls_enabled(name: &str, ctx: &FileCtx) -> bool {
    let Some(ctor) = ctx
        .index()
        .assignments_to(name)
        .last()
        .and_then(|a| a.field("right"))
        .and_then(CallView::new)
    else {
        return false;
    };
    ctor.kwarg("object_ownership").is_some_and(|v| {
        ctx.imports.resolve(v).is_some_and(|fqn| {
            fqn == "aws_cdk.aws_s3.ObjectOwnership.OBJECT_WRITER"
                || fqn == "aws_cdk.aws_s3.ObjectOwnership.BUCKET_OWNER_PREFERRED"
        })
    })
}

fn within(node: &Node, outer: &Node) -> bool {
    let (r, o) = (node.range(), outer.range());
    o.start <= r.start && r.end <= o.end
}

impl AccessLogs {
    /// The keyword argument (or method) through which the bucket `call`
    /// makes receives logs, when it is a log destination: passed, by its
    /// variable or written in place, as a log bucket.
    fn receives_logs(call: &CallView, ctx: &FileCtx) -> Option<String> {
        let passed_as = |p: Option<Node>| {
            p.filter(|p| p.kind() == "keyword_argument")
                .and_then(|p| p.field("name"))
                .map(|n| n.text().to_string())
                .filter(|n| ANY_LOG_BUCKET_KWARGS.contains(&n.as_str()))
        };
        if let Some(kwarg) = passed_as(call.node.parent()) {
            return Some(kwarg);
        }
        let name = super::assigned_name(call)?;
        let name = &ctx.text[name.range()];
        let index = ctx.index();
        let mut kwargs = index.kwargs_with_value(name).iter().map(|(k, _)| *k);
        if let Some(kwarg) = kwargs.find(|k| ANY_LOG_BUCKET_KWARGS.contains(k)) {
            return Some(kwarg.to_string());
        }
        index
            .method_calls("log_access_logs")
            .iter()
            .any(|m| {
                m.field("arguments")
                    .and_then(|a| a.children().find(|c| c.is_named()))
                    .is_some_and(|first| first.text() == name)
            })
            .then(|| "log_access_logs".to_string())
    }

    /// A log bucket the class already uses for these logs and that is bound
    /// where `call` runs: a name passed as one of `log_bucket_kwargs` in the
    /// class, or the one this fix creates.
    fn existing<'r>(
        &self,
        class: &Node<'r>,
        call: &CallView<'r>,
        ctx: &FileCtx<'_, 'r>,
    ) -> Option<String> {
        let mut kwargs: Vec<&str> = self
            .params
            .log_bucket_kwargs
            .iter()
            .map(String::as_str)
            .collect();
        kwargs.push("server_access_logs_bucket");
        let mut found: Vec<String> = Vec::new();
        for other in ctx.index().calls().iter().filter(|c| within(c, class)) {
            let Some(view) = CallView::new(other.clone()) else {
                continue;
            };
            for (name, _, value) in &view.kwargs {
                let text = &ctx.text[value.range()];
                let is_name = matches!(value.kind().as_ref(), "identifier" | "attribute")
                    && text.split('.').all(crate::catalogue::is_identifier);
                // The fix's own bucket takes every kind of log, and so does
                // any log bucket where ACLs are checked (below); another one
                // only the kind it is already given.
                let usable = text == LOG_BUCKET
                    || self.params.needs_acls
                    || self.params.log_bucket_kwargs.iter().any(|k| k == name);
                if is_name && usable && kwargs.contains(name) && !found.iter().any(|f| f == text) {
                    found.push(text.to_string());
                }
            }
        }
        found.into_iter().find(|name| {
            super::binding::bound_at(name, &call.node, ctx)
                && (!self.params.needs_acls || acls_enabled(name, ctx))
        })
    }
}

impl AccessLogs {
    /// Whether the class makes an S3 bucket, surely whenever it is
    /// constructed, that logs nowhere yet and is no log destination: the
    /// bucket that will make a new log bucket an access-log destination.
    fn anchor_bucket(&self, class: &Node, ctx: &FileCtx) -> bool {
        ctx.index()
            .calls()
            .iter()
            .filter(|c| within(c, class))
            .any(|c| {
                let Some(view) = CallView::new(c.clone()) else {
                    return false;
                };
                ctx.imports.resolve(&view.func).as_deref() == Some(S3_BUCKET)
                    && !view.has_splat
                    && !view.has_kwarg("server_access_logs_bucket")
                    && !view.has_kwarg("server_access_logs_prefix")
                    && Self::receives_logs(&view, ctx).as_deref()
                        != Some("server_access_logs_bucket")
                    && super::binding::surely_runs(c, ctx)
            })
    }
}

impl Codemod for AccessLogs {
    fn constructs(&self) -> Vec<String> {
        self.params.constructs.clone()
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        _fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        let off = call.kwargs.iter().find(|(name, _, value)| {
            self.params.off.iter().any(|o| {
                o.split_once('=')
                    .is_some_and(|(k, v)| k == *name && value.text() == v)
            })
        });
        if off.is_none() && self.params.satisfied_by.iter().any(|k| call.has_kwarg(k)) {
            return;
        }
        let finding = Finding::new(call);
        // An S3 access-log destination: cdk-nag does not ask it to log (a
        // bucket receiving CloudFront or load-balancer logs still logs).
        if Self::receives_logs(call, ctx).as_deref() == Some("server_access_logs_bucket") {
            return;
        }
        if call.has_splat && off.is_none() {
            out.push(finding.note(format!(
                "not rewritten: a `**` argument may already set `{}`",
                self.params.satisfied_by.join("`/`")
            )));
            return;
        }
        let class = call
            .node
            .ancestors()
            .find(|a| a.kind() == "class_definition");
        let Some((class, (_, super_stmt))) =
            class.and_then(|c| Some((c.clone(), init_and_super(&c)?)))
        else {
            out.push(finding.note(
                "not rewritten: not made in a construct class whose `__init__` calls `super().__init__(...)`, where the log bucket would go",
            ));
            return;
        };
        let Some(id) = call.id_arg() else {
            out.push(finding.note(
                "not rewritten: the call passes no construct id to name its log prefix after",
            ));
            return;
        };
        let Some(prefix) = super::derive_id_expr(id, "/", ctx.text) else {
            out.push(finding.note("not rewritten: the construct id is a bytes literal"));
            return;
        };
        let mut edits = Vec::new();
        let mut needs = Vec::new();
        let bucket = match self.existing(&class, call, ctx) {
            Some(bucket) => bucket,
            None => {
                // The log bucket is exempt from logging itself only as an S3
                // access-log destination: it is created only where some
                // bucket of the class that surely runs will log into it,
                // never for a bucket made conditionally or for CloudFront
                // alone.
                if !self.anchor_bucket(&class, ctx) {
                    out.push(finding.note(
                        "not rewritten: the class has no bucket, made whenever it is constructed, that would send its access logs to a new log bucket (one made in a branch, a loop or a helper called conditionally may not exist): pass `server_access_logs_bucket=` / `log_bucket=` a log bucket of your choice",
                    ));
                    return;
                }
                let taken = ctx.index().mentions("access_logs_bucket")
                    || [format!("\"{LOG_BUCKET_ID}\""), format!("'{LOG_BUCKET_ID}'")]
                        .iter()
                        .any(|lit| ctx.text[class.range()].contains(lit.as_str()));
                if taken {
                    out.push(finding.note(format!(
                        "not rewritten: the class already uses `{LOG_BUCKET}` or the construct id `{LOG_BUCKET_ID}` for something else"
                    )));
                    return;
                }
                if !starts_line(ctx.text, super_stmt.range().start) {
                    out.push(finding.note("not rewritten: `__init__` is written on one line, with no block to add the log bucket to"));
                    return;
                }
                let Some(new_bucket) = super::render(LOG_BUCKET_TEMPLATE, ctx, &mut needs) else {
                    out.push(
                        finding
                            .note("not rewritten: a name the fix needs clashes with a local name"),
                    );
                    return;
                };
                let indent = indent_of_line(ctx.text, super_stmt.range().start);
                edits.push(Edit::insert(
                    line_end(ctx.text, super_stmt.range().end),
                    format!("{nl}{indent}{LOG_BUCKET} = {new_bucket}", nl = ctx.newline),
                ));
                LOG_BUCKET.to_string()
            }
        };
        if super::assigned_name(call).is_some_and(|n| ctx.text[n.range()] == bucket) {
            out.push(finding.note(
                "not rewritten: it is the class's log bucket itself; its own access logs would loop into it",
            ));
            return;
        }
        let items: Vec<String> = self
            .params
            .arguments
            .iter()
            .map(|a| a.replace("{bucket}", &bucket).replace("{prefix}", &prefix))
            .collect();
        match off {
            Some((name, arg, _)) => {
                let note = format!("`{}` turns them off", arg.text());
                let _ = name;
                edits.push(Edit::replace(arg.range(), items.join(", ")));
                out.push(finding.note(note).fix(edits, needs).unsafe_override());
            }
            None => {
                let items: Vec<&str> = items.iter().map(String::as_str).collect();
                edits.extend(insert_items(ctx.text, &call.list, &items, ctx.newline));
                out.push(
                    finding
                        .note(format!("logs to `{bucket}`"))
                        .fix(edits, needs),
                );
            }
        }
    }
}
