//! Which local names mean which `aws_cdk` module or class, how to spell a
//! fully-qualified name with the file's own imports, and how to add an import
//! when a name is not reachable yet.

use crate::pyast::{ListView, Node, Root, insert_items};
use crate::source::{Edit, line_end};
use std::collections::{BTreeMap, HashMap};

/// CDK v1 kept the core classes in `aws_cdk.core`; v2 moved them to `aws_cdk`.
/// Resolution maps both to the v2 name so codemods ask for one spelling.
pub fn canonical(path: &str) -> String {
    if path == "aws_cdk.core" {
        "aws_cdk".to_string()
    } else if let Some(rest) = path.strip_prefix("aws_cdk.core.") {
        format!("aws_cdk.{rest}")
    } else {
        path.to_string()
    }
}

#[derive(Debug, Clone)]
struct Binding {
    path: String,
    /// Bound to v1's `aws_cdk.core`: it reaches core classes, not `aws_*` modules.
    v1_core: bool,
    /// Bound when the code runs (not only under `if TYPE_CHECKING:`).
    runtime: bool,
}

#[derive(Debug, Clone)]
struct FromImport {
    module: String,
    raw: String,
    list: ListView,
    /// The imported names as written (`aws_s3 as s3`).
    items: Vec<String>,
    /// End of the statement.
    end: usize,
}

impl FromImport {
    fn imports_a_module(&self) -> bool {
        self.module == "aws_cdk" && self.items.iter().any(|i| i.starts_with("aws_"))
    }
}

/// A name to import: `from module import name`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImportNeed {
    pub module: String,
    pub name: String,
}

/// How to write a fully-qualified name in this file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spelling {
    pub text: String,
    pub need: Option<ImportNeed>,
}

#[derive(Debug, Default)]
pub struct Imports {
    bindings: HashMap<String, Binding>,
    from_imports: Vec<FromImport>,
    last_import_end: Option<usize>,
    /// End of the last top-level import of an `aws_cdk` module: new imports
    /// go beside the file's other CDK imports.
    last_cdk_import_end: Option<usize>,
    first_statement: Option<usize>,
    v1: bool,
    /// Whether the statement being read binds at run time (see [`Binding`]).
    runtime: bool,
    /// Names the file also assigns (`s3 = config.s3`): new code must not
    /// spell anything through them, whatever they hold where it lands.
    shadowed: std::collections::HashSet<String>,
    /// Where the import statements read start, in source order.
    statements: Vec<usize>,
}

impl Imports {
    pub fn collect(root: &Root) -> Self {
        let mut imports = Imports {
            runtime: true,
            ..Imports::default()
        };
        let module = root.root();
        for stmt in module.children() {
            let kind = stmt.kind();
            if imports.first_statement.is_none()
                && stmt.is_named()
                && kind != "comment"
                && kind != "future_import_statement"
                && !is_docstring(&stmt)
            {
                imports.first_statement = Some(stmt.range().start);
            }
            match kind.as_ref() {
                "import_statement" | "import_from_statement" | "future_import_statement" => {
                    imports.last_import_end = Some(stmt.range().end);
                    let text = stmt.text();
                    if text.starts_with("from aws_cdk") || text.starts_with("import aws_cdk") {
                        imports.last_cdk_import_end = Some(stmt.range().end);
                    }
                    imports.add_statement(&stmt, true);
                }
                // Conditional and guarded imports still bind names, but those
                // under `if TYPE_CHECKING:` only for the type checker: code
                // cdkfix writes must not spell names through them.
                "if_statement" | "try_statement" => {
                    let typing_only = (kind == "if_statement")
                        .then(|| stmt.field("condition"))
                        .flatten()
                        .filter(|c| {
                            let c = c.text();
                            c == "TYPE_CHECKING" || c.ends_with(".TYPE_CHECKING")
                        })
                        .and_then(|_| stmt.field("consequence"))
                        .map(|block| block.range());
                    for inner in stmt.dfs() {
                        let k = inner.kind();
                        if k == "import_statement" || k == "import_from_statement" {
                            imports.runtime = typing_only
                                .as_ref()
                                .is_none_or(|r| !r.contains(&inner.range().start));
                            imports.add_statement(&inner, false);
                            imports.runtime = true;
                        }
                    }
                }
                _ => {}
            }
        }
        imports
    }

