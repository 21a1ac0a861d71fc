//! Codemod implementations: the declarative kinds of the catalogue, and the
//! transforms written in Rust for what cannot be declarative.

mod access_logs;
mod binding;
mod cdk_api;
pub mod cdk_v1_imports;
mod container_logging;
mod context_default;
mod db_rotation;
mod declarative;
pub mod environment;
mod environment_literals;
mod hardcoded_secret;
mod iam_actions;
mod iam_wildcard;
mod lambda_runtime;
pub mod layers;
mod missing_import;
mod physical_name;
mod queue_dlq;
mod removal_policy;
mod require_kwarg;
mod root_volume;
mod s3_origin;
mod stack_name;
mod stack_tags;
mod stage_options;
mod state_machine_logs;

use crate::catalogue::{Catalogue, Entry, Rewrite};
use crate::imports::{ImportNeed, Imports};
use crate::options::Options;
use crate::pyast::{CallView, Node};
use crate::source::Edit;
use std::collections::HashMap;

/// Facts about the whole file that codemods ask about many calls (is this
/// variable passed as `queue=` anywhere? does the file call
/// `self.vpc.add_flow_log`? where is `environment_suffix` assigned?),
/// gathered during the engine's one walk, so that no codemod walks the file
/// again per call. Keys are the source text as written.
#[derive(Default)]
pub struct FileIndex<'r> {
    /// Every call, in source order.
    calls: Vec<Node<'r>>,
    /// Every `receiver.method(...)` call, by method name.
    calls_by_method: Map<&'r str, Vec<Node<'r>>>,
    /// Every keyword argument by its value's text: its name and its node.
    kwargs_by_value: Map<&'r str, Vec<(&'r str, Node<'r>)>>,
    /// Every assignment, by its target (`table`, `self.table`).
    assignments: Map<&'r str, Vec<Node<'r>>>,
    /// Every `object.name` attribute node, by name.
    attributes: Map<&'r str, Vec<Node<'r>>>,
    /// Every string literal, in source order.
    strings: Vec<Node<'r>>,
    /// Every identifier written in the file, but for attribute names (the
    /// `name` of `x.name`) and the import statements the file's `Imports`
    /// read (their names are in `Imports::binds`), by name: the first and
    /// last of its occurrences in `identifier_nodes`.
    identifiers: Map<&'r str, (u32, u32)>,
    /// The occurrences, each with the index of the next one of the same
    /// name: one list for all names instead of a growing list per name.
    identifier_nodes: Vec<(Node<'r>, u32)>,
    /// Whether the file has a `from x import *` anywhere.
    wildcard_import: bool,
    /// Where the attribute names seen but not yet walked start: the walk
    /// reaches an attribute before its name.
    pending_attribute_names: Vec<usize>,
}

/// The end of a list of occurrences in [`FileIndex::identifier_nodes`].
const NO_NEXT: u32 = u32::MAX;

/// The index's maps hash short source snippets, for which a fast hash pays.
type Map<K, V> = foldhash::HashMap<K, V>;

impl<'r> FileIndex<'r> {
    /// The index of a whole tree (the engine builds it during its own walk).
    pub fn build(module: &Node<'r>) -> Self {
        let text = module.root().get_text();
        let mut index = FileIndex::default();
        crate::pyast::walk(module, |node, kind| {
            index.add(node, kind, text);
            true
        });
        index
    }

    /// Record what one node of the walk contributes; `text` is the tree's source.
    pub fn add(&mut self, node: &Node<'r>, kind: u16, text: &'r str) {
        let ids = crate::pyast::ids();
        if kind == ids.string {
            self.strings.push(node.clone());
        } else if kind == ids.identifier {
            let start = node.range().start;
            match self
                .pending_attribute_names
                .iter()
                .rposition(|&s| s == start)
            {
                Some(i) => {
                    self.pending_attribute_names.swap_remove(i);
                }
                None => {
                    let at = self.identifier_nodes.len() as u32;
                    self.identifier_nodes.push((node.clone(), NO_NEXT));
                    match self.identifiers.entry(&text[node.range()]) {
                        std::collections::hash_map::Entry::Occupied(mut e) => {
                            let (_, last) = e.get_mut();
                            self.identifier_nodes[*last as usize].1 = at;
                            *last = at;
                        }
                        std::collections::hash_map::Entry::Vacant(e) => {
                            e.insert((at, at));
                        }
                    }
                }
            }
        } else if kind == ids.attribute {
            if let Some(name) = node.child_by_field_id(ids.attribute_field) {
                self.pending_attribute_names.push(name.range().start);
                self.attributes
                    .entry(&text[name.range()])
                    .or_default()
                    .push(node.clone());
            }
        } else if kind == ids.call {
            self.calls.push(node.clone());
            if let Some(method) = node
                .child_by_field_id(ids.function)
                .filter(|f| f.kind_id() == ids.attribute)
                .and_then(|f| f.child_by_field_id(ids.attribute_field))
            {
                self.calls_by_method
                    .entry(&text[method.range()])
                    .or_default()
                    .push(node.clone());
            }
        } else if kind == ids.assignment {
            if let Some(left) = node.child_by_field_id(ids.left) {
                self.assignments
                    .entry(&text[left.range()])
                    .or_default()
                    .push(node.clone());
            }
        } else if kind == ids.wildcard_import {
            self.wildcard_import = true;
        } else if kind == ids.keyword_argument
            && let (Some(name), Some(value)) = (
                node.child_by_field_id(ids.name),
                node.child_by_field_id(ids.value),
            )
        {
            self.kwargs_by_value
                .entry(&text[value.range()])
                .or_default()
                .push((&text[name.range()], node.clone()));
        }
    }

