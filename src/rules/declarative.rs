//! The small declarative kinds: replace a value, rename a keyword argument,
//! report without a fix.

use super::{Codemod, FileCtx, Finding, assigned_name_calls, render_with};
use crate::catalogue::{Entry, Rewrite};
use crate::pyast::{CallView, Node};
use crate::source::Edit;

pub struct ReplaceValue {
    constructs: Vec<String>,
    kwarg: String,
    from: Vec<String>,
    to: Target,
}

/// What a replaced value becomes.
enum Target {
    /// A dotted name (a member of a class).
    Name(String),
    /// A value template.
    Template(String),
}

impl ReplaceValue {
    pub fn new(entry: &Entry) -> Self {
        let Rewrite::ReplaceValue {
            constructs,
            kwarg,
            from,
            to,
            value,
        } = &entry.rewrite
        else {
            unreachable!("built only from replace-value entries")
        };
        let to = match (to, value) {
            (Some(to), _) => Target::Name(to.clone()),
            (None, Some(value)) => Target::Template(value.clone()),
            (None, None) => unreachable!("validated: one of `to` and `value`"),
        };
        ReplaceValue {
            constructs: constructs.clone(),
            kwarg: kwarg.clone(),
            from: from.clone(),
            to,
        }
    }
}

impl Codemod for ReplaceValue {
    fn constructs(&self) -> Vec<String> {
        self.constructs.clone()
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        _fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        let Some(value) = call.kwarg(&self.kwarg) else {
            return;
        };
        let Some(resolved) = ctx.imports.resolve(value) else {
            return;
        };
        if !self.from.contains(&resolved) {
            return;
        }
        let finding = Finding::new(call);
        let to = match &self.to {
            Target::Name(to) => to,
            Target::Template(template) => {
                if let Some(note) = super::unset_option_note(template, ctx.options) {
                    out.push(finding.note(note));
                    return;
                }
                let mut needs = Vec::new();
                let Some(new) = render_with(template, ctx, &mut needs, &[]) else {
                    out.push(
                        finding.note("not rewritten: the value's name clashes with a local name"),
                    );
                    return;
                };
                out.push(finding.fix(vec![Edit::replace(value.range(), new)], needs));
                return;
            }
        };
        let (from_class, _) = resolved.rsplit_once('.').expect("validated dotted name");
        let (to_class, to_member) = to.rsplit_once('.').expect("validated dotted name");
        // Same class: change the member only, keeping the file's spelling.
        if from_class == to_class
            && let Some(member) = value.field("attribute")
        {
            let edit = Edit::replace(member.range(), to_member);
            out.push(finding.fix(vec![edit], vec![]));
            return;
        }
        match ctx.imports.spell(to) {
            Some(spelling) => {
                let edit = Edit::replace(value.range(), spelling.text);
                out.push(finding.fix(vec![edit], spelling.need.into_iter().collect()));
            }
            None => out.push(
                finding.note("not rewritten: the new value's name clashes with a local name"),
            ),
        }
    }
}

pub struct RenameKwarg {
    constructs: Vec<String>,
    kwarg: String,
    to: String,
    value: String,
}

impl RenameKwarg {
    pub fn new(entry: &Entry) -> Self {
        let Rewrite::RenameKwarg {
            constructs,
            kwarg,
            to,
            value,
        } = &entry.rewrite
        else {
            unreachable!("built only from rename-kwarg entries")
        };
        RenameKwarg {
            constructs: constructs.clone(),
            kwarg: kwarg.clone(),
            to: to.clone(),
            value: value.clone().unwrap_or_else(|| "{arg}".to_string()),
        }
    }
}

impl Codemod for RenameKwarg {
    fn constructs(&self) -> Vec<String> {
        self.constructs.clone()
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        _fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        let Some((_, arg, value)) = call.kwargs.iter().find(|(n, _, _)| *n == self.kwarg) else {
            return;
        };
        let finding = Finding::new(call);
        if call.has_kwarg(&self.to) {
            out.push(finding.note(format!(
                "not rewritten: `{}` is also given; keep one of the two",
                self.to
            )));
            return;
        }
        if call.has_splat {
            out.push(finding.note(format!(
                "not rewritten: a `**` argument may already set `{}`",
                self.to
            )));
            return;
        }
        let mut needs = Vec::new();
        let old = value.text();
        let Some(new) = render_with(&self.value, ctx, &mut needs, &[("arg", &old)]) else {
            out.push(finding.note("not rewritten: the value's name clashes with a local name"));
            return;
        };
        let edit = Edit::replace(arg.range(), format!("{}={new}", self.to));
        out.push(finding.fix(vec![edit], needs));
    }
}

