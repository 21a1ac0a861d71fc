//! A database whose credentials CDK generates (no `credentials=`, or
//! `Credentials.from_generated_secret` / `from_username`) gets its secret
//! rotated: `<name>.add_rotation_single_user()` right after the statement
//! that assigns it. Secrets the code brings itself are the report entry's.

use super::{Codemod, FileCtx, Finding};
use crate::pyast::{CallView, Node};
use crate::source::{Edit, indent_of_line, line_end, starts_line};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    constructs: Vec<String>,
    /// `Credentials` factories that make CDK generate the secret.
    generated: Vec<String>,
    /// The method the fix calls; it and `satisfied_by_methods` called on the
    /// database's name in the file mean its secret rotates already.
    method: String,
    satisfied_by_methods: Vec<String>,
}

pub struct DbRotation {
    params: Params,
}

impl DbRotation {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("db-rotation", params)?;
        crate::catalogue::check_constructs(&params.constructs)?;
        crate::catalogue::check_constructs(&params.generated)?;
        crate::catalogue::check_identifiers(std::slice::from_ref(&params.method))?;
        crate::catalogue::check_identifiers(&params.satisfied_by_methods)?;
        Ok(DbRotation { params })
    }
}

impl DbRotation {
    /// Whether `groups` is a list of security groups made in the class the
    /// database is made in (names the file assigns from a construct call
    /// there, or calls in place).
    fn own_groups(&self, groups: &Node, call: &CallView, ctx: &FileCtx) -> bool {
        let Some(class) = call
            .node
            .ancestors()
            .find(|a| a.kind() == "class_definition")
        else {
            return false;
        };
        let within = |n: &Node| {
            let (r, c) = (n.range(), class.range());
            c.start <= r.start && r.end <= c.end
        };
        groups.kind() == "list"
            && groups.children().filter(|c| c.is_named()).all(|g| {
                if g.kind() == "call" {
                    return true;
                }
                ctx.index()
                    .assignments_to(&ctx.text[g.range()])
                    .last()
                    .is_some_and(|a| {
                        within(a) && a.field("right").is_some_and(|r| r.kind() == "call")
                    })
            })
    }
}

impl Codemod for DbRotation {
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
        let generated = match call.kwarg("credentials") {
            None => !call.has_splat,
            Some(c) => CallView::new(c.clone())
                .and_then(|c| ctx.imports.resolve(&c.func))
                .is_some_and(|fqn| self.params.generated.contains(&fqn)),
        };
        if !generated {
            return;
        }
        let name = super::assigned_name(call);
        let mut methods = self.params.satisfied_by_methods.clone();
        methods.push(self.params.method.clone());
        if name
            .as_ref()
            .is_some_and(|n| ctx.index().calls_method(&ctx.text[n.range()], &methods))
        {
            return;
        }
        let finding = Finding::new(call);
        // Rotation opens the database's security groups to the rotation
        // function: groups made elsewhere (another stack) would then depend
        // on this one, a cycle CDK rejects.
        if let Some(groups) = call.kwarg("security_groups")
            && !self.own_groups(groups, call, ctx)
        {
            out.push(finding.note(
                "not rewritten: its security groups are not made in this class, and rotation adds a rule to them that would tie their stack to this one (a dependency cycle when they come from another stack)",
            ));
            return;
        }
        let statement = name.as_ref().and_then(|n| {
            let assignment = n.parent()?;
            let statement = assignment
                .parent()
                .filter(|s| s.kind() == "expression_statement")?;
            let named = matches!(n.kind().as_ref(), "identifier" | "attribute")
                && n.text().split('.').all(crate::catalogue::is_identifier);
            named.then_some(statement)
        });
        let (Some(name), Some(statement)) = (name, statement) else {
            out.push(finding.note(format!(
                "not rewritten: the database is not assigned to a name to call `{}()` on",
                self.params.method
            )));
            return;
        };
        if !starts_line(ctx.text, statement.range().start) {
            out.push(
                finding.note("not rewritten: the database's statement does not start its line"),
            );
            return;
        }
        let indent = indent_of_line(ctx.text, statement.range().start);
        let line = format!(
            "{nl}{indent}{}.{}()",
            &ctx.text[name.range()],
            self.params.method,
            nl = ctx.newline
        );
        let edit = Edit::insert(line_end(ctx.text, statement.range().end), line);
        out.push(finding.fix(vec![edit], vec![]));
    }
}
