//! REST API stages without default throttling get the configured rate and
//! burst limits, in a new `deploy_options=StageOptions(...)` or inside the
//! existing one.

use super::{Codemod, FileCtx, Finding};
use crate::pyast::{CallView, insert_items};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    constructs: Vec<String>,
    /// The stage options class (`aws_cdk.aws_apigateway.StageOptions`).
    stage_options: String,
}

pub struct ApiThrottling {
    params: Params,
}

const RATE: &str = "throttling_rate_limit";
const BURST: &str = "throttling_burst_limit";

impl ApiThrottling {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = params
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| format!("api-throttling params: {}", e.message()))?;
        crate::catalogue::check_constructs(&params.constructs)?;
        crate::catalogue::check_constructs(std::slice::from_ref(&params.stage_options))?;
        Ok(ApiThrottling { params })
    }
}

impl Codemod for ApiThrottling {
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
        let limits = &ctx.options.throttling;
        let rate = format!("{RATE}={}", limits.rate_limit);
        let burst = format!("{BURST}={}", limits.burst_limit);
        let finding = Finding::new(call);
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
            let item = format!("deploy_options={}({rate}, {burst})", spelling.text);
            let edits = insert_items(ctx.text, &call.list, &[&item], ctx.newline);
            out.push(finding.fix(edits, spelling.need.into_iter().collect()));
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
        let missing: Vec<&str> = [(RATE, rate.as_str()), (BURST, burst.as_str())]
            .into_iter()
            .filter(|(k, _)| !stage.has_kwarg(k))
            .map(|(_, item)| item)
            .collect();
        if missing.is_empty() {
            return;
        }
        if stage.has_splat {
            out.push(
                finding.note("not rewritten: a `**` argument in `StageOptions` may set the limits"),
            );
            return;
        }
        let edits = insert_items(ctx.text, &stage.list, &missing, ctx.newline);
        out.push(finding.fix(edits, vec![]));
    }
}
