//! REST API stages must pass given `StageOptions` settings (default
//! throttling limits, X-Ray tracing, execution logging): each missing one is
//! added to a new `deploy_options=StageOptions(...)` or inside the existing
//! one. One transform, one catalogue entry per setting.

use super::{Codemod, FileCtx, Finding, render};
use crate::pyast::{CallView, insert_items};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    constructs: Vec<String>,
    /// The stage options class (`aws_cdk.aws_apigateway.StageOptions`).
    stage_options: String,
    /// The keyword arguments the stage options must pass, each with the
    /// value (a template, as for `require-kwarg`) it gets when missing.
    ensure: Vec<Setting>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Setting {
    kwarg: String,
    value: String,
}

pub struct StageOptions {
    params: Params,
}

impl StageOptions {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("stage-options", params)?;
        crate::catalogue::check_constructs(&params.constructs)?;
        crate::catalogue::check_constructs(std::slice::from_ref(&params.stage_options))?;
        if params.ensure.is_empty() {
            return Err("stage-options params: `ensure` is empty".into());
        }
        for s in &params.ensure {
            if !crate::catalogue::is_identifier(&s.kwarg) {
                return Err(format!("kwarg `{}` is not an identifier", s.kwarg));
            }
            super::template_paths(&s.value)?;
        }
        Ok(StageOptions { params })
    }

    /// `kwarg=value` for each setting not `passed`; `None` when a value's
    /// name cannot be spelled.
    fn items(
        &self,
        passed: impl Fn(&str) -> bool,
        ctx: &FileCtx,
        needs: &mut Vec<crate::imports::ImportNeed>,
    ) -> Option<Vec<String>> {
        let mut items = Vec::new();
        for s in self.params.ensure.iter().filter(|s| !passed(&s.kwarg)) {
            items.push(format!("{}={}", s.kwarg, render(&s.value, ctx, needs)?));
        }
        Some(items)
    }
}

impl Codemod for StageOptions {
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
        if call.kwarg("deploy").is_some_and(|v| v.text() == "False") {
            return; // no stage is deployed
        }
        let finding = Finding::new(call);
        let mut needs = Vec::new();
        let Some(options) = call.kwarg("deploy_options") else {
            if call.has_splat {
                out.push(
                    finding.note("not rewritten: a `**` argument may already set `deploy_options`"),
                );
                return;
            }
            let Some(spelling) = ctx.imports.spell(&self.params.stage_options) else {
                out.push(finding.note("not rewritten: `StageOptions` clashes with a local name"));
                return;
            };
            let Some(items) = self.items(|_| false, ctx, &mut needs) else {
                out.push(finding.note("not rewritten: the value's name clashes with a local name"));
                return;
            };
            let item = format!("deploy_options={}({})", spelling.text, items.join(", "));
            let edits = insert_items(ctx.text, &call.list, &[&item], ctx.newline);
            needs.extend(spelling.need);
            out.push(finding.fix(edits, needs));
            return;
        };
        let stage = (options.kind() == "call")
            .then(|| CallView::new(options.clone()))
            .flatten()
            .filter(|s| {
                ctx.imports.resolve(&s.func).as_deref() == Some(&self.params.stage_options)
            });
        let Some(stage) = stage else {
            out.push(
                finding.note("not rewritten: `deploy_options` is not a `StageOptions(...)` call"),
            );
            return;
        };
        let missing: Vec<&str> = self
            .params
            .ensure
            .iter()
            .filter(|s| !stage.has_kwarg(&s.kwarg))
            .map(|s| s.kwarg.as_str())
            .collect();
        if missing.is_empty() {
            return;
        }
        if stage.has_splat {
            out.push(finding.note(format!(
                "not rewritten: a `**` argument in `StageOptions` may set `{}`",
                missing.join("`, `")
            )));
            return;
        }
        let Some(items) = self.items(|k| stage.has_kwarg(k), ctx, &mut needs) else {
            out.push(finding.note("not rewritten: the value's name clashes with a local name"));
            return;
        };
        let items: Vec<&str> = items.iter().map(String::as_str).collect();
        let edits = insert_items(ctx.text, &stage.list, &items, ctx.newline);
        out.push(finding.fix(edits, needs));
    }
}
