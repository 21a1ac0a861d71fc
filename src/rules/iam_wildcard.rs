//! Wildcards in `iam.PolicyStatement(...)`: `service:*` actions become the
//! service's explicit conservative actions (`iam-wildcard-action`), and
//! `resources=["*"]` becomes the ARN of the one construct in the file the
//! actions can be about (`iam-wildcard-resource`). Only the list element that
//! changes is rewritten; the list keeps its layout and quote style.

use super::iam_actions::{ConservativeRule, NoExpansion, Table, table};
use super::{Codemod, FileCtx, Finding};
use crate::catalogue::{check_constructs, is_identifier};
use crate::pyast::{
    CallView, ListView, Node, py_str_like, remove_item, replace_item, string_literal_value,
};
use crate::source::Edit;
use serde::Deserialize;

const POLICY_STATEMENT: &str = "aws_cdk.aws_iam.PolicyStatement";
const DENY: &str = "aws_cdk.aws_iam.Effect.DENY";

/// A list literal argument (or a call's positional arguments) and the string
/// values of its items (`None` for an item that is not a plain string literal).
struct StrList {
    /// Where findings about the list point.
    at: usize,
    view: ListView,
    values: Vec<Option<String>>,
    texts: Vec<String>,
}

impl StrList {
    fn new(node: &Node) -> Option<Self> {
        let view = ListView::of_list(node)?;
        let items: Vec<Node> = node
            .children()
            .filter(|c| view.items.contains(&c.range()))
            .collect();
        Some(Self::of(node.range().start, view, &items))
    }

    /// `stmt.add_actions("s3:*", ...)`: the arguments are the list.
    fn of_args(call: &CallView) -> Option<Self> {
        if call.has_splat || !call.kwargs.is_empty() || call.positional.is_empty() {
            return None;
        }
        let at = call.positional[0].range().start;
        Some(Self::of(at, call.list.clone(), &call.positional))
    }

    fn of(at: usize, view: ListView, items: &[Node]) -> Self {
        StrList {
            at,
            view,
            values: items.iter().map(string_literal_value).collect(),
            texts: items.iter().map(|n| n.text().trim().to_string()).collect(),
        }
    }
}

/// The `PolicyStatement(...)` call a method is called on: the call itself
/// (`iam.PolicyStatement(...).add_actions(...)`) or the variable's constructor.
fn statement_ctor<'r>(receiver: &Node<'r>, ctx: &FileCtx<'_, 'r>) -> Option<CallView<'r>> {
    let (fqn, ctor) = ctx.receiver_construct(receiver)?;
    CallView::new(ctor).filter(|c| fqn == POLICY_STATEMENT && !resource_based(c, ctx))
}

/// Keyword arguments that hold a resource's own policy (a key's, an API's,
/// a domain's access policy, a role's trust policy).
const RESOURCE_POLICY_KWARGS: &[&str] = &[
    "policy",
    "resource_policy",
    "access_policies",
    "policy_document",
    "assume_role_policy",
    "assume_role_policy_document",
];

/// Whether the statement belongs to a resource-based policy: it names
/// principals (`principals=`, or `stmt.add_*principal*(...)` on its
/// variable), is passed to `add_to_resource_policy`, or sits in a resource's
/// policy argument (`kms.Key(policy=PolicyDocument(statements=[...]))`).
/// Their wildcards follow other rules: `Resource: "*"` in a key policy means
/// the key itself, and narrowing the root's `kms:*` there locks the account
/// out. Such statements are left alone.
fn resource_based(call: &CallView, ctx: &FileCtx) -> bool {
    if call.has_kwarg("principals") {
        return true;
    }
    let ids = crate::pyast::ids();
    if let Some(name) = super::assigned_name(call) {
        let var = &ctx.text[name.range()];
        let on_var = |m: &Node| {
            m.child_by_field_id(ids.function)
                .and_then(|f| f.child_by_field_id(ids.object))
                .is_some_and(|o| o.text() == var)
        };
        let mentions_var = |m: &Node| {
            m.child_by_field_id(ids.arguments)
                .is_some_and(|a| a.children().any(|c| c.text() == var))
        };
        let index = ctx.index();
        if PRINCIPAL_METHODS
            .iter()
            .any(|m| index.method_calls(m).iter().any(on_var))
            || index
                .method_calls("add_to_resource_policy")
                .iter()
                .any(mentions_var)
        {
            return true;
        }
    }
    for a in call.node.ancestors() {
        if a.kind_id() == ids.keyword_argument
            && a.child_by_field_id(ids.name)
                .is_some_and(|n| RESOURCE_POLICY_KWARGS.contains(&n.text().as_ref()))
        {
            return true;
        }
        if a.kind_id() == ids.call
            && a.child_by_field_id(ids.function)
                .and_then(|f| f.child_by_field_id(ids.attribute_field))
                .is_some_and(|m| m.text() == "add_to_resource_policy")
        {
            return true;
        }
    }
    false
}