    fn bind(&mut self, local: &str, path: &str) {
        let v1_core = path == "aws_cdk.core";
        self.v1 |= path == "aws_cdk.core" || path.starts_with("aws_cdk.core.");
        self.bindings.insert(
            local.to_string(),
            Binding {
                path: canonical(path),
                v1_core,
                runtime: self.runtime,
            },
        );
    }

    fn add_statement(&mut self, stmt: &Node, top_level: bool) {
        let ids = crate::pyast::ids();
        self.statements.push(stmt.range().start);
        if stmt.kind() == "import_statement" {
            for name in stmt.field_children("name") {
                if name.kind() == "aliased_import" {
                    if let (Some(path), Some(alias)) = (
                        name.child_by_field_id(ids.name),
                        name.child_by_field_id(ids.alias),
                    ) {
                        self.bind(&alias.text(), &path.text());
                    }
                } else {
                    let full = name.text();
                    let first = full.split('.').next().unwrap_or_default().to_string();
                    self.bind(&first, &first);
                    if full.starts_with("aws_cdk.core") {
                        self.v1 = true;
                    }
                }
            }
            return;
        }
        let Some(module) = stmt.child_by_field_id(ids.module_name) else {
            return;
        };
        if module.kind() != "dotted_name" {
            return; // relative imports never reach aws_cdk
        }
        let module = module.text().to_string();
        let mut list = ListView::default();
        let mut after_import = false;
        for child in stmt.children() {
            match child.kind().as_ref() {
                "import" => after_import = true,
                "(" => list.open_end = Some(child.range().end),
                ")" => list.close = Some(child.range().start),
                "," if after_import => list.push_comma(child.range()),
                "wildcard_import" => {
                    // Not counted as read: the walk still sees the `*` (it
                    // makes every name possibly bound).
                    self.statements.pop();
                    return;
                }
                "dotted_name" | "aliased_import" if after_import => {
                    list.push_item(child.range());
                    if child.kind() == "aliased_import" {
                        if let (Some(n), Some(a)) = (
                            child.child_by_field_id(ids.name),
                            child.child_by_field_id(ids.alias),
                        ) {
                            self.bind(&a.text(), &format!("{module}.{}", n.text()));
                        }
                    } else {
                        let n = child.text();
                        self.bind(&n, &format!("{module}.{n}"));
                    }
                }
                _ => {}
            }
        }
        if top_level {
            let source = stmt.root().get_text();
            let items = list
                .items
                .iter()
                .map(|r| source[r.clone()].to_string())
                .collect();
            self.from_imports.push(FromImport {
                module: canonical(&module),
                raw: module,
                list,
                items,
                end: stmt.range().end,
            });
        }
    }

    /// The fully-qualified (canonical) name an expression refers to, when it is
    /// a name or attribute chain rooted in an import.
    pub fn resolve(&self, node: &Node) -> Option<String> {
        // Runs on every call of the file: the path is built in one string,
        // and an unbound base name costs no allocation.
        let ids = crate::pyast::ids();
        let text = node.root().get_text();
        let kind = node.kind_id();
        if kind == ids.identifier {
            self.bindings
                .get(&text[node.range()])
                .map(|b| b.path.clone())
        } else if kind == ids.attribute {
            let mut path = self.resolve(&node.child_by_field_id(ids.object)?)?;
            let attr = node.child_by_field_id(ids.attribute_field)?;
            path.push('.');
            path.push_str(&text[attr.range()]);
            Some(path)
        } else {
            None
        }
    }

    /// What a bare name is bound to by the file's imports (canonical path).
    pub fn resolve_name(&self, name: &str) -> Option<String> {
        self.bindings.get(name).map(|b| b.path.clone())
    }

    /// Whether the import statement starting at `start` is one of those
    /// read (the names it binds are in [`Imports::binds`]).
    pub fn read(&self, start: usize) -> bool {
        self.statements.binary_search(&start).is_ok()
    }