    /// The calls of the file, in source order.
    pub fn calls(&self) -> &[Node<'r>] {
        &self.calls
    }

    /// The `x.method(...)` calls of the file, in source order.
    pub fn method_calls(&self, method: &str) -> &[Node<'r>] {
        self.calls_by_method.get(method).map_or(&[], Vec::as_slice)
    }

    /// Whether the file calls `receiver.<one of methods>(...)`, or one of
    /// them on a part of it (`service.load_balancer.log_access_logs(...)`).
    pub fn calls_method(&self, receiver: &str, methods: &[String]) -> bool {
        let ids = crate::pyast::ids();
        methods.iter().any(|m| {
            self.method_calls(m).iter().any(|call| {
                call.child_by_field_id(ids.function)
                    .and_then(|f| f.child_by_field_id(ids.object))
                    .is_some_and(|o| {
                        let o = o.text();
                        o == receiver
                            || o.strip_prefix(receiver)
                                .is_some_and(|rest| rest.starts_with('.'))
                    })
            })
        })
    }

    /// The keyword arguments (name, `name=value` node) whose value is written
    /// exactly `value`.
    pub fn kwargs_with_value(&self, value: &str) -> &[(&'r str, Node<'r>)] {
        self.kwargs_by_value.get(value).map_or(&[], Vec::as_slice)
    }

    /// Every keyword argument of the file, in no particular order: its
    /// value's text and its name.
    pub fn kwargs(&self) -> impl Iterator<Item = (&'r str, &'r str)> + '_ {
        self.kwargs_by_value
            .iter()
            .flat_map(|(value, args)| args.iter().map(move |(name, _)| (*value, *name)))
    }

    /// The assignments to `target` (written exactly so), in source order.
    pub fn assignments_to(&self, target: &str) -> &[Node<'r>] {
        self.assignments.get(target).map_or(&[], Vec::as_slice)
    }

    /// Every `object.name` attribute node of the file, with its name.
    pub fn attributes(&self) -> impl Iterator<Item = (&'r str, &Node<'r>)> + '_ {
        self.attributes
            .iter()
            .flat_map(|(name, nodes)| nodes.iter().map(move |n| (*name, n)))
    }

    /// Every `receiver.method(...)` call of the file, with the method's name.
    pub fn all_method_calls(&self) -> impl Iterator<Item = (&'r str, &Node<'r>)> + '_ {
        self.calls_by_method
            .iter()
            .flat_map(|(name, nodes)| nodes.iter().map(move |n| (*name, n)))
    }

    /// The `object.name` attribute nodes of the file, in source order.
    pub fn attributes_named(&self, name: &str) -> &[Node<'r>] {
        self.attributes.get(name).map_or(&[], Vec::as_slice)
    }

    /// The string literals of the file, in source order.
    pub fn strings(&self) -> &[Node<'r>] {
        &self.strings
    }

    /// The plain names the file assigns to (`x = ...`, not `self.x = ...`).
    pub fn assigned_names(&self) -> impl Iterator<Item = &'r str> + '_ {
        self.assignments
            .keys()
            .copied()
            .filter(|t| crate::catalogue::is_identifier(t))
    }

    /// Whether `name` is written in the file as a name (not as the attribute
    /// of `x.name`).
    pub fn has_name(&self, name: &str) -> bool {
        self.identifiers.contains_key(name)
    }

    /// Where `name` is written as a name (see [`FileIndex::has_name`]), in
    /// source order.
    pub fn name_nodes(&self, name: &str) -> impl Iterator<Item = &Node<'r>> + '_ {
        let mut at = self
            .identifiers
            .get(name)
            .map_or(NO_NEXT, |(first, _)| *first);
        std::iter::from_fn(move || {
            let (node, next) = self.identifier_nodes.get(at as usize)?;
            at = *next;
            Some(node)
        })
    }

    /// Whether the file has a `from x import *` anywhere.
    pub fn has_wildcard_import(&self) -> bool {
        self.wildcard_import
    }

    /// Whether `name` is written anywhere, as a name or as an attribute.
    pub fn mentions(&self, name: &str) -> bool {
        self.has_name(name) || self.attributes.contains_key(name)
    }
}

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
    pub index: &'a FileIndex<'r>,
    /// The aws-cdk-lib version whose API fixes may use: the project's pin,
    /// or CDK v1 for a file that stays on v1.
    pub cdk: crate::version::Version,
    /// Where `cdk` comes from, for notes: "the project pins 2.150.0".
    pub cdk_source: &'a str,
}