/// `PolicyStatement` methods that give it principals.
const PRINCIPAL_METHODS: &[&str] = &[
    "add_principals",
    "add_any_principal",
    "add_account_root_principal",
    "add_aws_account_principal",
    "add_arn_principal",
    "add_service_principal",
    "add_federated_principal",
    "add_canonical_user_principal",
];

fn is_deny(call: &CallView, ctx: &FileCtx) -> bool {
    call.kwarg("effect")
        .is_some_and(|e| ctx.imports.resolve(e).as_deref() == Some(DENY))
}

/// The statement's keyword argument `name`, or a finding saying why it cannot
/// be read (a `**` or positional argument may hold it). `Ok(None)` when it is
/// simply absent or not a list literal.
fn statement_list(call: &CallView, ctx: &FileCtx, name: &str) -> Result<Option<StrList>, Finding> {
    if is_deny(call, ctx) {
        // A wildcard in a Deny statement narrows access: it is what you want.
        return Ok(None);
    }
    match call.kwarg(name) {
        Some(value) => Ok(StrList::new(value)),
        None if call.has_splat || !call.positional.is_empty() => {
            let how = if call.has_splat { "`**`" } else { "positional" };
            Err(Finding::new(call).note(format!(
                "not checked: a {how} argument may set `{name}`; pass it as a keyword list"
            )))
        }
        None => Ok(None),
    }
}

fn split_action(action: &str) -> Option<(&str, &str)> {
    action.split_once(':')
}

/// Whether a resource is every resource: `"*"` (`Some(None)`), or an ARN
/// of one service with a wildcard resource in any region and account
/// (`"arn:aws:s3:::*"`, `"arn:aws:sqs:*:*:*"`: `Some(Some(service))`).
/// `"arn:aws:s3:::bucket/*"` and `table/*` name something narrower.
fn every_resource(value: &str) -> Option<Option<&str>> {
    if value == "*" {
        return Some(None);
    }
    let mut parts = value.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some(service), Some(region), Some(account), Some("*")) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let any = |p: &str| p.is_empty() || p == "*";
    (!service.is_empty() && any(region) && any(account)).then_some(Some(service))
}

// ---------------------------------------------------------------- actions

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionParams {
    conservative: ConservativeRule,
}

pub struct WildcardAction {
    rule: ConservativeRule,
}

impl WildcardAction {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: ActionParams = super::params("iam-wildcard-action", params)?;
        params.conservative.validate(table())?;
        Ok(WildcardAction {
            rule: params.conservative,
        })
    }
}

impl WildcardAction {
    /// The finding for a list of actions: `service:*` items expanded, and
    /// notes on what cannot be.
    fn check(&self, list: &StrList, ctx: &FileCtx, mut finding: Finding) -> Option<Finding> {
        let table = table();
        let full = ctx.options.iam.full_actions;
        let present: Vec<String> = list
            .values
            .iter()
            .flatten()
            .map(|v| v.to_ascii_lowercase())
            .collect();
        let mut edits = Vec::new();
        let mut notes = Vec::new();
        let mut added: Vec<String> = Vec::new();
        for (idx, value) in list.values.iter().enumerate() {
            let Some(value) = value else { continue };
            if value == "*" || value == "*:*" {
                notes.push(format!(
                    "`{value}` allows every action of every service: list the actions the code needs"
                ));
                continue;
            }
            let Some((service, "*")) = split_action(value) else {
                continue;
            };
            match self.rule.expansion(table, service, full) {
                Ok(names) => {
                    let total = names.len();
                    let items: Vec<String> = names
                        .iter()
                        .map(|n| format!("{service}:{n}"))
                        .filter(|a| {
                            let lower = a.to_ascii_lowercase();
                            !present.contains(&lower) && !added.contains(&lower)
                        })
                        .collect();
                    added.extend(items.iter().map(|a| a.to_ascii_lowercase()));
                    let items: Vec<String> = items
                        .iter()
                        .map(|a| py_str_like(a, &list.texts[idx]))
                        .collect();
                    edits.extend(replace_item(
                        ctx.text,
                        &list.view,
                        idx,
                        &items,
                        ctx.newline,
                    ));
                    notes.push(if full {
                        format!("`{value}` -> all its {total} actions (`[iam] full_actions`)")
                    } else {
                        format!("`{value}` -> its {total} data-plane actions")
                    });
                }
                Err(NoExpansion::UnknownService) => notes.push(format!(
                    "`{value}`: `{service}` is not in cdkfix's IAM action table ({}); list the actions the code needs",
                    table.source
                )),
                Err(NoExpansion::NoRule(n)) => notes.push(format!(
                    "`{value}`: no conservative action set for `{service}`; list the actions the code needs, or set `[iam] full_actions = true` to expand it to all {n}"
                )),
            }
        }
        if notes.is_empty() {
            return None;
        }
        finding.at = list.at;
        finding = finding.note(notes.join("; "));
        if !edits.is_empty() {
            finding = finding.fix(edits, vec![]);
        }
        Some(finding)
    }
}

