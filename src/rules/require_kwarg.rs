//! "Construct X must have keyword argument K": the declarative kind most
//! cdk-nag fixes take.

use super::{
    Codemod, FileCtx, Finding, assigned_name, assigned_name_calls, assigned_value, render_with,
    value_name,
};
use crate::catalogue::{
    ArgCondition, Entry, FactoryMethod, KwargCondition, LayersAllow, MethodCondition, OffValue,
    OnlyIf, Rewrite,
};
use crate::options::RemovalMode;
use crate::pyast::{CallView, Node, insert_item, string_literal_value};
use crate::source::Edit;
use crate::version::Version;
use std::collections::BTreeMap;

pub struct RequireKwarg {
    constructs: Vec<String>,
    kwarg: String,
    value: String,
    value_for: BTreeMap<String, String>,
    kwarg_for: BTreeMap<String, String>,
    only_off: bool,
    new_id_suffix: Option<String>,
    satisfied_by: Vec<String>,
    replaces: Vec<String>,
    satisfied_by_methods: Vec<String>,
    report_only_if: Vec<KwargCondition>,
    report_only_if_methods: Vec<MethodCondition>,
    layers_allow: Option<LayersAllow>,
    off: Vec<OffValue>,
    follows_environment: bool,
    /// The entry's `min_cdk` and its older spellings, newest first: when
    /// there are some, this codemod picks the spelling the project's pin
    /// supports (the engine's gate is off for it).
    min_cdk: Option<Version>,
    older: Vec<(Version, String, String)>,
    factories: Vec<FactoryMethod>,
    only_if: Option<OnlyIf>,
}

impl RequireKwarg {
    pub fn new(entry: &Entry) -> Self {
        let Rewrite::RequireKwarg {
            constructs,
            kwarg,
            value,
            value_for,
            kwarg_for,
            only_off,
            new_id_suffix,
            satisfied_by,
            replaces,
            satisfied_by_methods,
            report_only_if,
            report_only_if_methods,
            layers_allow,
            off,
            follows_environment,
            older,
            methods: factories,
            only_if,
        } = &entry.rewrite
        else {
            unreachable!("built only from require-kwarg entries")
        };
        RequireKwarg {
            constructs: constructs.clone(),
            kwarg: kwarg.clone(),
            value: value.clone(),
            value_for: value_for.clone(),
            kwarg_for: kwarg_for.clone(),
            only_off: *only_off,
            new_id_suffix: new_id_suffix.clone(),
            satisfied_by: satisfied_by.clone(),
            replaces: replaces.clone(),
            satisfied_by_methods: satisfied_by_methods.clone(),
            report_only_if: report_only_if.clone(),
            report_only_if_methods: report_only_if_methods.clone(),
            layers_allow: layers_allow.clone(),
            off: off.clone(),
            follows_environment: *follows_environment,
            min_cdk: entry.min_cdk.as_deref().and_then(Version::parse),
            older: older
                .iter()
                .filter_map(|o| Some((Version::parse(&o.below)?, o.kwarg.clone(), o.value.clone())))
                .collect(),
            factories: factories.clone(),
            only_if: only_if.clone(),
        }
    }
}

impl Codemod for RequireKwarg {
    fn constructs(&self) -> Vec<String> {
        self.constructs.clone()
    }

    fn methods(&self) -> Vec<String> {
        let mut names: Vec<String> = self.factories.iter().map(|f| f.method.clone()).collect();
        names.sort();
        names.dedup();
        names
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        self.check(call, fqn, Finding::new(call), ctx, out);
    }