impl<'r> FileCtx<'_, 'r> {
    pub fn index(&self) -> &FileIndex<'r> {
        self.index
    }

    /// The construct a method's receiver is, when the file says: a construct
    /// call written in place (`s3.Bucket(...).grant_read(...)`), or the
    /// construct call last assigned to that name (`bucket`, `self.bucket`).
    /// Its class (fully qualified) and the constructor call.
    pub fn receiver_construct(&self, receiver: &Node<'r>) -> Option<(String, Node<'r>)> {
        let ids = crate::pyast::ids();
        if receiver.kind_id() == ids.call {
            let function = receiver.child_by_field_id(ids.function)?;
            Some((self.imports.resolve(&function)?, receiver.clone()))
        } else {
            self.vars
                .get(&self.text[receiver.range()])
                .map(|(fqn, ctor)| (fqn.clone(), ctor.clone()))
        }
    }

    /// Spell a fully-qualified name with the file's imports (see
    /// [`Imports::spell`]), never importing a name the file already uses
    /// for something of its own.
    pub fn spell(&self, path: &str) -> Option<crate::imports::Spelling> {
        self.imports
            .spell_checked(path, |name| self.index.has_name(name))
    }
}

#[derive(Debug, Clone)]
pub struct Fix {
    pub edits: Vec<Edit>,
    pub needs: Vec<ImportNeed>,
    /// Applied in a pass of its own: it respells names all over the file
    /// (CDK v1's `core.X`), so code another fix writes in the same pass with
    /// the old spelling would be left behind.
    pub alone: bool,
    /// Unsafe whatever the entry's tier: it overrides a value the code
    /// chose explicitly (`enforce_ssl=False`).
    pub unsafe_override: bool,
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
        self.fix = Some(Fix {
            edits,
            needs,
            alone: false,
            unsafe_override: false,
        });
        self
    }
    /// Mark the fix unsafe whatever the entry's tier ([`Fix::unsafe_override`]).
    pub fn unsafe_override(mut self) -> Self {
        if let Some(fix) = &mut self.fix {
            fix.unsafe_override = true;
        }
        self
    }
    /// Mark the fix as one to apply in a pass of its own ([`Fix::alone`]).
    pub fn alone(mut self) -> Self {
        if let Some(fix) = &mut self.fix {
            fix.alone = true;
        }
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
    /// Whether this codemod sees the whole file once per pass (`on_module`),
    /// for problems that no single call shows (a name never imported).
    fn whole_file(&self) -> bool {
        false
    }
    fn on_module<'r>(&self, _ctx: &FileCtx<'_, 'r>, _out: &mut Vec<Finding>) {}
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
        Rewrite::ReplaceValue { .. } => Ok(Box::new(declarative::ReplaceValue::new(entry))),
        Rewrite::RenameKwarg { .. } => Ok(Box::new(declarative::RenameKwarg::new(entry))),
        Rewrite::Report { .. } => Ok(Box::new(declarative::Report::new(entry))),
        Rewrite::Transform { name, params } => match name.as_str() {
            "removal-policy" => Ok(Box::new(removal_policy::RemovalPolicy::new(params)?)),
            "stage-options" => Ok(Box::new(stage_options::StageOptions::new(params)?)),
            "stack-tags" => Ok(Box::new(stack_tags::StackTags::new(params)?)),
            "iam-wildcard-action" => Ok(Box::new(iam_wildcard::WildcardAction::new(params)?)),
            "iam-wildcard-resource" => Ok(Box::new(iam_wildcard::WildcardResource::new(params)?)),
            "physical-name" => Ok(Box::new(physical_name::PhysicalName::new(params)?)),
            "stack-name" => Ok(Box::new(stack_name::StackName::new(params)?)),
            "state-machine-logs" => {
                Ok(Box::new(state_machine_logs::StateMachineLogs::new(params)?))
            }
            "queue-dlq" => Ok(Box::new(queue_dlq::QueueDlq::new(params)?)),
            "rds-generated-password" => Ok(Box::new(hardcoded_secret::RdsGeneratedPassword::new(
                params,
            )?)),
            "plain-text-secret" => Ok(Box::new(hardcoded_secret::PlainTextSecret::new(params)?)),
            "missing-import" => Ok(Box::new(missing_import::MissingImport::new(params)?)),
            "cdk-v1-imports" => Ok(Box::new(cdk_v1_imports::CdkV1Imports::new(params)?)),
            "container-logging" => Ok(Box::new(container_logging::ContainerLogging::new(params)?)),
            "s3-origin" => Ok(Box::new(s3_origin::S3Origin::new(params)?)),
            "environment-literals" => Ok(Box::new(environment_literals::EnvironmentLiterals::new(
                params,
            )?)),
            "stage-cache-encryption" => Ok(Box::new(stage_options::CacheEncryption::new(params)?)),
            "context-default" => Ok(Box::new(context_default::ContextDefault::new(params)?)),
            "lambda-runtime" => Ok(Box::new(lambda_runtime::LambdaRuntime::new(params)?)),
            "access-logs" => Ok(Box::new(access_logs::AccessLogs::new(params)?)),
            "root-volume" => Ok(Box::new(root_volume::RootVolume::new(params)?)),
            "db-rotation" => Ok(Box::new(db_rotation::DbRotation::new(params)?)),
            "api-unknown-keyword" => Ok(Box::new(cdk_api::UnknownKeyword::new(params)?)),
            "api-missing-argument" => Ok(Box::new(cdk_api::MissingArgument::new(params)?)),
            "api-enum-call" => Ok(Box::new(cdk_api::EnumCall::new(params)?)),
            "api-unknown-name" => Ok(Box::new(cdk_api::UnknownName::new(params)?)),
            "api-unknown-module" => Ok(Box::new(cdk_api::UnknownModule::new(params)?)),
            "api-read-only-property" => Ok(Box::new(cdk_api::ReadOnlyProperty::new(params)?)),
            "api-unknown-method" => Ok(Box::new(cdk_api::UnknownMethod::new(params)?)),
            "api-reserved-environment" => Ok(Box::new(cdk_api::ReservedEnvironment::new(params)?)),
            // Its findings come from the engine's suppression step.
            "unused-suppression" if params.is_empty() => {
                Ok(Box::new(crate::suppress::UnusedSuppression))
            }
            other => Err(format!("unknown transform `{other}`")),
        },
    }
}