impl Codemod for WildcardAction {
    fn constructs(&self) -> Vec<String> {
        vec![POLICY_STATEMENT.to_string()]
    }

    fn methods(&self) -> Vec<String> {
        vec!["add_actions".to_string()]
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        _fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        if resource_based(call, ctx) {
            return;
        }
        match statement_list(call, ctx, "actions") {
            Ok(Some(list)) => out.extend(self.check(&list, ctx, Finding::new(call))),
            Ok(None) => {}
            Err(finding) => out.push(finding),
        }
    }

    fn on_method<'r>(
        &self,
        call: &CallView<'r>,
        receiver: &Node<'r>,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        let Some(ctor) = statement_ctor(receiver, ctx) else {
            return;
        };
        if is_deny(&ctor, ctx) {
            return;
        }
        if let Some(list) = StrList::of_args(call) {
            out.extend(self.check(&list, ctx, Finding::new(call)));
        }
    }
}

// ---------------------------------------------------------------- resources

/// The constructs whose ARNs can replace `"*"` for one service's actions.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    service: String,
    constructs: Vec<String>,
    /// Python expressions, `$var` standing for the variable.
    arns: Vec<String>,
    /// Constructor keywords or methods (`add_global_secondary_index`) that
    /// give the resource sub-resources the actions also need (`index_arns`).
    #[serde(default)]
    indexed_by: Vec<String>,
    #[serde(default)]
    index_arns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceParams {
    /// Actions that work only with `Resource: "*"`, besides those the action
    /// table lists without a resource type. A trailing `*` matches a prefix.
    star_actions: Vec<String>,
    targets: Vec<Target>,
}

pub struct WildcardResource {
    params: ResourceParams,
}