    fn on_method<'r>(
        &self,
        call: &CallView<'r>,
        receiver: &Node<'r>,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        let ids = crate::pyast::ids();
        let Some((class, _)) = ctx.receiver_construct(receiver) else {
            return;
        };
        let method = call
            .func
            .child_by_field_id(ids.attribute_field)
            .map(|m| &ctx.text[m.range()]);
        if !self
            .factories
            .iter()
            .any(|f| f.receiver == class && Some(f.method.as_str()) == method)
        {
            return;
        }
        let mut finding = Finding::new(call);
        finding.construct_id = call
            .positional
            .first()
            .or_else(|| call.kwarg("id"))
            .and_then(string_literal_value);
        let fqn = format!("{class}.{}", method.unwrap_or_default());
        self.check(call, &fqn, finding, ctx, out);
    }
}

impl RequireKwarg {
    /// The argument that explicitly turns the setting off: its name, the
    /// whole `name=value` node and the value.
    fn off_argument<'r>(
        &self,
        call: &CallView<'r>,
        ctx: &FileCtx<'_, 'r>,
    ) -> Option<(&'r str, Node<'r>, Node<'r>)> {
        call.kwargs
            .iter()
            .find(|(name, _, value)| {
                self.off.iter().any(|o| {
                    o.kwarg == *name
                        && match (&o.value, &o.contains) {
                            (Some(want), _) => {
                                value.text().trim() == want
                                    || ctx.imports.resolve(value).as_deref() == Some(want)
                            }
                            (None, Some(part)) => value.text().contains(part.as_str()),
                            (None, None) => false,
                        }
                })
            })
            .cloned()
    }

    /// The check and fix of one call that creates a construct; `finding`
    /// says where it is and which construct it makes.
    fn check<'r>(
        &self,
        call: &CallView<'r>,
        fqn: &str,
        finding: Finding,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        // The construct's own spelling of the setting (an L1 class may name
        // it differently from its L2).
        let own_kwarg = self.kwarg_for.get(fqn).unwrap_or(&self.kwarg);
        let off = self.off_argument(call, ctx);
        if off.is_none()
            && (self.only_off
                || call.has_kwarg(own_kwarg)
                || self.satisfied_by.iter().any(|k| call.has_kwarg(k))
                || assigned_name_calls(call, &self.satisfied_by_methods, ctx))
        {
            return;
        }
        for cond in &self.report_only_if {
            if super::kwarg_condition_holds(cond, call, ctx) {
                out.push(finding.note(cond.reason.clone()));
                return;
            }
        }
        // `assigned_name` looks up the call's parent, which costs a walk down
        // from the root: only entries with method conditions pay it.
        if !self.report_only_if_methods.is_empty()
            && let Some(name) = assigned_name(call)
        {
            let receiver = &ctx.text[name.range()];
            let ids = crate::pyast::ids();
            for cond in &self.report_only_if_methods {
                let hit = ctx.index().method_calls(&cond.method).iter().any(|m| {
                    let on_it = m
                        .child_by_field_id(ids.function)
                        .and_then(|f| f.child_by_field_id(ids.object))
                        .is_some_and(|o| o.text() == receiver);
                    let text = m.text();
                    on_it
                        && (cond.contains.is_empty()
                            || cond.contains.iter().any(|c| text.contains(c.as_str())))
                });
                if hit {
                    out.push(finding.note(cond.reason.clone()));
                    return;
                }
            }
        }
        if let Some(only_if) = &self.only_if {
            match only_if_holds(only_if, call, ctx) {
                Decided::Holds => {}
                Decided::Unknown => {
                    out.push(finding.note(format!(
                        "not rewritten: the fix needs {}, which the code here does not show",
                        only_if.needs
                    )));
                    return;
                }
                Decided::Fails => {
                    if let Some(note) = &only_if.otherwise {
                        out.push(finding.note(note.clone()));
                    }
                    return;
                }
            }
        }
        // A flag asking CDK to create what the value writes out is replaced
        // by it; one whose value the file computes is left to a person.
        let mut replaced = None;
        for flag in &self.replaces {
            let Some(value) = call.kwarg(flag) else {
                continue;
            };
            if !matches!(value.text().as_ref(), "True" | "False") {
                out.push(finding.note(format!(
                    "not rewritten: `{flag}` is not a literal `True` or `False`"
                )));
                return;
            }
            replaced = call
                .kwargs
                .iter()
                .find(|(n, _, _)| n == flag)
                .map(|(_, node, _)| node.clone());
        }
        if call.has_splat && off.is_none() {
            out.push(finding.note(format!(
                "not rewritten: a `**` argument may already set `{own_kwarg}`"
            )));
            return;
        }
        if let Some(allow) = &self.layers_allow
            && let Err(why) = layers_allow(call, allow, ctx)
        {
            out.push(finding.note(format!("not rewritten: {why}")));
            return;
        }
        let mut kwarg = own_kwarg.as_str();
        let mut template = self.value_for.get(fqn).unwrap_or(&self.value);
        let cdk = ctx.cdk;
        if let Some(min) = self.min_cdk.filter(|m| !self.older.is_empty() && cdk < *m) {
            // The oldest spelling the pin is still below.
            match self.older.iter().rev().find(|(below, _, _)| cdk < *below) {
                Some((_, k, v)) => (kwarg, template) = (k.as_str(), v),
                None => {
                    out.push(finding.note(format!(
                        "not rewritten: the fix needs aws-cdk-lib >= {min}, {}",
                        ctx.cdk_source
                    )));
                    return;
                }
            }
        }
        if let Some(note) = super::unset_option_note(template, ctx.options) {
            out.push(finding.note(note));
            return;
        }
        let mut vars = Vec::new();
        if let Some(suffix) = self
            .new_id_suffix
            .as_ref()
            .filter(|_| template.contains("{new_id}"))
        {
            let (scope, new_id) = match super::derived_id(call, suffix, ctx.text) {
                Ok(pair) => pair,
                Err(note) => {
                    out.push(finding.note(note));
                    return;
                }
            };
            vars.push(("scope", scope));
            vars.push(("new_id", new_id));
        }
        let vars: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let mut needs = Vec::new();
        let mut edits = Vec::new();
        let by_environment =
            self.follows_environment && ctx.options.removal_policy == RemovalMode::ByEnvironment;
        let value = if by_environment {
            let Some(env) = super::environment::find(&call.node, ctx) else {
                out.push(finding.note(
                    "not rewritten: no environment name in scope for `removal_policy = \"by-environment\"`",
                ));
                return;
            };
            edits.extend(env.introduce.clone());
            super::environment::production_test(&env.expr, &ctx.options.environment)
        } else {
            let Some(value) = render_with(template, ctx, &mut needs, &vars) else {
                out.push(finding.note("not rewritten: the value's name clashes with a local name"));
                return;
            };
            value
        };
        let item = format!("{kwarg}={value}");
        match (&off, replaced) {
            // The explicit "off" is the entry's own argument: only its value
            // changes, so a comment after it stays.
            (Some((name, _, old)), _) if *name == kwarg => {
                let note = format!("`{name}={}` turns it off", short(old));
                edits.push(Edit::replace(old.range(), value));
                out.push(finding.note(note).fix(edits, needs).unsafe_override());
            }
            (Some((name, arg, old)), _) => {
                let note = format!("`{name}={}` turns it off", short(old));
                edits.push(Edit::replace(arg.range(), item));
                out.push(finding.note(note).fix(edits, needs).unsafe_override());
            }
            (None, Some(flag)) => {
                edits.push(Edit::replace(flag.range(), item));
                out.push(finding.fix(edits, needs));
            }
            (None, None) => {
                edits.extend(insert_item(ctx.text, &call.list, &item, ctx.newline));
                out.push(finding.fix(edits, needs));
            }
        }
    }
}