/// The right side of the file's last assignment to the plain name or
/// `self.x` written as `node`, before `call`.
pub fn assigned_value<'r>(
    node: &Node<'r>,
    call: &CallView<'r>,
    ctx: &FileCtx<'_, 'r>,
) -> Option<Node<'r>> {
    let ids = crate::pyast::ids();
    if node.kind_id() != ids.identifier && node.kind_id() != ids.attribute {
        return None;
    }
    let before = call.node.range().start;
    ctx.index()
        .assignments_to(&ctx.text[node.range()])
        .iter()
        .rfind(|a| a.range().end <= before)
        .and_then(|a| a.child_by_field_id(ids.right))
}

/// The fully-qualified name a value resolves to, or whose call it is
/// (`DatabaseInstanceEngine.postgres(...)`), written in place or assigned to
/// the name passed.
pub fn value_name<'r>(
    value: &Node<'r>,
    call: &CallView<'r>,
    ctx: &FileCtx<'_, 'r>,
) -> Option<String> {
    let name = |v: &Node| {
        let target = if v.kind() == "call" {
            v.field("function")?
        } else {
            v.clone()
        };
        ctx.imports.resolve(&target)
    };
    name(value).or_else(|| name(&assigned_value(value, call, ctx)?))
}

/// Whether the call passes `cond.kwarg` with a value that meets the
/// condition: written `value`, resolving to one of `one_of` (see
/// [`value_name`]), or whose text contains one of `contains`; any value
/// when none is given.
pub fn kwarg_condition_holds<'r>(
    cond: &crate::catalogue::KwargCondition,
    call: &CallView<'r>,
    ctx: &FileCtx<'_, 'r>,
) -> bool {
    if cond.absent {
        // Missing, or (with `one_of`) not one of the values that make the
        // fix possible.
        let allowed = call.kwarg(&cond.kwarg).is_some_and(|v| {
            cond.one_of.is_empty()
                || value_name(v, call, ctx).is_some_and(|fqn| cond.one_of.contains(&fqn))
        });
        return !allowed;
    }
    call.kwarg(&cond.kwarg).is_some_and(|v| {
        let text_ok = cond
            .value
            .as_deref()
            .is_none_or(|want| v.text().trim() == want);
        let name_ok = cond.one_of.is_empty()
            || value_name(v, call, ctx).is_some_and(|fqn| cond.one_of.contains(&fqn));
        let contains_ok =
            cond.contains.is_empty() || cond.contains.iter().any(|c| v.text().contains(c.as_str()));
        text_ok && name_ok && contains_ok
    })
}