pub struct Report {
    constructs: Vec<String>,
    methods: Vec<String>,
    missing_kwargs: Vec<String>,
    present_kwargs: Vec<String>,
    first_arg: Vec<String>,
    first_arg_keywords: Vec<String>,
    satisfied_by_methods: Vec<String>,
    unless_passed_as: Vec<String>,
    note: String,
}

impl Report {
    pub fn new(entry: &Entry) -> Self {
        let Rewrite::Report {
            constructs,
            methods,
            missing_kwargs,
            present_kwargs,
            first_arg,
            first_arg_keywords,
            satisfied_by_methods,
            unless_passed_as,
            note,
        } = &entry.rewrite
        else {
            unreachable!("built only from report entries")
        };
        Report {
            constructs: constructs.clone(),
            methods: methods.clone(),
            missing_kwargs: missing_kwargs.clone(),
            present_kwargs: present_kwargs.clone(),
            first_arg: first_arg.clone(),
            first_arg_keywords: first_arg_keywords.clone(),
            satisfied_by_methods: satisfied_by_methods.clone(),
            unless_passed_as: unless_passed_as.clone(),
            note: note.clone(),
        }
    }

    /// Whether the call is reported: the kwargs conditions, the first
    /// argument, no `**` splat (it may hold the keyword), and not passed on.
    fn reports(&self, call: &CallView, ctx: &FileCtx) -> bool {
        let missing = self.missing_kwargs.is_empty()
            || !self.missing_kwargs.iter().any(|k| call.has_kwarg(k));
        let present =
            self.present_kwargs.is_empty() || self.present_kwargs.iter().any(|k| call.has_kwarg(k));
        missing
            && present
            && !call.has_splat
            && self.first_arg_matches(call, ctx)
            && !self.passed_as(call, ctx)
            && !assigned_name_calls(call, &self.satisfied_by_methods, ctx)
    }

    /// Whether the variable the call is assigned to (`logs = Bucket(...)`,
    /// `self.logs = ...`) is passed as one of `unless_passed_as` anywhere in
    /// the file (`server_access_logs_bucket=self.logs`).
    fn passed_as(&self, call: &CallView, ctx: &FileCtx) -> bool {
        if self.unless_passed_as.is_empty() {
            return false;
        }
        // Written inline as the value: `server_access_logs_bucket=s3.Bucket(...)`.
        let inline = call.node.parent().is_some_and(|p| {
            p.kind() == "keyword_argument"
                && p.field("name")
                    .is_some_and(|n| self.unless_passed_as.iter().any(|u| *u == n.text()))
        });
        if inline {
            return true;
        }
        let Some(target) = super::assigned_name(call) else {
            return false;
        };
        ctx.index()
            .kwargs_with_value(&ctx.text[target.range()])
            .iter()
            .any(|(name, _)| self.unless_passed_as.iter().any(|u| u == name))
    }

    /// Whether the call's first argument (positional, or passed as one of
    /// `first_arg_keywords`) is one of `first_arg` (a name, or a call of it
    /// such as `ec2.Peer.any_ipv4()`); true when none is asked.
    fn first_arg_matches(&self, call: &CallView, ctx: &FileCtx) -> bool {
        if self.first_arg.is_empty() {
            return true;
        }
        let keyword = || self.first_arg_keywords.iter().find_map(|k| call.kwarg(k));
        let Some(arg) = call.positional.first().or_else(keyword) else {
            return false;
        };
        let target: Option<Node> = if arg.kind() == "call" {
            arg.field("function")
        } else {
            Some(arg.clone())
        };
        target
            .and_then(|t| ctx.imports.resolve(&t))
            .is_some_and(|fqn| self.first_arg.contains(&fqn))
    }
}

impl Codemod for Report {
    fn constructs(&self) -> Vec<String> {
        self.constructs.clone()
    }

    fn methods(&self) -> Vec<String> {
        self.methods.clone()
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        _fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        if self.reports(call, ctx) {
            out.push(Finding::new(call).note(self.note.clone()));
        }
    }

    fn on_method<'r>(
        &self,
        call: &CallView<'r>,
        _receiver: &Node<'r>,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        if self.reports(call, ctx) {
            out.push(Finding::new(call).note(self.note.clone()));
        }
    }
}
