//! Names a file uses but never binds (`ec2.Vpc(...)` with no `ec2`,
//! `Duration.seconds(5)` with no `Duration`): the import is added when the
//! name is a conventional one (a table in the entry's params).
//!
//! Conservative by design: a name counts as unbound only when every
//! occurrence of it in the file reads it (`name.attr`, `name(...)`, an
//! argument, a keyword argument's value, a base class, an annotation). Any
//! other occurrence (an assignment target, a parameter, a loop, `with`,
//! `except` or comprehension variable, a `def` or `class` name, an import, a
//! keyword argument's name, `global`) counts as a binding somewhere, and the
//! name is left alone. A `from x import *` anywhere makes every name
//! possibly bound: nothing is reported.

use super::{Codemod, FileCtx, Finding};
use crate::imports::ImportNeed;
use crate::pyast::Node;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Conventional module aliases: `s3 = "aws_cdk.aws_s3"`, `cdk = "aws_cdk"`.
    modules: BTreeMap<String, String>,
    /// Names imported from a module: `Duration = "aws_cdk"`.
    names: BTreeMap<String, String>,
}

pub struct MissingImport {
    params: Params,
}

impl MissingImport {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("missing-import", params)?;
        for (name, module) in params.modules.iter().chain(&params.names) {
            if !crate::catalogue::is_identifier(name) {
                return Err(format!("`{name}` is not an identifier"));
            }
            if !(module == "aws_cdk" || module.starts_with("aws_cdk.")) {
                return Err(format!("`{module}` is not an aws_cdk module"));
            }
        }
        if let Some(both) = params
            .modules
            .keys()
            .find(|k| params.names.contains_key(*k))
        {
            return Err(format!("`{both}` is both a module alias and a name"));
        }
        Ok(MissingImport { params })
    }
}

/// Whether this `identifier` occurrence only reads the name.
fn is_read(node: &Node) -> bool {
    let Some(parent) = node.parent() else {
        return false;
    };
    let is_field = |field: &str| {
        parent
            .field(field)
            .is_some_and(|f| f.range() == node.range())
    };
    match parent.kind().as_ref() {
        "attribute" => is_field("object"),
        "call" => is_field("function"),
        "keyword_argument" => is_field("value"),
        "argument_list" | "type" | "expression_statement" | "return_statement" => true,
        _ => false,
    }
}

impl Codemod for MissingImport {
    fn whole_file(&self) -> bool {
        true
    }

    fn on_module<'r>(&self, ctx: &FileCtx<'_, 'r>, out: &mut Vec<Finding>) {
        let index = ctx.index();
        if index.has_wildcard_import() {
            return;
        }
        // The first read of each candidate name that is only ever read. Most
        // files import every name they use, and an imported name is skipped
        // before its occurrences are looked at (each costs a parent lookup).
        let mut unbound: Vec<(usize, String)> = self
            .params
            .modules
            .keys()
            .chain(self.params.names.keys())
            .filter(|name| index.has_name(name) && !ctx.imports.binds(name))
            .filter_map(|name| {
                let first = index.name_nodes(name).next()?.range().start;
                index
                    .name_nodes(name)
                    .all(is_read)
                    .then(|| (first, name.clone()))
            })
            .collect();
        unbound.sort();
        for (at, name) in unbound {
            let finding = Finding {
                codemod: 0,
                at,
                note: None,
                fix: None,
                construct_id: None,
            };
            if let Some(module) = self.params.names.get(&name) {
                let need = ImportNeed {
                    module: module.clone(),
                    name: name.clone(),
                };
                out.push(finding.fix(vec![], vec![need]));
                continue;
            }
            let module = &self.params.modules[&name];
            if module == "aws_cdk" {
                let line = format!("import aws_cdk as {name}");
                let edit = ctx.imports.line_edit(&line, ctx.text, ctx.newline);
                out.push(finding.fix(vec![edit], vec![]));
                continue;
            }
            let (parent, leaf) = module.rsplit_once('.').expect("checked: aws_cdk.x");
            if ctx.imports.is_v1() {
                // v1's service modules are separate packages; its `aws_cdk`
                // import lines hold core names: leave the choice to a person.
                out.push(finding.note(format!(
                    "not rewritten: a CDK v1 file; import `{module}` as `{name}`"
                )));
                continue;
            }
            let item = if leaf == name {
                name.clone()
            } else {
                format!("{leaf} as {name}")
            };
            let need = ImportNeed {
                module: parent.to_string(),
                name: item,
            };
            out.push(finding.fix(vec![], vec![need]));
        }
    }
}