/// Spell several names with the file's imports, collecting the imports they
/// need; `None` when one clashes with a local name.
pub fn spell_all<const N: usize>(
    ctx: &FileCtx,
    names: [&str; N],
    needs: &mut Vec<ImportNeed>,
) -> Option<[String; N]> {
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    for (slot, name) in out.iter_mut().zip(names) {
        let spelling = ctx.spell(name)?;
        needs.extend(spelling.need);
        *slot = spelling.text;
    }
    Some(out)
}

/// A transform's `[rewrite.params]`, typed; errors name the transform.
pub fn params<T: serde::de::DeserializeOwned>(
    transform: &str,
    params: &toml::Table,
) -> Result<T, String> {
    params
        .clone()
        .try_into()
        .map_err(|e: toml::de::Error| format!("{transform} params: {}", e.message()))
}

pub fn validate_transform(name: &str, params: &toml::Table) -> Result<(), String> {
    match name {
        "removal-policy" => removal_policy::RemovalPolicy::new(params).map(|_| ()),
        "stage-options" => stage_options::StageOptions::new(params).map(|_| ()),
        "stack-tags" => stack_tags::StackTags::new(params).map(|_| ()),
        "iam-wildcard-action" => iam_wildcard::WildcardAction::new(params).map(|_| ()),
        "iam-wildcard-resource" => iam_wildcard::WildcardResource::new(params).map(|_| ()),
        "physical-name" => physical_name::PhysicalName::new(params).map(|_| ()),
        "stack-name" => stack_name::StackName::new(params).map(|_| ()),
        "state-machine-logs" => state_machine_logs::StateMachineLogs::new(params).map(|_| ()),
        "queue-dlq" => queue_dlq::QueueDlq::new(params).map(|_| ()),
        "rds-generated-password" => hardcoded_secret::RdsGeneratedPassword::new(params).map(|_| ()),
        "plain-text-secret" => hardcoded_secret::PlainTextSecret::new(params).map(|_| ()),
        "missing-import" => missing_import::MissingImport::new(params).map(|_| ()),
        "cdk-v1-imports" => cdk_v1_imports::CdkV1Imports::new(params).map(|_| ()),
        "container-logging" => container_logging::ContainerLogging::new(params).map(|_| ()),
        "s3-origin" => s3_origin::S3Origin::new(params).map(|_| ()),
        "environment-literals" => {
            environment_literals::EnvironmentLiterals::new(params).map(|_| ())
        }
        "stage-cache-encryption" => stage_options::CacheEncryption::new(params).map(|_| ()),
        "context-default" => context_default::ContextDefault::new(params).map(|_| ()),
        "lambda-runtime" => lambda_runtime::LambdaRuntime::new(params).map(|_| ()),
        "access-logs" => access_logs::AccessLogs::new(params).map(|_| ()),
        "root-volume" => root_volume::RootVolume::new(params).map(|_| ()),
        "db-rotation" => db_rotation::DbRotation::new(params).map(|_| ()),
        "api-unknown-keyword" => cdk_api::UnknownKeyword::new(params).map(|_| ()),
        "api-missing-argument" => cdk_api::MissingArgument::new(params).map(|_| ()),
        "api-enum-call" => cdk_api::EnumCall::new(params).map(|_| ()),
        "api-unknown-name" => cdk_api::UnknownName::new(params).map(|_| ()),
        "api-unknown-module" => cdk_api::UnknownModule::new(params).map(|_| ()),
        "api-read-only-property" => cdk_api::ReadOnlyProperty::new(params).map(|_| ()),
        "api-unknown-method" => cdk_api::UnknownMethod::new(params).map(|_| ()),
        "api-reserved-environment" => cdk_api::ReservedEnvironment::new(params).map(|_| ()),
        "unused-suppression" if params.is_empty() => Ok(()),
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
    pub on_module: Vec<usize>,
    /// Each codemod's `min_cdk`, parsed once.
    pub min_cdk: Vec<Option<crate::version::Version>>,
    /// Each codemod's `deprecation` flag.
    pub deprecation: Vec<bool>,
}

impl Registry {
    pub fn new(catalogue: &Catalogue) -> Result<Self, String> {
        let mut reg = Registry {
            codemods: Vec::new(),
            by_construct: HashMap::new(),
            by_method: HashMap::new(),
            any_construct: Vec::new(),
            on_class: Vec::new(),
            on_module: Vec::new(),
            min_cdk: Vec::new(),
            deprecation: Vec::new(),
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
            if codemod.whole_file() {
                reg.on_module.push(idx);
            }
            reg.codemods.push(codemod);
            reg.deprecation.push(entry.deprecation);
            // An entry with older spellings picks one for the pin itself.
            let picks_spelling =
                matches!(&entry.rewrite, Rewrite::RequireKwarg { older, .. } if !older.is_empty());
            reg.min_cdk.push(
                entry
                    .min_cdk
                    .as_deref()
                    .and_then(crate::version::Version::parse)
                    .filter(|_| !picks_spelling),
            );
        }
        Ok(reg)
    }
}

/// Whether the construct `call` creates is assigned to a name (`vpc`,
/// `self.vpc`) on which the file calls one of `methods`
/// (`self.vpc.add_flow_log(...)`, anywhere in the file).
pub fn assigned_name_calls(call: &CallView, methods: &[String], ctx: &FileCtx) -> bool {
    if methods.is_empty() {
        return false;
    }
    assigned_name(call)
        .is_some_and(|target| ctx.index().calls_method(&ctx.text[target.range()], methods))
}

/// The name (`bucket`, `self.bucket`) a construct call is assigned to, when
/// it is the whole right-hand side of an assignment.
pub fn assigned_name<'r>(call: &CallView<'r>) -> Option<Node<'r>> {
    let assignment = call.node.parent().filter(|p| p.kind() == "assignment")?;
    let is_value = assignment
        .field("right")
        .is_some_and(|r| r.range() == call.node.range());
    assignment.field("left").filter(|_| is_value)
}