impl WildcardResource {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: ResourceParams = super::params("iam-wildcard-resource", params)?;
        for t in &params.targets {
            check_constructs(&t.constructs)?;
            if t.arns.is_empty()
                || t.arns
                    .iter()
                    .chain(&t.index_arns)
                    .any(|a| !a.contains("$var"))
            {
                return Err(format!(
                    "target `{}`: every ARN expression must use `$var`",
                    t.service
                ));
            }
            if t.indexed_by.is_empty() != t.index_arns.is_empty() {
                return Err(format!(
                    "target `{}`: `indexed_by` and `index_arns` go together",
                    t.service
                ));
            }
        }
        for a in &params.star_actions {
            if split_action(a).is_none_or(|(s, n)| s.is_empty() || n.is_empty()) {
                return Err(format!("star action `{a}` is not `service:Action`"));
            }
        }
        Ok(WildcardResource { params })
    }

    /// Whether `action` only works on `*`: listed in `star_actions`, or an
    /// action the IAM reference gives no resource type.
    fn needs_star(&self, table: &Table, action: &str) -> bool {
        let lower = action.to_ascii_lowercase();
        let listed = self.params.star_actions.iter().any(|p| {
            let p = p.to_ascii_lowercase();
            match p.strip_suffix('*') {
                Some(prefix) => lower.starts_with(prefix),
                None => lower == p,
            }
        });
        listed
            || split_action(action).is_some_and(|(service, name)| {
                table
                    .action(service, name)
                    .is_some_and(|a| a.resource_types.is_empty())
            })
    }

    /// Why the statement's `"*"` cannot be replaced, or the expressions to
    /// replace it with.
    fn arns_for<'r>(
        &self,
        call: &CallView<'r>,
        ctx: &FileCtx<'_, 'r>,
        actions: &[String],
    ) -> Result<Vec<String>, String> {
        let table = table();
        if let Some(a) = actions.iter().find(|a| *a == "*" || *a == "*:*") {
            return Err(format!(
                "not rewritten: action `{a}` allows every service, so no one resource fits"
            ));
        }
        let (star, scoped): (Vec<&String>, Vec<&String>) =
            actions.iter().partition(|a| self.needs_star(table, a));
        if scoped.is_empty() {
            return Ok(Vec::new());
        }
        if !star.is_empty() {
            let (works, them, its) = if star.len() == 1 {
                ("works", "it", "its")
            } else {
                ("work", "them", "their")
            };
            return Err(format!(
                "not rewritten: {} only {works} on `*`; move {them} to a statement of {its} own, then scope the rest",
                backticked(star.iter().map(|s| s.as_str()))
            ));
        }
        let mut services: Vec<String> = scoped
            .iter()
            .filter_map(|a| split_action(a).map(|(s, _)| s.to_ascii_lowercase()))
            .collect();
        services.sort();
        services.dedup();
        let [service] = services.as_slice() else {
            return Err(format!(
                "not rewritten: actions of {} cannot share one resource; split the statement per service",
                backticked(services.iter().map(|s| s.as_str()))
            ));
        };
        if call.has_kwarg("conditions") {
            return Err(
                "not rewritten: the statement has `conditions`, which may be what scopes it".into(),
            );
        }
        let Some(target) = self.params.targets.iter().find(|t| t.service == *service) else {
            return Err(format!(
                "not rewritten: cdkfix knows no construct for `{service}` resources; name the ARNs"
            ));
        };
        let mut candidates: Vec<(&String, &Node<'r>)> = ctx
            .vars
            .iter()
            .filter(|(name, (fqn, _))| {
                target.constructs.contains(fqn)
                    && name.split('.').all(is_identifier)
                    && super::binding::bound_at(name, &call.node, ctx)
            })
            .map(|(name, (_, ctor))| (name, ctor))
            .collect();
        candidates.sort_by(|a, b| a.0.cmp(b.0));
        let kinds = || {
            let names: Vec<&str> = target
                .constructs
                .iter()
                .map(|c| c.trim_start_matches("aws_cdk.").trim_start_matches("aws_"))
                .collect();
            backticked(names.into_iter())
        };
        match candidates.as_slice() {
            [] => Err(format!(
                "not rewritten: no {} variable is surely assigned before this statement runs; name the resources of these `{service}` actions",
                kinds()
            )),
            [(var, ctor)] => {
                let mut arns: Vec<String> = target.arns.clone();
                if is_indexed(target, var, ctor, ctx) {
                    arns.extend(target.index_arns.iter().cloned());
                }
                Ok(arns.iter().map(|a| a.replace("$var", var)).collect())
            }
            many => Err(format!(
                "not rewritten: {} could each be the resource of these `{service}` actions",
                backticked(many.iter().map(|(v, _)| v.as_str()))
            )),
        }
    }
}

