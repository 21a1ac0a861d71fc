//! SQS queues without a dead-letter queue get one: a new statement before
//! the queue's, `<name>_dlq = Queue(<scope>, "<Id>Dlq", enforce_ssl=True, ...)`,
//! and `dead_letter_queue=DeadLetterQueue(max_receive_count=N, queue=<name>_dlq)`
//! on the queue. Queues that are themselves dead-letter queues are skipped.

use super::{Codemod, FileCtx, Finding};
use crate::pyast::{CallView, Node, insert_item, string_literal_value};
use crate::source::{Edit, indent_of_line, line_start};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// `aws_cdk.aws_sqs.Queue`
    queue: String,
    /// `aws_cdk.aws_sqs.DeadLetterQueue`
    dead_letter_queue: String,
    /// `aws_cdk.Duration`
    duration: String,
    /// Receives before a message moves to the dead-letter queue.
    max_receive_count: u32,
    /// How long the dead-letter queue keeps messages (1 to 14).
    retention_days: u32,
    /// Keyword arguments whose value, when it is the queue's variable, make
    /// it a dead-letter queue (`dead_letter_queue=` of a Lambda function).
    dlq_keywords: Vec<String>,
    /// Keyword arguments of the queue copied to the new one as written
    /// (its encryption).
    copy_kwargs: Vec<String>,
}

pub struct QueueDlq {
    params: Params,
}

/// Appended to the queue's construct id (and, lower-case, to its variable
/// name) to name the dead-letter queue.
const ID_SUFFIX: &str = "Dlq";

impl QueueDlq {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("queue-dlq", params)?;
        crate::catalogue::check_constructs(&[
            params.queue.clone(),
            params.dead_letter_queue.clone(),
            params.duration.clone(),
        ])?;
        if !(1..=1000).contains(&params.max_receive_count) {
            return Err("queue-dlq params: max_receive_count must be 1 to 1000".into());
        }
        if !(1..=14).contains(&params.retention_days) {
            return Err("queue-dlq params: retention_days must be 1 to 14".into());
        }
        crate::catalogue::check_identifiers(&params.dlq_keywords)?;
        crate::catalogue::check_identifiers(&params.copy_kwargs)?;
        Ok(QueueDlq { params })
    }

    /// Whether the file uses `target` as a dead-letter queue: `queue=target`
    /// inside a `DeadLetterQueue(...)`, or one of `dlq_keywords`.
    fn used_as_dlq(&self, target: &str, ctx: &FileCtx) -> bool {
        ctx.index()
            .kwargs_with_value(target)
            .iter()
            .any(|(name, kwarg)| {
                if self.params.dlq_keywords.iter().any(|k| k == name) {
                    return true;
                }
                *name == "queue"
                    && kwarg
                        .parent()
                        .and_then(|args| args.parent())
                        .filter(|c| c.kind() == "call")
                        .and_then(|c| c.field("function"))
                        .and_then(|f| ctx.imports.resolve(&f))
                        .is_some_and(|fqn| fqn == self.params.dead_letter_queue)
            })
    }
}

/// Whether a name or construct id says the queue is a dead-letter queue.
fn looks_like_dlq(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("dlq") || lower.contains("deadletter") || lower.contains("dead_letter")
}

/// Whether the queue is FIFO: `fifo=True`, or a literal name ending in
/// `.fifo`. `None` when it cannot be told (a non-literal `fifo=`).
fn is_fifo(call: &CallView) -> Option<bool> {
    if let Some(v) = call.kwarg("fifo") {
        return match v.text().as_ref() {
            "True" => Some(true),
            "False" | "None" => Some(false),
            _ => None,
        };
    }
    match call.kwarg("queue_name") {
        Some(name) => string_literal_value(name).map(|n| n.ends_with(".fifo")),
        None => Some(false),
    }
}

/// The statement `target = <call>` when the call is the whole right side of
/// an assignment that is a statement of its own.
fn assignment_statement<'r>(call: &CallView<'r>) -> Option<(Node<'r>, Node<'r>)> {
    let assignment = call.node.parent().filter(|p| p.kind() == "assignment")?;
    if assignment.field("right")?.range() != call.node.range() {
        return None;
    }
    let target = assignment.field("left")?;
    let statement = assignment
        .parent()
        .filter(|s| s.kind() == "expression_statement")?;
    Some((target, statement))
}