/// The id of a construct a fix creates beside the one `call` makes: the
/// call's id with `suffix` appended, as a Python expression. A plain literal
/// gives a literal (`"Orders"` → `"OrdersDlq"`), an f-string the same
/// f-string with the text appended (`f"Orders{env}"` → `f"Orders{env}Dlq"`),
/// any other expression `expr + "Dlq"` (parenthesised where `+` would bind
/// tighter than its own operator). With the call's scope argument, or a note
/// saying why there is none; the id is refused when the file already holds
/// it, as a second construct with that id would clash.
pub fn derived_id(call: &CallView, suffix: &str, text: &str) -> Result<(String, String), String> {
    let (Some(scope), Some(id)) = (call.scope_arg(), call.id_arg()) else {
        return Err(
            "not rewritten: the call passes no construct id to derive the new construct's id from"
                .into(),
        );
    };
    let new_id = derive_id_expr(id, suffix, text).ok_or_else(|| {
        "not rewritten: the construct id is a bytes literal, so the new construct's id cannot be derived from it".to_string()
    })?;
    let (taken, shown) = match crate::pyast::string_literal_value(id) {
        Some(value) => {
            let value = format!("{value}{suffix}");
            let taken = [crate::pyast::py_str(&value), format!("'{value}'")]
                .iter()
                .any(|lit| text.contains(lit.as_str()));
            (taken, value)
        }
        None => (text.contains(new_id.as_str()), new_id.clone()),
    };
    if taken {
        return Err(format!(
            "not rewritten: the file already uses the construct id `{shown}`"
        ));
    }
    Ok((text[scope.range()].to_string(), new_id))
}

/// [`derived_id`]'s expression alone: `id` with `suffix` appended, or `None`
/// for a bytes literal.
pub fn derive_id_expr(id: &Node, suffix: &str, text: &str) -> Option<String> {
    let ids = crate::pyast::ids();
    if let Some(value) = crate::pyast::string_literal_value(id) {
        return Some(crate::pyast::py_str(&format!("{value}{suffix}")));
    }
    if let Some(parts) = crate::pyast::string_parts(id) {
        if parts.is_bytes() {
            return None;
        }
        return Some(format!(
            "{}{suffix}{}",
            &text[parts.range.start..parts.body.end],
            &text[parts.body.end..parts.range.end]
        ));
    }
    // `prefix + "Fn"`: the suffix joins the last literal.
    if id.kind() == "binary_operator"
        && id.field("operator").is_some_and(|op| op.text() == "+")
        && let Some(right) = id.field("right").filter(|r| r.kind_id() == ids.string)
        && let Some(joined) = derive_id_expr(&right, suffix, text)
    {
        return Some(format!(
            "{}{joined}",
            &text[id.range().start..right.range().start]
        ));
    }
    let expr = &text[id.range()];
    // Operands `+` can follow without parentheses: atoms, and operators that
    // bind at least as tightly and associate the same way.
    let bare = id.kind_id() == ids.identifier
        || id.kind_id() == ids.attribute
        || id.kind_id() == ids.call
        || matches!(
            id.kind().as_ref(),
            "subscript" | "parenthesized_expression" | "concatenated_string"
        )
        || (id.kind() == "binary_operator"
            && id.field("operator").is_some_and(|op| {
                matches!(
                    op.text().as_ref(),
                    "+" | "-" | "*" | "/" | "//" | "%" | "@" | "**"
                )
            }));
    Some(if bare {
        format!("{expr} + {}", crate::pyast::py_str(suffix))
    } else {
        format!("({expr}) + {}", crate::pyast::py_str(suffix))
    })
}

