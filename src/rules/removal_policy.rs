//! `RemovalPolicy.DESTROY` on data-holding constructs becomes `RETAIN` (or
//! `SNAPSHOT` where the resource supports it), in the constructor's
//! `removal_policy=` and in `x.apply_removal_policy(...)`.

use super::environment::{self, non_production_test, production_test};
use super::{Codemod, FileCtx, Finding};
use crate::options::RemovalMode;
use crate::pyast::{CallView, Node, remove_item};
use crate::source::Edit;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    retain: Vec<String>,
    snapshot: Vec<String>,
    /// Per construct, the keyword arguments CDK accepts only together with
    /// DESTROY (`auto_delete_objects`): they go when DESTROY goes. Generated
    /// by `scripts/gen-destroy-only.py` from the pinned aws-cdk-lib.
    #[serde(default)]
    destroy_only: std::collections::BTreeMap<String, Vec<String>>,
}

pub struct RemovalPolicy {
    params: Params,
}

const DESTROY: &str = "aws_cdk.RemovalPolicy.DESTROY";

impl RemovalPolicy {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("removal-policy", params)?;
        crate::catalogue::check_constructs(&params.retain)?;
        crate::catalogue::check_constructs(&params.snapshot)?;
        for (construct, kwargs) in &params.destroy_only {
            crate::catalogue::check_constructs(std::slice::from_ref(construct))?;
            crate::catalogue::check_identifiers(kwargs)?;
        }
        Ok(RemovalPolicy { params })
    }

    fn target(&self, fqn: &str) -> Option<&'static str> {
        if self.params.snapshot.iter().any(|c| c == fqn) {
            Some("SNAPSHOT")
        } else if self.params.retain.iter().any(|c| c == fqn) {
            Some("RETAIN")
        } else {
            None
        }
    }

    /// The fix for `value` (a `<RemovalPolicy>.DESTROY` expression) on the
    /// construct built by `ctor`, pushed to `out` as a finding.
    #[allow(clippy::too_many_arguments)]
    fn fix_destroy<'r>(
        &self,
        value: &Node<'r>,
        fqn: &str,
        ctor: &CallView<'r>,
        target: &str,
        ctx: &FileCtx<'_, 'r>,
        finding: Finding,
        out: &mut Vec<Finding>,
    ) {
        if ctx.imports.resolve(value).as_deref() != Some(DESTROY) {
            return;
        }
        let Some(policy) = value.field("object") else {
            return;
        };
        let policy = policy.text();
        let by_environment = ctx.options.removal_policy == RemovalMode::ByEnvironment;
        let env = if by_environment {
            match environment::find(value, ctx) {
                Some(env) => Some(env),
                None => {
                    out.push(finding.note(
                        "not rewritten: no environment name in scope for `removal_policy = \"by-environment\"`",
                    ));
                    return;
                }
            }
        } else {
            None
        };
        let mut edits = Vec::new();
        let note = match &env {
            None => {
                let member = value.field("attribute").expect("a resolved attribute");
                edits.push(Edit::replace(member.range(), target));
                format!("use RemovalPolicy.{target}")
            }
            Some(env) => {
                let test = production_test(&env.expr, &ctx.options.environment);
                edits.push(Edit::replace(
                    value.range(),
                    format!("{policy}.{target} if {test} else {policy}.DESTROY"),
                ));
                edits.extend(env.introduce.clone());
                format!("use RemovalPolicy.{target} in production")
            }
        };
        match self.destroy_only_edits(fqn, ctor, ctx, env.as_ref().map(|e| e.expr.as_str())) {
            Ok(more) => {
                edits.extend(more);
                out.push(finding.note(note).fix(edits, vec![]));
            }
            Err(reason) => out.push(finding.note(reason)),
        }
    }

    /// Edits for the constructor's destroy-only arguments: removed, or (by
    /// environment, `env` given) made conditional on a non-production
    /// environment. An error says why that cannot be done safely.
    fn destroy_only_edits(
        &self,
        fqn: &str,
        ctor: &CallView,
        ctx: &FileCtx,
        env: Option<&str>,
    ) -> Result<Vec<Edit>, String> {
        let mut edits = Vec::new();
        let destroy_only = self
            .params
            .destroy_only
            .get(fqn)
            .map_or(&[][..], Vec::as_slice);
        for kwarg in destroy_only {
            let Some(value) = ctor.kwarg(kwarg) else {
                continue;
            };
            match (value.text().trim(), env) {
                ("True", None) => {
                    let idx = ctor
                        .item_index(kwarg)
                        .expect("a found kwarg is a list item");
                    edits.extend(remove_item(ctx.text, &ctor.list, idx));
                }
                ("True", Some(env)) => {
                    let test = non_production_test(env, &ctx.options.environment);
                    edits.push(Edit::replace(value.range(), test));
                }
                ("False", _) => {}
                _ => {
                    return Err(format!(
                        "not rewritten: `{kwarg}` is not a literal, and CDK accepts it only with DESTROY"
                    ));
                }
            }
        }
        if ctor.has_splat && !destroy_only.is_empty() && edits.is_empty() {
            return Err(format!(
                "not rewritten: a `**` argument may set `{}`, which CDK accepts only with DESTROY",
                destroy_only.join("`/`")
            ));
        }
        Ok(edits)
    }
}

impl Codemod for RemovalPolicy {
    fn constructs(&self) -> Vec<String> {
        self.params
            .retain
            .iter()
            .chain(&self.params.snapshot)
            .cloned()
            .collect()
    }

    fn methods(&self) -> Vec<String> {
        vec!["apply_removal_policy".to_string()]
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        let Some(target) = self.target(fqn) else {
            return;
        };
        let Some(value) = call.kwarg("removal_policy") else {
            return;
        };
        self.fix_destroy(value, fqn, call, target, ctx, Finding::new(call), out);
    }

    fn on_method<'r>(
        &self,
        call: &CallView<'r>,
        receiver: &Node<'r>,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        let Some((fqn, ctor)) = ctx.receiver_construct(receiver) else {
            return;
        };
        let Some(target) = self.target(&fqn) else {
            return;
        };
        let Some(arg) = call.positional.first().or_else(|| call.kwarg("policy")) else {
            return;
        };
        let Some(ctor) = CallView::new(ctor) else {
            return;
        };
        let mut finding = Finding::new(call);
        finding.construct_id = ctor.construct_id();
        self.fix_destroy(arg, &fqn, &ctor, target, ctx, finding, out);
    }
}