    /// The canonical paths the file's imports bind names to.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.bindings.values().map(|b| b.path.as_str())
    }

    /// Whether the file's imports bind the bare name `name`.
    pub fn binds(&self, name: &str) -> bool {
        self.bindings.contains_key(name)
    }

    /// Record names the file assigns somewhere (see `shadowed`).
    pub fn shadow<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) {
        self.shadowed.extend(
            names
                .into_iter()
                .filter(|n| self.bindings.contains_key(*n))
                .map(String::from),
        );
    }

    /// Whether the file uses CDK v1's `aws_cdk.core`.
    pub fn is_v1(&self) -> bool {
        self.v1
    }

    /// Spell `path` (a module or class, canonical) with the file's names: the
    /// shortest name-or-attribute chain reaching it, else its bare name plus an
    /// import to add. `None` when the bare name is taken by something else.
    pub fn spell(&self, path: &str) -> Option<Spelling> {
        self.spell_checked(path, |_| false)
    }

    /// Like [`Imports::spell`], where `in_use` says whether the file writes a
    /// name anywhere (a variable, a parameter, a loop target): a name to be
    /// imported anew must not be one of them.
    pub fn spell_checked(&self, path: &str, in_use: impl Fn(&str) -> bool) -> Option<Spelling> {
        let mut best: Option<String> = None;
        let usable = |local: &String, b: &Binding| b.runtime && !self.shadowed.contains(local);
        for (local, b) in self.bindings.iter().filter(|(l, b)| usable(l, b)) {
            let candidate = if b.path == path {
                local.clone()
            } else if let Some(rest) = path
                .strip_prefix(b.path.as_str())
                .and_then(|r| r.strip_prefix('.'))
            {
                if b.v1_core && rest.starts_with("aws_") {
                    continue;
                }
                format!("{local}.{rest}")
            } else {
                continue;
            };
            let better = match &best {
                None => true,
                Some(cur) => (candidate.len(), &candidate) < (cur.len(), cur),
            };
            if better {
                best = Some(candidate);
            }
        }
        if let Some(text) = best {
            return Some(Spelling { text, need: None });
        }
        if let Some(spelling) = self.spell_through_new_module(path, &in_use) {
            return Some(spelling);
        }
        let (module, name) = path.rsplit_once('.')?;
        // A typing-only import of the same name is no clash: the runtime
        // import added now binds it to the same thing.
        let same = self.bindings.get(name).is_some_and(|b| b.path == path);
        if self.shadowed.contains(name)
            || self
                .bindings
                .get(name)
                .is_some_and(|b| b.runtime || b.path != path)
            || (in_use(name) && !same)
        {
            return None;
        }
        Some(Spelling {
            text: name.to_string(),
            need: Some(ImportNeed {
                module: module.to_string(),
                name: name.to_string(),
            }),
        })
    }

    /// Where a new import line goes: after the last CDK import, else the
    /// last import.
    fn new_line_anchor(&self) -> Option<usize> {
        self.last_cdk_import_end.or(self.last_import_end)
    }

    /// In a file that imports service modules (`from aws_cdk import aws_s3
    /// as s3`), a name of another service module is spelled through that
    /// module, imported the same way (`logs.LogGroup`, adding `aws_logs as
    /// logs`), rather than by importing the class itself.
    fn spell_through_new_module(
        &self,
        path: &str,
        in_use: &impl Fn(&str) -> bool,
    ) -> Option<Spelling> {
        if self.v1 {
            return None;
        }
        let style = self.from_imports.iter().find(|f| f.imports_a_module())?;
        let rest = path.strip_prefix("aws_cdk.")?;
        let (module, inner) = rest.split_once('.')?;
        if !module.starts_with("aws_") {
            return None;
        }
        let aliased = style
            .items
            .iter()
            .any(|i| i.starts_with("aws_") && i.contains(" as "));
        let local = if aliased {
            conventional_alias(module)
        } else {
            module.to_string()
        };
        // A module the file imports classes from keeps getting them that way.
        let canonical_module = format!("aws_cdk.{module}");
        if self.bindings.contains_key(&local)
            || self.shadowed.contains(&local)
            || in_use(&local)
            || self
                .from_imports
                .iter()
                .any(|f| f.module == canonical_module)
        {
            return None;
        }
        let name = if local == module {
            local.clone()
        } else {
            format!("{module} as {local}")
        };
        Some(Spelling {
            text: format!("{local}.{inner}"),
            need: Some(ImportNeed {
                module: "aws_cdk".into(),
                name,
            }),
        })
    }

    /// Edits adding the needed imports: merged into an existing top-level
    /// `from module import ...` (keeping its layout), else one new line per
    /// module after the last top-level import.
    pub fn edits_for(&self, needs: &[ImportNeed], text: &str, newline: &str) -> Vec<Edit> {
        let mut by_module: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for need in needs {
            let names = by_module.entry(need.module.as_str()).or_default();
            if !names.contains(&need.name.as_str()) {
                names.push(&need.name);
            }
        }
        let mut edits = Vec::new();
        let mut new_lines = String::new();
        for (module, names) in by_module {
            // In v1 the `aws_cdk` package itself holds no classes: merge core
            // names only into `from aws_cdk.core import ...`.
            let v1_root = self.v1 && module == "aws_cdk";
            let mut names = names;
            // Service modules join the statement that imports modules; in a
            // file that imports one module per line, on a line of their own.
            if let Some(existing) = self
                .from_imports
                .iter()
                .find(|f| module == "aws_cdk" && f.imports_a_module())
            {
                let (modules, rest): (Vec<&str>, Vec<&str>) =
                    names.into_iter().partition(|n| n.starts_with("aws_"));
                names = rest;
                let classes_here = !names.is_empty()
                    && !v1_root
                    && self
                        .from_imports
                        .iter()
                        .find(|f| f.module == module)
                        .is_some_and(|f| std::ptr::eq(f, existing));
                if modules.is_empty() {
                    // Only classes: handled below.
                } else if classes_here && existing.list.open_end.is_some() {
                    // Modules and classes join the same statement: one
                    // insertion, or each would add its separator at one place.
                    let all: Vec<&str> = modules.iter().chain(names.iter()).copied().collect();
                    edits.extend(insert_items(text, &existing.list, &all, newline));
                    continue;
                } else if existing.items.len() == 1 && existing.list.open_end.is_none() {
                    let lines: String = modules
                        .iter()
                        .map(|m| format!("{newline}from aws_cdk import {m}"))
                        .collect();
                    edits.push(Edit::insert(line_end(text, existing.end), lines));
                } else {
                    edits.extend(insert_items(text, &existing.list, &modules, newline));
                }
                if names.is_empty() {
                    continue;
                }
            }
            let joined = names.join(", ");
            if let Some(existing) = self
                .from_imports
                .iter()
                .find(|f| f.module == module && (!v1_root || f.raw == "aws_cdk.core"))
            {
                edits.extend(insert_items(text, &existing.list, &names, newline));
                continue;
            }
            let written = if self.v1 && module == "aws_cdk" {
                "aws_cdk.core"
            } else {
                module
            };
            match self.new_line_anchor() {
                Some(_) => new_lines.push_str(&format!("{newline}from {written} import {joined}")),
                None => new_lines.push_str(&format!("from {written} import {joined}{newline}")),
            }
        }
        if !new_lines.is_empty() {
            match self.new_line_anchor() {
                Some(end) => edits.push(Edit::insert(line_end(text, end), new_lines)),
                None => edits.push(Edit::insert(self.first_statement.unwrap_or(0), new_lines)),
            }
        }
        edits
    }
}