/// Options a value template may name as `{option:NAME}`.
const TEMPLATE_OPTIONS: &[&str] = &[
    "throttling.rate_limit",
    "throttling.burst_limit",
    "rds.backup_retention_days",
    "logs.retention",
    "lambda.reserved_concurrency",
    "cors.allow_origins",
];

/// Where each optional setting is configured, for the note of a finding
/// whose fix needs it while it is unset.
const OPTIONAL_OPTIONS: &[(&str, &str)] = &[
    (
        "lambda.reserved_concurrency",
        "`[lambda] reserved_concurrency = N`",
    ),
    (
        "cors.allow_origins",
        "`[cors] allow_origins = [\"https://app.example.com\"]`",
    ),
];

fn option_value(name: &str, options: &Options) -> Option<String> {
    match name {
        "throttling.rate_limit" => Some(options.throttling.rate_limit.to_string()),
        "throttling.burst_limit" => Some(options.throttling.burst_limit.to_string()),
        "rds.backup_retention_days" => Some(options.rds.backup_retention_days.to_string()),
        "logs.retention" => Some(options.logs.retention.0.clone()),
        "lambda.reserved_concurrency" => options.lambda.reserved_concurrency.map(|n| n.to_string()),
        "cors.allow_origins" if !options.cors.allow_origins.is_empty() => {
            let items: Vec<String> = options
                .cors
                .allow_origins
                .iter()
                .map(|o| crate::pyast::py_str(o))
                .collect();
            Some(format!("[{}]", items.join(", ")))
        }
        _ => None,
    }
}

/// When `template` names a setting that has no default and is not
/// configured, the note of a finding reported without a fix: the value
/// cannot be invented, so the project has to choose it.
pub fn unset_option_note(template: &str, options: &Options) -> Option<String> {
    template_pieces(template)
        .ok()?
        .into_iter()
        .find_map(|p| match p {
            Piece::Name(name) => {
                let option = name.strip_prefix("option:")?;
                let (_, key) = OPTIONAL_OPTIONS.iter().find(|(o, _)| *o == option)?;
                option_value(option, options).is_none().then(|| {
                    format!("no fix until the project chooses the value: set {key} in cdkfix.toml")
                })
            }
            Piece::Text(_) => None,
        })
}

/// The `{a.b.C}` names in a value template (`{option:...}` are configuration
/// values; `{{` and `}}` stand for literal braces, as in a dict literal).
pub fn template_paths(template: &str) -> Result<Vec<&str>, String> {
    template_paths_with(template, &[])
}

/// Like [`template_paths`] for a kind that also fills the given
/// placeholders (`{arg}`: the old value's source text, say).
pub fn template_paths_with<'t>(
    template: &'t str,
    placeholders: &[&str],
) -> Result<Vec<&'t str>, String> {
    let mut paths = Vec::new();
    for piece in template_pieces(template)? {
        match piece {
            Piece::Name(name) if placeholders.contains(&name) => {}
            Piece::Name(path) => {
                if let Some(option) = path.strip_prefix("option:") {
                    if !TEMPLATE_OPTIONS.contains(&option) {
                        return Err(format!("unknown option `{option}` in `{template}`"));
                    }
                } else {
                    crate::catalogue::check_constructs(&[path.to_string()])?;
                    paths.push(path);
                }
            }
            Piece::Text(_) => {}
        }
    }
    Ok(paths)
}

enum Piece<'t> {
    Text(&'t str),
    Name(&'t str),
}

fn template_pieces(template: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("{{") {
            pieces.push(Piece::Text("{"));
            rest = after;
        } else if let Some(after) = rest.strip_prefix("}}") {
            pieces.push(Piece::Text("}"));
            rest = after;
        } else if let Some(after) = rest.strip_prefix('{') {
            let close = after
                .find('}')
                .ok_or_else(|| format!("unclosed `{{` in `{template}`"))?;
            pieces.push(Piece::Name(&after[..close]));
            rest = &after[close + 1..];
        } else {
            let end = rest.find(['{', '}']).unwrap_or(rest.len()).max(1);
            pieces.push(Piece::Text(&rest[..end]));
            rest = &rest[end..];
        }
    }
    Ok(pieces)
}

/// Render a value template, spelling each `{a.b.C}` with the file's imports
/// and filling `{option:...}` from the configuration. `None` when a name
/// cannot be spelled without a clash.
pub fn render(template: &str, ctx: &FileCtx, needs: &mut Vec<ImportNeed>) -> Option<String> {
    render_with(template, ctx, needs, &[])
}