/// Whether every layer of the function declares `allow.value` in
/// `allow.list`; `Err` with the reason when one does not, or may not.
fn layers_allow<'r>(
    call: &CallView<'r>,
    allow: &LayersAllow,
    ctx: &FileCtx<'_, 'r>,
) -> Result<(), String> {
    let member = allow.value.rsplit('.').next().unwrap_or(&allow.value);
    for layer in super::layers::of_function(call, ctx)? {
        match super::layers::declared(&layer, &allow.list, ctx) {
            Some(values) if values.contains(&allow.value) => {}
            Some(_) => {
                return Err(format!(
                    "layer {} does not list `{member}` in `{}`",
                    super::layers::label(&layer),
                    allow.list
                ));
            }
            None => {
                return Err(format!(
                    "layer {} may not support `{member}`: its `{}` are not known here (a layer imported by ARN, built in another app, or without the list)",
                    super::layers::label(&layer),
                    allow.list
                ));
            }
        }
    }
    Ok(())
}

/// What the code says about a condition of `only_if`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decided {
    Holds,
    Fails,
    Unknown,
}

/// Whether one of `only_if.any` holds for the call: `Holds` when one does,
/// else `Unknown` when one is undecided, else `Fails`.
fn only_if_holds<'r>(only_if: &OnlyIf, call: &CallView<'r>, ctx: &FileCtx<'_, 'r>) -> Decided {
    let mut result = Decided::Fails;
    for cond in &only_if.any {
        match condition_holds(cond, call, ctx) {
            Decided::Holds => return Decided::Holds,
            Decided::Unknown => result = Decided::Unknown,
            Decided::Fails => {}
        }
    }
    result
}