impl Imports {
    /// An edit adding `line` (a whole import statement) where
    /// [`Imports::edits_for`] puts new import lines.
    pub fn line_edit(&self, line: &str, text: &str, newline: &str) -> Edit {
        match self.new_line_anchor() {
            Some(end) => Edit::insert(line_end(text, end), format!("{newline}{line}")),
            None => Edit::insert(
                self.first_statement.unwrap_or(0),
                format!("{line}{newline}"),
            ),
        }
    }
}

fn is_docstring(stmt: &Node) -> bool {
    stmt.kind() == "expression_statement"
        && stmt
            .child(0)
            .is_some_and(|c| c.kind() == "string" && stmt.children().count() == 1)
}

/// The alias a service module conventionally gets (`aws_logs` as `logs`).
fn conventional_alias(module: &str) -> String {
    let alias = match module {
        "aws_lambda" => "lambda_",
        "aws_apigateway" => "apigw",
        "aws_apigatewayv2" => "apigwv2",
        "aws_elasticloadbalancingv2" => "elbv2",
        "aws_stepfunctions" => "sfn",
        "aws_stepfunctions_tasks" => "tasks",
        "aws_events_targets" => "targets",
        "aws_lambda_event_sources" => "event_sources",
        "aws_certificatemanager" => "acm",
        "aws_cloudfront_origins" => "origins",
        "aws_cloudwatch_actions" => "cw_actions",
        other => other.strip_prefix("aws_").unwrap_or(other),
    };
    alias.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pyast::parse;
    use crate::source::apply_edits;

    fn resolve_all(src: &str, expr: &str) -> Option<String> {
        let full = format!("{src}\nx = {expr}\n");
        let root = parse(&full);
        let imports = Imports::collect(&root);
        let assign = root
            .root()
            .dfs()
            .filter(|n| n.kind() == "assignment")
            .last()
            .unwrap();
        imports.resolve(&assign.field("right").unwrap())
    }

    #[test]
    fn resolves_every_import_style() {
        let bucket = Some("aws_cdk.aws_s3.Bucket".to_string());
        assert_eq!(
            resolve_all("import aws_cdk as cdk", "cdk.aws_s3.Bucket"),
            bucket
        );
        assert_eq!(
            resolve_all(
                "from aws_cdk import aws_s3 as s3, RemovalPolicy",
                "s3.Bucket"
            ),
            bucket
        );
        assert_eq!(
            resolve_all("from aws_cdk import aws_s3", "aws_s3.Bucket"),
            bucket
        );
        assert_eq!(
            resolve_all("import aws_cdk.aws_s3 as s3", "s3.Bucket"),
            bucket
        );
        assert_eq!(
            resolve_all("import aws_cdk.aws_s3", "aws_cdk.aws_s3.Bucket"),
            bucket
        );
        assert_eq!(
            resolve_all(
                "from aws_cdk.aws_s3 import Bucket, BlockPublicAccess",
                "Bucket"
            ),
            bucket
        );
        assert_eq!(
            resolve_all(
                "from aws_cdk import (\n    Stack,\n    aws_s3 as s3,\n)",
                "s3.Bucket"
            ),
            bucket
        );
        assert_eq!(
            resolve_all("from aws_cdk import core", "core.RemovalPolicy.DESTROY"),
            Some("aws_cdk.RemovalPolicy.DESTROY".to_string())
        );
        assert_eq!(
            resolve_all("from mylib import Bucket", "Bucket"),
            Some("mylib.Bucket".into())
        );
        assert_eq!(resolve_all("import os", "s3.Bucket"), None);
    }

    fn spell(src: &str, path: &str) -> Option<Spelling> {
        Imports::collect(&parse(src)).spell(path)
    }

    #[test]
    fn spells_with_existing_names() {
        let s = spell(
            "from aws_cdk import aws_s3 as s3\n",
            "aws_cdk.aws_s3.BlockPublicAccess",
        );
        assert_eq!(s.unwrap().text, "s3.BlockPublicAccess");
        let s = spell("import aws_cdk as cdk\n", "aws_cdk.RemovalPolicy").unwrap();
        assert_eq!(s.text, "cdk.RemovalPolicy");
        let s = spell("from aws_cdk import core\n", "aws_cdk.RemovalPolicy").unwrap();
        assert_eq!(s.text, "core.RemovalPolicy");
        // v1's core module does not reach the service modules.
        let s = spell(
            "from aws_cdk import core\n",
            "aws_cdk.aws_s3.BlockPublicAccess",
        )
        .unwrap();
        assert!(s.need.is_some());
        let s = spell(
            "from mylib import BlockPublicAccess\n",
            "aws_cdk.aws_s3.BlockPublicAccess",
        );
        assert_eq!(s, None);
        // Imports for the type checker only are not there at run time.
        let typing = "from typing import TYPE_CHECKING\nfrom aws_cdk.aws_s3 import Bucket\nif TYPE_CHECKING:\n    from aws_cdk import aws_s3 as s3\n    from aws_cdk import Duration\n";
        let s = spell(typing, "aws_cdk.aws_s3.BucketEncryption").unwrap();
        assert_eq!(s.text, "BucketEncryption");
        assert!(s.need.is_some());
        let s = spell(typing, "aws_cdk.Duration").unwrap();
        assert_eq!(s.text, "Duration");
        assert!(s.need.is_some());
        // A module alias the file also assigns is not used.
        let src = "from aws_cdk import aws_s3 as s3\nfrom aws_cdk.aws_s3 import Bucket\n";
        let mut imports = Imports::collect(&parse(src));
        imports.shadow(["s3", "unrelated"]);
        let s = imports.spell("aws_cdk.aws_s3.BucketEncryption").unwrap();
        assert_eq!(s.text, "BucketEncryption");
        let mut imports = Imports::collect(&parse("from aws_cdk import Duration\n"));
        imports.shadow(["Duration"]);
        assert_eq!(imports.spell("aws_cdk.Duration"), None);
    }

    /// Spell `path` and apply the import it needs.
    fn spell_and_import(src: &str, path: &str) -> (String, String) {
        let imports = Imports::collect(&parse(src));
        let s = imports.spell(path).unwrap();
        let out = apply_edits(
            src,
            &imports.edits_for(&s.need.into_iter().collect::<Vec<_>>(), src, "\n"),
        );
        (s.text, out)
    }

    #[test]
    fn new_service_modules_are_imported_like_the_others() {
        let (text, out) = spell_and_import(
            "from aws_cdk import (\n    Stack,\n    aws_s3 as s3,\n)\n",
            "aws_cdk.aws_logs.RetentionDays",
        );
        assert_eq!(text, "logs.RetentionDays");
        assert_eq!(
            out,
            "from aws_cdk import (\n    Stack,\n    aws_s3 as s3,\n    aws_logs as logs,\n)\n"
        );
        // One module per line: a line of its own.
        let (text, out) = spell_and_import(
            "from aws_cdk import Stack\nfrom aws_cdk import aws_lambda as _lambda\nimport os\n",
            "aws_cdk.aws_apigateway.StageOptions",
        );
        assert_eq!(text, "apigw.StageOptions");
        assert_eq!(
            out,
            "from aws_cdk import Stack\nfrom aws_cdk import aws_lambda as _lambda\nfrom aws_cdk import aws_apigateway as apigw\nimport os\n"
        );
        // Modules imported without aliases: none for the new one either.
        let (text, _) = spell_and_import("from aws_cdk import aws_s3\n", "aws_cdk.aws_kms.Key");
        assert_eq!(text, "aws_kms.Key");
        // Classes imported directly: the class is imported.
        let (text, out) = spell_and_import(
            "from aws_cdk.aws_s3 import Bucket\n",
            "aws_cdk.aws_logs.LogGroup",
        );
        assert_eq!(text, "LogGroup");
        assert_eq!(
            out,
            "from aws_cdk.aws_s3 import Bucket\nfrom aws_cdk.aws_logs import LogGroup\n"
        );
        // The conventional alias is taken: the class is imported instead.
        let (text, _) = spell_and_import(
            "from aws_cdk import aws_s3 as s3\nfrom x import logs\n",
            "aws_cdk.aws_logs.LogGroup",
        );
        assert_eq!(text, "LogGroup");
    }

    fn add(src: &str, module: &str, name: &str) -> String {
        let imports = Imports::collect(&parse(src));
        let need = ImportNeed {
            module: module.into(),
            name: name.into(),
        };
        apply_edits(src, &imports.edits_for(&[need], src, "\n"))
    }

    #[test]
    fn adds_imports_in_the_files_style() {
        assert_eq!(
            add(
                "from aws_cdk.aws_s3 import Bucket\n\nx = 1\n",
                "aws_cdk.aws_s3",
                "BlockPublicAccess"
            ),
            "from aws_cdk.aws_s3 import Bucket, BlockPublicAccess\n\nx = 1\n"
        );
        assert_eq!(
            add(
                "from aws_cdk import (\n    Stack,\n    aws_s3 as s3,\n)\n",
                "aws_cdk",
                "Tags"
            ),
            "from aws_cdk import (\n    Stack,\n    aws_s3 as s3,\n    Tags,\n)\n"
        );
        assert_eq!(
            add(
                "import aws_cdk.aws_s3 as s3\nimport os\n\nx = 1\n",
                "aws_cdk",
                "Tags"
            ),
            "import aws_cdk.aws_s3 as s3\nfrom aws_cdk import Tags\nimport os\n\nx = 1\n"
        );
        assert_eq!(
            add("from aws_cdk import core\n", "aws_cdk", "Tags"),
            "from aws_cdk import core\nfrom aws_cdk.core import Tags\n"
        );
    }
}