/// Like [`render`], filling each `{name}` of `vars` with its text as is.
pub fn render_with(
    template: &str,
    ctx: &FileCtx,
    needs: &mut Vec<ImportNeed>,
    vars: &[(&str, &str)],
) -> Option<String> {
    let mut out = String::new();
    for piece in template_pieces(template).ok()? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Name(name) if vars.iter().any(|(n, _)| *n == name) => {
                let (_, text) = vars.iter().find(|(n, _)| *n == name)?;
                out.push_str(text);
            }
            Piece::Name(name) => {
                if let Some(option) = name.strip_prefix("option:") {
                    out.push_str(&option_value(option, ctx.options)?);
                } else {
                    let spelling = ctx.spell(name)?;
                    out.push_str(&spelling.text);
                    needs.extend(spelling.need);
                }
            }
        }
    }
    Some(out)
}

/// Runs `f` with a context over `src` (default options, no typed variables)
/// and the string literal `"HERE"` in it: how unit tests ask a question at
/// one place of a file.
#[cfg(test)]
pub fn at_here<R>(src: &str, f: impl for<'r> FnOnce(&Node<'r>, &FileCtx<'_, 'r>) -> R) -> R {
    let root = crate::pyast::parse(src);
    let imports = Imports::collect(&root);
    let options = Options::default();
    let vars = HashMap::new();
    let module = root.root();
    let index = FileIndex::build(&module);
    let ctx = FileCtx {
        text: src,
        imports: &imports,
        newline: "\n",
        vars: &vars,
        options: &options,
        module: &module,
        index: &index,
        cdk: crate::version::ASSUMED_CDK,
        cdk_source: "",
    };
    let at = module
        .dfs()
        .find(|n| n.kind() == "string" && n.text() == "\"HERE\"")
        .expect("a \"HERE\" string in the source");
    f(&at, &ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_index_answers_what_a_walk_would() {
        let src = "vpc = ec2.Vpc(self, \"Vpc\")\nself.vpc.add_flow_log(\"Logs\")\nq = sqs.DeadLetterQueue(queue=dlq, max_receive_count=3)\nx = cdk.Duration.seconds(3)\n";
        let root = crate::pyast::parse(src);
        let index = FileIndex::build(&root.root());
        let m = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(index.calls_method("self.vpc", &m(&["add_flow_log"])));
        assert!(!index.calls_method("vpc", &m(&["add_flow_log"])));
        let kwargs: Vec<&str> = index
            .kwargs_with_value("dlq")
            .iter()
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(kwargs, ["queue"]);
        assert_eq!(index.assignments_to("vpc").len(), 1);
        assert_eq!(index.attributes_named("seconds").len(), 1);
        // `Duration` is only ever an attribute here: no name to import.
        assert!(index.has_name("cdk") && !index.has_name("Duration"));
        assert!(index.mentions("Duration") && !index.mentions("Tags"));
    }

    #[test]
    fn templates_escape_braces() {
        let t = "{{\"FlowLogs\": {aws_cdk.aws_ec2.FlowLogOptions}()}}";
        assert_eq!(
            template_paths(t).unwrap(),
            vec!["aws_cdk.aws_ec2.FlowLogOptions"]
        );
        assert!(template_paths("{aws_cdk.x").is_err());
        assert!(template_paths("{option:nope}").is_err());
    }

    #[test]
    fn optional_settings_render_only_when_set() {
        let mut options = Options::default();
        let t = "{option:cors.allow_origins}";
        assert!(
            unset_option_note(t, &options)
                .unwrap()
                .contains("[cors] allow_origins")
        );
        options.cors.allow_origins = vec![
            "https://a.example.com".into(),
            "https://b.example.com".into(),
        ];
        assert!(unset_option_note(t, &options).is_none());
        assert_eq!(
            option_value("cors.allow_origins", &options).unwrap(),
            "[\"https://a.example.com\", \"https://b.example.com\"]"
        );
        assert!(unset_option_note("{option:lambda.reserved_concurrency}", &options).is_some());
        options.lambda.reserved_concurrency = Some(10);
        assert!(unset_option_note("{option:lambda.reserved_concurrency}", &options).is_none());
        assert!(unset_option_note("{option:logs.retention}", &options).is_none());
    }

    #[test]
    fn placeholders_are_known_only_where_a_kind_fills_them() {
        let t = "{aws_cdk.aws_dynamodb.PointInTimeRecoverySpecification}(enabled={arg})";
        assert!(template_paths(t).is_err());
        assert_eq!(
            template_paths_with(t, &["arg"]).unwrap(),
            vec!["aws_cdk.aws_dynamodb.PointInTimeRecoverySpecification"]
        );
    }
}