fn condition_holds<'r>(cond: &ArgCondition, call: &CallView<'r>, ctx: &FileCtx<'_, 'r>) -> Decided {
    let ids = crate::pyast::ids();
    let mut path = cond.kwarg.split('.');
    let first = path.next().unwrap_or_default();
    let Some(mut value) = call.kwarg(first).cloned() else {
        // A `**` argument may hold it; otherwise the default holds.
        return if call.has_splat {
            Decided::Unknown
        } else {
            Decided::Fails
        };
    };
    for part in path {
        // `capacity=CapacityConfig(data_nodes=2)`, written in place or
        // assigned to the name passed.
        let Some(inner) = Some(value.clone())
            .filter(|v| v.kind_id() == ids.call)
            .or_else(|| assigned_value(&value, call, ctx).filter(|v| v.kind_id() == ids.call))
            .and_then(CallView::new)
        else {
            return Decided::Unknown;
        };
        match inner.kwarg(part) {
            Some(v) => value = v.clone(),
            None if inner.has_splat => return Decided::Unknown,
            None => return Decided::Fails,
        }
    }
    if !cond.one_of.is_empty() {
        return match value_name(&value, call, ctx) {
            Some(name) if cond.one_of.contains(&name) => Decided::Holds,
            Some(_) => Decided::Fails,
            None => Decided::Unknown,
        };
    }
    let value = assigned_value(&value, call, ctx).unwrap_or(value);
    let text = value.text();
    let text = text.trim();
    if let Some(want) = &cond.value {
        return if text == want {
            Decided::Holds
        } else if is_literal(&value) {
            Decided::Fails
        } else {
            Decided::Unknown
        };
    }
    let Some(least) = cond.at_least else {
        return Decided::Unknown;
    };
    if value.kind() != "integer" {
        return Decided::Unknown;
    }
    match text.replace('_', "").parse::<i64>() {
        Ok(n) if n >= least && cond.multiple_of.is_none_or(|m| n % m == 0) => Decided::Holds,
        Ok(_) => Decided::Fails,
        Err(_) => Decided::Unknown,
    }
}

/// Whether `node` is a literal whose value the code shows (`False`, `1`, a
/// plain string).
fn is_literal(node: &Node) -> bool {
    node.kind() == "integer"
        || matches!(node.text().as_ref(), "True" | "False" | "None")
        || string_literal_value(node).is_some()
}

/// A value as a note shows it: a call that spans lines as `f(...)`.
fn short(value: &Node) -> String {
    let text = value.text();
    match value.field("function") {
        Some(f) if value.kind() == "call" && text.contains('\n') => format!("{}(...)", f.text()),
        _ => text.to_string(),
    }
}
