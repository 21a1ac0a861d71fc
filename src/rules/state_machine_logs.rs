//! Step Functions state machines without execution logging get
//! `logs=LogOptions(destination=LogGroup(<scope>, "<Id>Logs"), level=LogLevel.ALL)`:
//! a new log group whose construct id is derived from the state machine's.

use super::{Codemod, FileCtx, Finding};
use crate::pyast::{CallView, insert_item};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    constructs: Vec<String>,
    /// `aws_cdk.aws_stepfunctions.LogOptions`
    log_options: String,
    /// `aws_cdk.aws_logs.LogGroup`
    log_group: String,
    /// `aws_cdk.aws_stepfunctions.LogLevel`
    log_level: String,
}

pub struct StateMachineLogs {
    params: Params,
}

/// Appended to the state machine's construct id to name the new log group.
const ID_SUFFIX: &str = "Logs";

impl StateMachineLogs {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("state-machine-logs", params)?;
        crate::catalogue::check_constructs(&params.constructs)?;
        crate::catalogue::check_constructs(&[
            params.log_options.clone(),
            params.log_group.clone(),
            params.log_level.clone(),
        ])?;
        Ok(StateMachineLogs { params })
    }
}

impl Codemod for StateMachineLogs {
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
        if call.has_kwarg("logs") {
            return;
        }
        let finding = Finding::new(call);
        if call.has_splat {
            out.push(finding.note("not rewritten: a `**` argument may already set `logs`"));
            return;
        }
        let (scope, group_id) = match super::derived_id(call, ID_SUFFIX, ctx.text) {
            Ok(pair) => pair,
            Err(note) => {
                out.push(finding.note(note));
                return;
            }
        };
        let mut needs = Vec::new();
        let names = [
            self.params.log_options.as_str(),
            &self.params.log_group,
            &self.params.log_level,
        ];
        let Some([options, group, level]) = super::spell_all(ctx, names, &mut needs) else {
            out.push(finding.note("not rewritten: a name the fix needs clashes with a local name"));
            return;
        };
        let item =
            format!("logs={options}(destination={group}({scope}, {group_id}), level={level}.ALL)");
        let edits = insert_item(ctx.text, &call.list, &item, ctx.newline);
        out.push(finding.fix(edits, needs));
    }
}
