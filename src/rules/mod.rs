//! Codemod implementations: the declarative kinds of the catalogue, and the
//! transforms written in Rust for what cannot be declarative.

pub mod environment;
mod physical_name;
mod removal_policy;
mod require_kwarg;
mod stack_name;

use crate::catalogue::{Catalogue, Entry, Rewrite};
use crate::imports::{ImportNeed, Imports};
use crate::options::Options;
use crate::pyast::{CallView, Node};
use crate::source::Edit;
use std::collections::HashMap;

/// What a codemod sees of the file it runs on.
pub struct FileCtx<'a, 'r> {
    pub text: &'a str,
    pub imports: &'a Imports,
    pub newline: &'static str,
    /// Variables (`table`, `self.table`) assigned from a construct call earlier
    /// in the file: the construct's name and the call.
    pub vars: &'a HashMap<String, (String, Node<'r>)>,
    pub options: &'a Options,
    /// The module (the whole file's tree).
    pub module: &'a Node<'r>,
}

#[derive(Debug, Clone)]
pub struct Fix {
    pub edits: Vec<Edit>,
    pub needs: Vec<ImportNeed>,
}

#[derive(Debug, Clone)]
pub struct Finding {
    /// Index of the codemod in the catalogue; set by the engine.
    pub codemod: usize,
    /// Byte offset the finding points at.
    pub at: usize,
    /// Detail beyond the catalogue summary (why it is only reported, say).
    pub note: Option<String>,
    pub fix: Option<Fix>,
    /// The construct id of the call, when a string literal.
    pub construct_id: Option<String>,
}

impl Finding {
    pub fn new(call: &CallView) -> Self {
        Finding {
            codemod: 0,
            at: call.node.range().start,
            note: None,
            fix: None,
            construct_id: call.construct_id(),
        }
    }
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
    pub fn fix(mut self, edits: Vec<Edit>, needs: Vec<ImportNeed>) -> Self {
        self.fix = Some(Fix { edits, needs });
        self
    }
}

pub trait Codemod: Send + Sync {
    /// Fully-qualified constructs whose calls this codemod inspects.
    fn constructs(&self) -> Vec<String> {
        Vec::new()
    }
    /// Whether this codemod sees every call of an `aws_cdk` name (physical
    /// names, say, can appear on any construct).
    fn any_construct(&self) -> bool {
        false
    }
    /// Whether this codemod sees class definitions (`on_class`).
    fn classes(&self) -> bool {
        false
    }
    /// Method names whose calls this codemod inspects (`x.apply_removal_policy`).
    fn methods(&self) -> Vec<String> {
        Vec::new()
    }
    fn on_construct<'r>(
        &self,
        _call: &CallView<'r>,
        _fqn: &str,
        _ctx: &FileCtx<'_, 'r>,
        _out: &mut Vec<Finding>,
    ) {
    }
    fn on_class<'r>(&self, _class: &Node<'r>, _ctx: &FileCtx<'_, 'r>, _out: &mut Vec<Finding>) {}
    fn on_method<'r>(
        &self,
        _call: &CallView<'r>,
        _receiver: &Node<'r>,
        _ctx: &FileCtx<'_, 'r>,
        _out: &mut Vec<Finding>,
    ) {
    }
}

pub fn build(entry: &Entry) -> Result<Box<dyn Codemod>, String> {
    match &entry.rewrite {
        Rewrite::RequireKwarg { .. } => Ok(Box::new(require_kwarg::RequireKwarg::new(entry))),
        Rewrite::Transform { name, params } => match name.as_str() {
            "removal-policy" => Ok(Box::new(removal_policy::RemovalPolicy::new(params)?)),
            "physical-name" => Ok(Box::new(physical_name::PhysicalName::new(params)?)),
            "stack-name" => Ok(Box::new(stack_name::StackName::new(params)?)),
            other => Err(format!("unknown transform `{other}`")),
        },
    }
}

pub fn validate_transform(name: &str, params: &toml::Table) -> Result<(), String> {
    match name {
        "removal-policy" => removal_policy::RemovalPolicy::new(params).map(|_| ()),
        "physical-name" => physical_name::PhysicalName::new(params).map(|_| ()),
        "stack-name" => stack_name::StackName::new(params).map(|_| ()),
        other => Err(format!("unknown transform `{other}`")),
    }
}

/// Every codemod, and which of them each construct and method call goes to:
/// built once per run so the per-file walk is one traversal with lookups.
pub struct Registry {
    pub codemods: Vec<Box<dyn Codemod>>,
    pub by_construct: HashMap<String, Vec<usize>>,
    pub by_method: HashMap<String, Vec<usize>>,
    pub any_construct: Vec<usize>,
    pub on_class: Vec<usize>,
}

impl Registry {
    pub fn new(catalogue: &Catalogue) -> Result<Self, String> {
        let mut reg = Registry {
            codemods: Vec::new(),
            by_construct: HashMap::new(),
            by_method: HashMap::new(),
            any_construct: Vec::new(),
            on_class: Vec::new(),
        };
        for (idx, entry) in catalogue.entries.iter().enumerate() {
            let codemod = build(entry).map_err(|e| format!("codemod {}: {e}", entry.id))?;
            for c in codemod.constructs() {
                reg.by_construct.entry(c).or_default().push(idx);
            }
            for m in codemod.methods() {
                reg.by_method.entry(m).or_default().push(idx);
            }
            if codemod.any_construct() {
                reg.any_construct.push(idx);
            }
            if codemod.classes() {
                reg.on_class.push(idx);
            }
            reg.codemods.push(codemod);
        }
        Ok(reg)
    }
}

/// The `{a.b.C}` names in a value template.
pub fn template_paths(template: &str) -> Result<Vec<&str>, String> {
    let mut paths = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("unclosed `{{` in `{template}`"))?;
        let path = &rest[open + 1..open + close];
        crate::catalogue::check_constructs(&[path.to_string()])?;
        paths.push(path);
        rest = &rest[open + close + 1..];
    }
    Ok(paths)
}

/// Render a value template, spelling each `{a.b.C}` with the file's imports.
/// `None` when a name cannot be spelled without a clash.
pub fn render(template: &str, imports: &Imports, needs: &mut Vec<ImportNeed>) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = open + rest[open..].find('}')?;
        out.push_str(&rest[..open]);
        let spelling = imports.spell(&rest[open + 1..close])?;
        out.push_str(&spelling.text);
        needs.extend(spelling.need);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}
