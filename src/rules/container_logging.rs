//! ECS containers without `logging=` get
//! `logging=LogDrivers.aws_logs(stream_prefix="<container id>", log_retention=...)`
//! (retention from the `[logs] retention` option): the stream
//! prefix is the container's construct id (`add_container("web", ...)`,
//! `ContainerDefinition(self, "Web", ...)`), so each container's streams are
//! told apart in the new log group.

use super::{Codemod, FileCtx, Finding};
use crate::pyast::{CallView, Node, insert_item, py_str, string_literal_value};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Container constructs called as `X(scope, "Id", ...)`.
    constructs: Vec<String>,
    /// Methods called as `task_definition.m("Id", ...)`.
    methods: Vec<String>,
    /// Task definition constructs: a method call on a variable known to hold
    /// anything else is not a container.
    task_definitions: Vec<String>,
    /// `aws_cdk.aws_ecs.LogDrivers`
    log_drivers: String,
    /// Value template of the new log group's `log_retention`.
    log_retention: String,
}

pub struct ContainerLogging {
    params: Params,
}

impl ContainerLogging {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("container-logging", params)?;
        crate::catalogue::check_constructs(&params.constructs)?;
        crate::catalogue::check_constructs(&params.task_definitions)?;
        crate::catalogue::check_constructs(std::slice::from_ref(&params.log_drivers))?;
        super::template_paths(&params.log_retention)?;
        if params
            .methods
            .iter()
            .any(|m| !crate::catalogue::is_identifier(m))
        {
            return Err("container-logging params: methods must be identifiers".into());
        }
        Ok(ContainerLogging { params })
    }

    fn check(&self, call: &CallView, id: Option<&Node>, ctx: &FileCtx, out: &mut Vec<Finding>) {
        if call.has_kwarg("logging") {
            return;
        }
        let finding = Finding::new(call);
        if call.has_splat {
            out.push(finding.note("not rewritten: a `**` argument may already set `logging`"));
            return;
        }
        let Some(id) = id else {
            out.push(finding.note(
                "not rewritten: the call passes no container id to derive the log stream prefix from",
            ));
            return;
        };
        // The prefix is the container id, whatever expression spells it.
        let prefix = match string_literal_value(id) {
            Some(value) => py_str(&value),
            None => ctx.text[id.range()].to_string(),
        };
        let mut needs = Vec::new();
        let (Some(drivers), Some(retention)) = (
            ctx.spell(&self.params.log_drivers),
            super::render(&self.params.log_retention, ctx, &mut needs),
        ) else {
            out.push(finding.note("not rewritten: a name the fix needs clashes with a local name"));
            return;
        };
        needs.extend(drivers.need);
        let item = format!(
            "logging={}.aws_logs(stream_prefix={prefix}, log_retention={retention})",
            drivers.text,
        );
        let edits = insert_item(ctx.text, &call.list, &item, ctx.newline);
        out.push(finding.fix(edits, needs));
    }
}

impl Codemod for ContainerLogging {
    fn constructs(&self) -> Vec<String> {
        self.params.constructs.clone()
    }

    fn methods(&self) -> Vec<String> {
        self.params.methods.clone()
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        _fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        self.check(call, call.id_arg(), ctx, out);
    }

    fn on_method<'r>(
        &self,
        call: &CallView<'r>,
        receiver: &Node<'r>,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        // The receiver must be a task definition when its type is known: a
        // variable assigned from another construct, or a construct call.
        let known = ctx.receiver_construct(receiver);
        if known.is_some_and(|(fqn, _)| !self.params.task_definitions.contains(&fqn)) {
            return;
        }
        let id = call.positional.first().or_else(|| call.kwarg("id"));
        self.check(call, id, ctx, out);
    }
}
