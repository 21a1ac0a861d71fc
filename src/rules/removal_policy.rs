//! `RemovalPolicy.DESTROY` on data-holding constructs becomes `RETAIN` (or
//! `SNAPSHOT` where the resource supports it), in the constructor's
//! `removal_policy=` and in `x.apply_removal_policy(...)`.

use super::{Codemod, FileCtx, Finding};
use crate::pyast::{CallView, Node, remove_item};
use crate::source::Edit;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    retain: Vec<String>,
    snapshot: Vec<String>,
    /// Keyword arguments CDK accepts only together with DESTROY
    /// (`auto_delete_objects`): they go when DESTROY goes.
    #[serde(default)]
    destroy_only: Vec<String>,
}

pub struct RemovalPolicy {
    params: Params,
}

const DESTROY: &str = "aws_cdk.RemovalPolicy.DESTROY";

impl RemovalPolicy {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = params
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| format!("removal-policy params: {}", e.message()))?;
        crate::catalogue::check_constructs(&params.retain)?;
        crate::catalogue::check_constructs(&params.snapshot)?;
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

    /// The edit turning `<RemovalPolicy>.DESTROY` into `<RemovalPolicy>.<target>`,
    /// touching only the member name so the file's spelling stays.
    fn replace_destroy(value: &Node, ctx: &FileCtx, target: &str) -> Option<Edit> {
        if ctx.imports.resolve(value).as_deref() != Some(DESTROY) {
            return None;
        }
        let attr = value.field("attribute")?;
        Some(Edit::replace(attr.range(), target))
    }

    /// Edits removing the destroy-only arguments of a constructor call, or the
    /// reason that cannot be done safely.
    fn drop_destroy_only(&self, ctor: &CallView, ctx: &FileCtx) -> Result<Vec<Edit>, String> {
        let mut edits = Vec::new();
        for kwarg in &self.params.destroy_only {
            let Some(value) = ctor.kwarg(kwarg) else {
                continue;
            };
            match value.text().trim() {
                "True" => {
                    let idx = ctor
                        .item_index(kwarg)
                        .expect("a found kwarg is a list item");
                    edits.extend(remove_item(ctx.text, &ctor.list, idx));
                }
                "False" => {}
                _ => {
                    return Err(format!(
                        "not rewritten: `{kwarg}` is not a literal, and CDK accepts it only with DESTROY"
                    ));
                }
            }
        }
        if ctor.has_splat && !self.params.destroy_only.is_empty() && edits.is_empty() {
            return Err(format!(
                "not rewritten: a `**` argument may set `{}`, which CDK accepts only with DESTROY",
                self.params.destroy_only.join("`/`")
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
        let Some(edit) = Self::replace_destroy(value, ctx, target) else {
            return;
        };
        let finding = Finding::new(call);
        match self.drop_destroy_only(call, ctx) {
            Ok(mut edits) => {
                edits.push(edit);
                out.push(
                    finding
                        .note(format!("use RemovalPolicy.{target}"))
                        .fix(edits, vec![]),
                );
            }
            Err(reason) => out.push(finding.note(reason)),
        }
    }

    fn on_method<'r>(
        &self,
        call: &CallView<'r>,
        receiver: &Node<'r>,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        let (fqn, ctor) = if receiver.kind() == "call" {
            let Some(fqn) = receiver
                .field("function")
                .and_then(|f| ctx.imports.resolve(&f))
            else {
                return;
            };
            (fqn, receiver.clone())
        } else {
            let Some((fqn, ctor)) = ctx.vars.get(receiver.text().as_ref()) else {
                return;
            };
            (fqn.clone(), ctor.clone())
        };
        let Some(target) = self.target(&fqn) else {
            return;
        };
        let Some(arg) = call.positional.first().or_else(|| call.kwarg("policy")) else {
            return;
        };
        let Some(edit) = Self::replace_destroy(arg, ctx, target) else {
            return;
        };
        let Some(ctor) = CallView::new(ctor) else {
            return;
        };
        let mut finding = Finding::new(call);
        finding.construct_id = ctor.construct_id();
        match self.drop_destroy_only(&ctor, ctx) {
            Ok(mut edits) => {
                edits.push(edit);
                out.push(
                    finding
                        .note(format!("use RemovalPolicy.{target}"))
                        .fix(edits, vec![]),
                );
            }
            Err(reason) => out.push(finding.note(reason)),
        }
    }
}
