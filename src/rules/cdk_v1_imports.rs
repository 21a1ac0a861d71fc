//! CDK v1 imports moved to v2: `from aws_cdk import core` becomes
//! `import aws_cdk as cdk` (`core.Stack` → `cdk.Stack`),
//! `from aws_cdk.core import Stack` becomes `from aws_cdk import Stack`, and
//! `core.Construct` (which v2 moved to the `constructs` package) becomes
//! `Construct` with `from constructs import Construct`. Service modules
//! (`from aws_cdk import aws_s3 as s3`) are spelled the same in both.

use super::{Codemod, FileCtx, Finding};
use crate::pyast::{ListView, Node, remove_item};
use crate::source::Edit;
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The name `core` becomes when the file imported it as `core`.
    alias: String,
    /// Names v2 moved from `aws_cdk.core` to the `constructs` package.
    to_constructs: Vec<String>,
}

pub struct CdkV1Imports {
    params: Params,
}

impl CdkV1Imports {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("cdk-v1-imports", params)?;
        for name in params.to_constructs.iter().chain([&params.alias]) {
            if !crate::catalogue::is_identifier(name) {
                return Err(format!("`{name}` is not an identifier"));
            }
        }
        Ok(CdkV1Imports { params })
    }
}

/// The modules of aws-cdk-lib v2, generated from the pinned release.
fn v2_modules() -> &'static std::collections::HashSet<&'static str> {
    static MODULES: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    MODULES.get_or_init(|| {
        include_str!("../../data/cdk_v2_modules.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect()
    })
}

/// A module the file imports from `aws_cdk` that v2 does not have
/// (`aws_lambda_python`): then the file cannot move by renaming imports.
pub fn module_not_in_v2(imports: &crate::imports::Imports) -> Option<&str> {
    imports
        .paths()
        .filter_map(|p| p.strip_prefix("aws_cdk."))
        .map(|rest| rest.split('.').next().unwrap_or(rest))
        // Modules are lower case; `Stack`, `Duration` are core names.
        .filter(|m| {
            m.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
        .find(|m| *m != "core" && !v2_modules().contains(m))
}

/// The items of a `from module import a, b as c` statement: the list (for
/// removal) and each item's node.
fn from_items<'r>(stmt: &Node<'r>) -> (ListView, Vec<Node<'r>>) {
    let mut list = ListView::default();
    let mut items = Vec::new();
    let mut after_import = false;
    for child in stmt.children() {
        match child.kind().as_ref() {
            "import" => after_import = true,
            "(" => list.open_end = Some(child.range().end),
            ")" => list.close = Some(child.range().start),
            "," if after_import => list.push_comma(child.range()),
            "dotted_name" | "aliased_import" if after_import => {
                list.push_item(child.range());
                items.push(child);
            }
            _ => {}
        }
    }
    (list, items)
}

/// `(imported name, local name)` of an item.
fn item_names(item: &Node) -> (String, String) {
    match (item.field("name"), item.field("alias")) {
        (Some(n), Some(a)) => (n.text().to_string(), a.text().to_string()),
        _ => (item.text().to_string(), item.text().to_string()),
    }
}

/// Edits removing items `idx` (sorted) from `list`: one at a time keeps
/// separators right only for a single item, so several are rebuilt.
fn remove_items(text: &str, list: &ListView, items: &[Node], idx: &[usize]) -> Option<Vec<Edit>> {
    match idx {
        [] => Some(Vec::new()),
        [one] => Some(remove_item(text, list, *one)),
        _ => {
            let keep: Vec<String> = items
                .iter()
                .enumerate()
                .filter(|(i, _)| !idx.contains(i))
                .map(|(_, n)| n.text().to_string())
                .collect();
            let first = list.items.first()?;
            let last = list.items.last()?;
            Some(vec![Edit::replace(first.start..last.end, keep.join(", "))])
        }
    }
}

impl Codemod for CdkV1Imports {
    fn whole_file(&self) -> bool {
        true
    }

    fn on_module<'r>(&self, ctx: &FileCtx<'_, 'r>, out: &mut Vec<Finding>) {
        if !ctx.imports.is_v1() {
            return;
        }
        let mut edits: Vec<Edit> = Vec::new();
        // Local names of the `aws_cdk.core` module, and what they become.
        let mut core_locals: Vec<String> = Vec::new();
        let mut new_name = self.params.alias.clone();
        let mut constructs: BTreeSet<String> = BTreeSet::new();
        let mut first_stmt: Option<Node> = None;
        let mut problem: Option<String> = None;
        // Names a rewritten statement already imports from `constructs`.
        let mut written: BTreeSet<String> = BTreeSet::new();
        for stmt in ctx.module.children() {
            match stmt.kind().as_ref() {
                "import_statement" => {
                    for name in stmt.field_children("name") {
                        let (path, local) = match (name.field("name"), name.field("alias")) {
                            (Some(p), Some(a)) => (p.text().to_string(), a.text().to_string()),
                            _ => (name.text().to_string(), String::new()),
                        };
                        if path != "aws_cdk.core" {
                            continue;
                        }
                        if local.is_empty() || stmt.field_children("name").count() > 1 {
                            problem = Some("`import aws_cdk.core` without a single alias".into());
                            continue;
                        }
                        if local != "core" {
                            new_name = local.clone();
                        }
                        core_locals.push(local);
                        first_stmt.get_or_insert(stmt.clone());
                        edits.push(Edit::replace(
                            stmt.range(),
                            "import aws_cdk as {NEW}".to_string(),
                        ));
                    }
                }
                "import_from_statement" => {
                    let Some(module) = stmt.field("module_name") else {
                        continue;
                    };
                    let module = module.text().to_string();
                    let (list, items) = from_items(&stmt);
                    if module == "aws_cdk" {
                        let core: Vec<usize> = items
                            .iter()
                            .enumerate()
                            .filter(|(_, i)| item_names(i).0 == "core")
                            .map(|(n, _)| n)
                            .collect();
                        if core.is_empty() {
                            continue;
                        }
                        for &i in &core {
                            let local = item_names(&items[i]).1;
                            if local != "core" {
                                new_name = local.clone();
                            }
                            core_locals.push(local);
                        }
                        first_stmt.get_or_insert(stmt.clone());
                        if core.len() == items.len() {
                            edits.push(Edit::replace(
                                stmt.range(),
                                "import aws_cdk as {NEW}".to_string(),
                            ));
                        } else {
                            let Some(removal) = remove_items(ctx.text, &list, &items, &core) else {
                                return;
                            };
                            edits.extend(removal);
                            edits.push(Edit::insert(
                                stmt.range().end,
                                format!("{}import aws_cdk as {{NEW}}", ctx.newline),
                            ));
                        }
                    } else if module == "aws_cdk.core" {
                        first_stmt.get_or_insert(stmt.clone());
                        let moved: Vec<usize> = items
                            .iter()
                            .enumerate()
                            .filter(|(_, i)| {
                                let (n, l) = item_names(i);
                                n == l && self.params.to_constructs.contains(&n)
                            })
                            .map(|(n, _)| n)
                            .collect();
                        if moved.len() == items.len() {
                            // Only moved names: the statement becomes the constructs import.
                            let names: Vec<String> =
                                items.iter().map(|i| item_names(i).0).collect();
                            written.extend(names.iter().cloned());
                            constructs.extend(names.iter().cloned());
                            edits.push(Edit::replace(
                                stmt.range(),
                                format!("from constructs import {}", names.join(", ")),
                            ));
                            continue;
                        }
                        for &i in &moved {
                            constructs.insert(item_names(&items[i]).0);
                        }
                        let module_node = stmt.field("module_name").expect("checked above");
                        edits.push(Edit::replace(module_node.range(), "aws_cdk"));
                        let Some(removal) = remove_items(ctx.text, &list, &items, &moved) else {
                            return;
                        };
                        edits.extend(removal);
                    }
                }
                _ => {}
            }
        }
        let Some(first_stmt) = first_stmt else {
            return;
        };
        let finding = Finding {
            codemod: 0,
            at: first_stmt.range().start,
            note: None,
            fix: None,
            construct_id: None,
        };
        // References: `core.X` → `cdk.X`; `core.Construct` → `Construct`.
        for node in ctx.module.dfs() {
            if node.kind() != "identifier" || !core_locals.iter().any(|l| *l == node.text()) {
                continue;
            }
            let Some(parent) = node.parent() else {
                continue;
            };
            let in_import = parent.kind() == "aliased_import"
                || parent.kind() == "dotted_name"
                || parent.kind() == "import_from_statement";
            if in_import {
                continue;
            }
            let is_object = parent.kind() == "attribute"
                && parent
                    .field("object")
                    .is_some_and(|o| o.range() == node.range());
            if parent.kind() == "attribute" && !is_object {
                continue; // `x.core`: an attribute, not the name
            }
            if !is_object {
                problem = Some(format!(
                    "`{}` is used other than as `{}.X`",
                    node.text(),
                    node.text()
                ));
                continue;
            }
            let attr = parent.field("attribute").expect("attribute node");
            let attr = attr.text().to_string();
            if self.params.to_constructs.contains(&attr) {
                constructs.insert(attr.clone());
                edits.push(Edit::replace(parent.range(), attr));
            } else if node.text() != new_name {
                edits.push(Edit::replace(node.range(), "{NEW}".to_string()));
            }
        }
        // The new module name must be free (or already `aws_cdk`).
        let clash = |name: &str| {
            ctx.imports
                .resolve_name(name)
                .is_some_and(|p| p != "aws_cdk" && !core_locals.iter().any(|l| l == name))
        };
        // Any other use of the new name (a relative import, a variable) clashes.
        let used = !core_locals.contains(&new_name)
            && ctx.imports.resolve_name(&new_name).as_deref() != Some("aws_cdk")
            && ctx.module.dfs().any(|n| {
                n.kind() == "identifier"
                    && n.text() == new_name
                    && !n.parent().is_some_and(|p| {
                        p.kind() == "attribute"
                            && p.field("attribute").is_some_and(|a| a.range() == n.range())
                    })
            });
        if clash(&new_name) || used {
            problem = Some(format!("`{new_name}` already names something else"));
        }
        for name in &constructs {
            if ctx.imports.resolve_name(name).is_some_and(|p| {
                p != format!("constructs.{name}") && p != format!("aws_cdk.{name}")
            }) {
                problem = Some(format!("`{name}` already names something else"));
            }
        }
        if let Some(module) = module_not_in_v2(ctx.imports) {
            problem = Some(format!(
                "`aws_cdk.{module}` is not in aws-cdk-lib v2 (v1's experimental modules moved to separate `*_alpha` packages); move that import by hand"
            ));
        }
        if let Some(problem) = problem {
            out.push(finding.note(format!("not rewritten: {problem}")));
            return;
        }
        let already: Vec<&String> = constructs
            .iter()
            .filter(|n| ctx.imports.resolve_name(n).as_deref() == Some(&format!("constructs.{n}")))
            .collect();
        let needed: Vec<&str> = constructs
            .iter()
            .filter(|n| !already.contains(n) && !written.contains(*n))
            .map(String::as_str)
            .collect();
        let mut edits: Vec<Edit> = edits
            .into_iter()
            .map(|e| Edit::replace(e.range, e.text.replace("{NEW}", &new_name)))
            .collect();
        if !needed.is_empty() {
            let line = format!(
                "{}from constructs import {}",
                ctx.newline,
                needed.join(", ")
            );
            let end = first_stmt.range().end;
            // After the first v1 import (and after what the fix puts there).
            match edits
                .iter_mut()
                .find(|e| e.range.end == end || e.range.start == end)
            {
                Some(e) => e.text.push_str(&line),
                None => edits.push(Edit::insert(end, line)),
            }
        }
        edits.sort_by_key(|e| (e.range.start, e.range.end));
        out.push(finding.fix(edits, vec![]).alone());
    }
}