impl Codemod for QueueDlq {
    fn constructs(&self) -> Vec<String> {
        vec![self.params.queue.clone()]
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        _fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        if call.has_kwarg("dead_letter_queue") {
            return;
        }
        let id = call.construct_id();
        let statement = assignment_statement(call);
        let target = statement.as_ref().map(|(t, _)| t.text().to_string());
        // Written in place as a function's `dead_letter_queue=`.
        let inline_dlq = call
            .node
            .parent()
            .filter(|p| p.kind() == "keyword_argument")
            .and_then(|p| p.field("name"))
            .is_some_and(|n| self.params.dlq_keywords.iter().any(|k| *k == n.text()));
        if inline_dlq
            || id.as_deref().is_some_and(looks_like_dlq)
            || target.as_deref().is_some_and(looks_like_dlq)
            || target.as_deref().is_some_and(|t| self.used_as_dlq(t, ctx))
        {
            return; // a dead-letter queue itself
        }
        let finding = Finding::new(call);
        if call.has_splat {
            out.push(
                finding.note("not rewritten: a `**` argument may already set `dead_letter_queue`"),
            );
            return;
        }
        let (scope, dlq_id) = match super::derived_id(call, ID_SUFFIX, ctx.text) {
            Ok(pair) => pair,
            Err(note) => {
                out.push(finding.note(note));
                return;
            }
        };
        let Some((target, statement)) = statement else {
            out.push(finding.note(
                "not rewritten: the queue is not assigned to a name (`queue = sqs.Queue(...)`), so the new dead-letter queue has no name to be derived from",
            ));
            return;
        };
        // `queues[0] = ...`, `a, b = ...`: no name to derive the new variable from.
        let named = matches!(target.kind().as_ref(), "identifier" | "attribute")
            && target
                .text()
                .split('.')
                .all(crate::catalogue::is_identifier);
        if !named {
            out.push(finding.note(
                "not rewritten: the queue is assigned to a subscript or several names, so the new dead-letter queue has no name to be derived from",
            ));
            return;
        }
        let Some(fifo) = is_fifo(call) else {
            out.push(finding.note(
                "not rewritten: `fifo=` is not a literal, and a FIFO queue needs a FIFO dead-letter queue",
            ));
            return;
        };
        let target = target.text();
        let base = target.strip_prefix("self.").unwrap_or(&target);
        let base = base.rsplit('.').next().unwrap_or(base);
        let var = format!("{base}_{}", ID_SUFFIX.to_ascii_lowercase());
        let var_taken = ctx.index().mentions(&var) || ctx.imports.binds(&var);
        if var_taken {
            out.push(finding.note(format!(
                "not rewritten: the file already uses the name `{var}`"
            )));
            return;
        }
        let mut needs = Vec::new();
        let names = [
            self.params.queue.as_str(),
            &self.params.dead_letter_queue,
            &self.params.duration,
        ];
        let Some([queue, dlq, duration]) = super::spell_all(ctx, names, &mut needs) else {
            out.push(finding.note("not rewritten: a name the fix needs clashes with a local name"));
            return;
        };
        let mut args = vec![scope, dlq_id, "enforce_ssl=True".to_string()];
        if fifo {
            args.push("fifo=True".into());
        }
        args.push(format!(
            "retention_period={duration}.days({})",
            self.params.retention_days
        ));
        for k in &self.params.copy_kwargs {
            if let Some(v) = call.kwarg(k) {
                args.push(format!("{k}={}", v.text()));
            }
        }
        let start = statement.range().start;
        let indent = indent_of_line(ctx.text, start);
        if line_start(ctx.text, start) + indent.len() != start {
            out.push(finding.note("not rewritten: the queue's statement does not start its line"));
            return;
        }
        let new_statement = format!(
            "{var} = {queue}({}){nl}{indent}",
            args.join(", "),
            nl = ctx.newline
        );
        let mut edits = vec![Edit::insert(start, new_statement)];
        let item = format!(
            "dead_letter_queue={dlq}(max_receive_count={}, queue={var})",
            self.params.max_receive_count
        );
        edits.extend(insert_item(ctx.text, &call.list, &item, ctx.newline));
        out.push(finding.fix(edits, needs));
    }
}