fn backticked<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether the construct has sub-resources (a table's secondary indexes):
/// its constructor passes one of `indexed_by`, or the file calls
/// `<var>.<one of indexed_by>(...)`.
fn is_indexed(target: &Target, var: &str, ctor: &Node, ctx: &FileCtx) -> bool {
    if target.indexed_by.is_empty() {
        return false;
    }
    if CallView::new(ctor.clone()).is_some_and(|c| target.indexed_by.iter().any(|k| c.has_kwarg(k)))
    {
        return true;
    }
    ctx.index().calls_method(var, &target.indexed_by)
}

impl Codemod for WildcardResource {
    fn constructs(&self) -> Vec<String> {
        vec![POLICY_STATEMENT.to_string()]
    }

    fn methods(&self) -> Vec<String> {
        vec!["add_resources".to_string(), "add_all_resources".to_string()]
    }

    /// `stmt.add_all_resources()` / `stmt.add_resources("*")`: reported only,
    /// since the statement's actions may be added anywhere.
    fn on_method<'r>(
        &self,
        call: &CallView<'r>,
        receiver: &Node<'r>,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        let Some(ctor) = statement_ctor(receiver, ctx) else {
            return;
        };
        let method = call
            .func
            .field("attribute")
            .map(|m| m.text().to_string())
            .unwrap_or_default();
        let star_arg = call
            .positional
            .iter()
            .filter_map(string_literal_value)
            .find(|a| every_resource(a).is_some());
        let star = method == "add_all_resources" || star_arg.is_some();
        if !star || is_deny(&ctor, ctx) {
            return;
        }
        // Known actions that all need `*`: nothing to scope.
        if let Ok(Some(actions)) = statement_list(&ctor, ctx, "actions") {
            let table = table();
            let known: Option<Vec<String>> = actions.values.into_iter().collect();
            if known.is_some_and(|a| !a.is_empty() && a.iter().all(|a| self.needs_star(table, a))) {
                return;
            }
        }
        let what = match star_arg {
            Some(arg) if method != "add_all_resources" => {
                format!("add_resources({})", crate::pyast::py_str(&arg))
            }
            _ => "add_all_resources()".to_string(),
        };
        out.push(Finding::new(call).note(format!(
            "not rewritten: `{what}` gives the statement every resource; pass the construct's ARN to `add_resources(...)` or `resources=[...]`"
        )));
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        _fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        if resource_based(call, ctx) {
            return;
        }
        let list = match statement_list(call, ctx, "resources") {
            Ok(Some(list)) => list,
            Ok(None) => return,
            Err(finding) => return out.push(finding),
        };
        let stars: Vec<usize> = (0..list.values.len())
            .filter(|&i| list.values[i].as_deref().and_then(every_resource).is_some())
            .collect();
        let Some(&first) = stars.first() else {
            return;
        };
        let mut finding = Finding::new(call);
        finding.at = list.at;
        let actions = match statement_list(call, ctx, "actions") {
            Ok(Some(actions)) => actions,
            Ok(None) => {
                return out.push(finding.note(
                    "not rewritten: the statement's `actions` are not a list here, so the resource cannot be chosen",
                ));
            }
            Err(f) => return out.push(finding.note(f.note.unwrap_or_default())),
        };
        let Some(actions) = actions.values.into_iter().collect::<Option<Vec<String>>>() else {
            return out.push(finding.note("not rewritten: not every action is a string literal"));
        };
        // An every-resource ARN of another service than the actions' is a
        // mistake to look at, not to scope.
        let service = actions
            .first()
            .and_then(|a| split_action(a))
            .map(|(s, _)| s);
        let foreign = stars.iter().find_map(|&i| {
            let value = list.values[i].as_deref()?;
            let arn_service = every_resource(value).flatten()?;
            (Some(arn_service) != service).then_some(value)
        });
        if let Some(arn) = foreign {
            return out.push(finding.note(format!(
                "not rewritten: `{arn}` is every resource of another service than the actions'"
            )));
        }
        let arns = match self.arns_for(call, ctx, &actions) {
            Ok(arns) if arns.is_empty() => return, // every action needs `*`
            Ok(arns) => arns,
            Err(note) => return out.push(finding.note(note)),
        };
        let new: Vec<String> = arns
            .iter()
            .filter(|a| !list.texts.contains(a))
            .cloned()
            .collect();
        let mut edits: Vec<Edit> = replace_item(ctx.text, &list.view, first, &new, ctx.newline);
        for &idx in &stars[1..] {
            edits.extend(remove_item(ctx.text, &list.view, idx));
        }
        out.push(
            finding
                .note(format!(
                    "scoped to {}",
                    backticked(arns.iter().map(String::as_str))
                ))
                .fix(edits, vec![]),
        );
    }
}

#[cfg(test)]
mod tests {

    use crate::engine::{Engine, Settings};
    use crate::options::Options;

    use crate::source::SourceText;
    use std::sync::Arc;

    const SRC: &str = "from aws_cdk import aws_iam as iam, aws_sqs as sqs\n\
        queue = sqs.Queue(None, \"Q\")\n\
        s = iam.PolicyStatement(actions=[\"sqs:*\"], resources=[\"*\"])\n";

    /// Runs the two IAM codemods with `full_actions` as given.
    fn fix(full_actions: bool) -> String {
        let engine = Engine::builtin();
        let catalogue = engine.catalogue;
        let mut settings = Settings::all(catalogue);
        settings.enabled = catalogue
            .entries
            .iter()
            .map(|e| e.id.starts_with("iam-wildcard-"))
            .collect();
        settings.unsafe_fixes = true;
        let mut options = Options::default();
        options.iam.full_actions = full_actions;
        settings.options = Arc::new(options);
        let out = engine
            .run(&SourceText::from_text(SRC), &settings, true)
            .unwrap();
        out.fixed.expect("the statement is fixed")
    }

    #[test]
    fn conservative_by_default_full_on_request() {
        let conservative = fix(false);
        assert!(conservative.contains("\"sqs:SendMessage\""));
        assert!(!conservative.contains("sqs:DeleteQueue"));
        assert!(conservative.contains("resources=[queue.queue_arn]"));
        let full = fix(true);
        for action in [
            "sqs:DeleteQueue",
            "sqs:SetQueueAttributes",
            "sqs:AddPermission",
        ] {
            assert!(full.contains(&format!("\"{action}\"")), "{action} missing");
        }
        assert!(full.contains("resources=[queue.queue_arn]"));
    }
}
