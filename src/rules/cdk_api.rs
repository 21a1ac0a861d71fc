//! The `cdk-api-*` family: calls and names checked against the API of the
//! aws-cdk-lib cdkfix is tested with (`crate::api`), for code that would
//! raise before CDK even synthesizes (a keyword a class does not take, a
//! name a module does not have, an enum called like a function). Only what
//! the engine resolves is checked (module attributes, classes called in
//! place, names assigned from a construct call); anything else is left
//! alone, so that code which runs is never reported. A fix is written only
//! where the intended name is clear, and only against the API of the
//! version the project pins (an older pin gets a report).

use super::{Codemod, FileCtx, Finding};
use crate::api::{Signature, api, nearest};
use crate::pyast::{CallView, Node};
use crate::source::Edit;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Whether the file's API is the index's: not a CDK v1 file, and no pin
/// older than the version the index describes (`None`), or why not.
fn same_version(ctx: &FileCtx) -> Result<(), String> {
    let tested = crate::version::Version::parse(api().version);
    match tested {
        Some(v) if ctx.cdk < v => Err(format!(
            "not rewritten: checked against aws-cdk-lib {}, {}",
            api().version,
            ctx.cdk_source
        )),
        _ => Ok(()),
    }
}

/// A finding at a node, for the whole-file kinds.
fn finding_at(node: &Node) -> Finding {
    Finding {
        codemod: 0,
        at: node.range().start,
        note: None,
        fix: None,
        construct_id: None,
    }
}

fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A fix when the version allows one, else the finding with the reason.
fn fix_or_report(
    finding: Finding,
    note: String,
    edits: Vec<Edit>,
    needs: Vec<crate::imports::ImportNeed>,
    ctx: &FileCtx,
) -> Finding {
    match same_version(ctx) {
        Ok(()) => finding.note(note).fix(edits, needs),
        Err(why) => finding.note(format!("{note}; {why}")),
    }
}

/// The signature a call is made with: a class's constructor or a static
/// method, by the name the call resolves to.
fn call_signature(fqn: &str) -> Option<&'static Signature> {
    api().signature(fqn)
}

/// Whether building a codemod checks its curated tables against the index.
/// The test suite (debug builds) does on every run; a release run would load
/// the index for it even when no file needs the index.
fn check_tables() -> bool {
    cfg!(debug_assertions)
}

// ------------------------------------------------------------ keywords

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeywordParams {
    /// Known confusions: `<class>.<keyword>` → the keyword meant.
    #[serde(default)]
    renames: BTreeMap<String, String>,
}

/// A keyword argument the class or method does not take.
pub struct UnknownKeyword {
    params: KeywordParams,
}

impl UnknownKeyword {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: KeywordParams = super::params("api-unknown-keyword", params)?;
        for (from, to) in params.renames.iter().filter(|_| check_tables()) {
            let (class, kwarg) = from
                .rsplit_once('.')
                .ok_or(format!("renames: `{from}` is not <class>.<keyword>"))?;
            let sig = api()
                .signature(class)
                .ok_or(format!("renames: `{class}` is not in the API index"))?;
            if sig.takes(kwarg) || !sig.takes(to) {
                return Err(format!(
                    "renames: `{from}` → `{to}` does not match the API index"
                ));
            }
        }
        Ok(UnknownKeyword { params })
    }
}

impl Codemod for UnknownKeyword {
    fn any_construct(&self) -> bool {
        true
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        if ctx.imports.is_v1() {
            return;
        }
        let Some(sig) = call_signature(fqn) else {
            return;
        };
        if sig.any_keyword {
            return;
        }
        let passed: Vec<&str> = call.kwargs.iter().map(|(n, _, _)| *n).collect();
        for (name, arg, _) in &call.kwargs {
            if sig.takes(name) {
                continue;
            }
            let mut finding = Finding::new(call);
            finding.at = arg.range().start;
            let short = fqn.trim_start_matches("aws_cdk.");
            let curated = self.params.renames.get(&format!("{fqn}.{name}"));
            let near = nearest(name, sig.names().filter(|n| !passed.contains(n)), 3);
            let target = curated.map(String::as_str).or(match near.as_slice() {
                [one] => Some(*one),
                _ => None,
            });
            match target.filter(|t| !passed.contains(t)) {
                Some(to) => {
                    let Some(name_node) = arg.field("name") else {
                        continue;
                    };
                    let note = format!("`{short}` takes no `{name}`: `{to}` is meant");
                    out.push(fix_or_report(
                        finding,
                        note,
                        vec![Edit::replace(name_node.range(), to)],
                        vec![],
                        ctx,
                    ));
                }
                None if near.is_empty() => {
                    out.push(finding.note(format!("`{short}` takes no `{name}`")))
                }
                None => out.push(finding.note(format!(
                    "`{short}` takes no `{name}`; near it: {}",
                    backticked(&near)
                ))),
            }
        }
    }
}

// ------------------------------------------------------------ missing arguments

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MissingParams {
    /// Calls whose missing required keywords all take one determined value
    /// (`AccessLogFormat.json_with_standard_fields`: every flag `True`).
    #[serde(default)]
    fill: BTreeMap<String, String>,
}

/// A required argument the call does not pass.
pub struct MissingArgument {
    params: MissingParams,
}

impl MissingArgument {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: MissingParams = super::params("api-missing-argument", params)?;
        for fqn in params.fill.keys().filter(|_| check_tables()) {
            api()
                .signature(fqn)
                .ok_or(format!("fill: `{fqn}` is not in the API index"))?;
        }
        Ok(MissingArgument { params })
    }
}

impl Codemod for MissingArgument {
    fn any_construct(&self) -> bool {
        true
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        if ctx.imports.is_v1() || call.has_splat {
            return;
        }
        let Some(sig) = call_signature(fqn) else {
            return;
        };
        let given = call.positional.len();
        let passed = |n: &str| call.kwargs.iter().any(|(k, _, _)| *k == n);
        let missing: Vec<&str> = sig
            .positional
            .iter()
            .enumerate()
            .filter(|(i, (n, required))| *required && *i >= given && !passed(n))
            .map(|(_, (n, _))| *n)
            .chain(
                sig.keyword
                    .iter()
                    .filter(|(n, r)| *r && !passed(n))
                    .map(|(n, _)| *n),
            )
            .collect();
        if missing.is_empty() {
            return;
        }
        let short = fqn.trim_start_matches("aws_cdk.");
        let note = format!("`{short}` needs {}", backticked(&missing));
        let finding = Finding::new(call);
        let fill = self.params.fill.get(fqn);
        let keyword_only = missing
            .iter()
            .all(|m| sig.keyword.iter().any(|(k, _)| k == m));
        match fill.filter(|_| keyword_only) {
            Some(value) => {
                let items: Vec<String> = missing.iter().map(|m| format!("{m}={value}")).collect();
                let items: Vec<&str> = items.iter().map(String::as_str).collect();
                let edits = crate::pyast::insert_items(ctx.text, &call.list, &items, ctx.newline);
                out.push(fix_or_report(finding, note, edits, vec![], ctx));
            }
            None => out.push(finding.note(note)),
        }
    }
}

// ------------------------------------------------------------ enums called

/// An enum called like a function (`RetentionDays(7)`): the member whose
/// number it is.
pub struct EnumCall;

impl EnumCall {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        if !params.is_empty() {
            return Err("api-enum-call takes no params".into());
        }
        Ok(EnumCall)
    }
}

impl Codemod for EnumCall {
    fn any_construct(&self) -> bool {
        true
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        if ctx.imports.is_v1() {
            return;
        }
        let Some(members) = api().enum_members(fqn) else {
            return;
        };
        let short = fqn.trim_start_matches("aws_cdk.");
        let finding = Finding::new(call);
        let ([arg], true) = (call.positional.as_slice(), call.kwargs.is_empty()) else {
            return;
        };
        // The values of aws-cdk-lib's Python enums are their members' names:
        // `Protocol("TCP")` is `Protocol.TCP`. Only a literal can be judged.
        if let Some(value) = crate::pyast::string_literal_value(arg) {
            if !members.iter().any(|(m, _)| *m == value) {
                out.push(finding.note(format!(
                    "`{short}` has no member `{value}`; near it: {}",
                    backticked(&nearest(&value, members.iter().map(|(m, _)| *m), 3))
                )));
            }
            return;
        }
        let Ok(number) = arg.text().parse::<i64>() else {
            return;
        };
        match members.iter().find(|(_, n)| *n == Some(number)) {
            Some((member, _)) => {
                let text = format!("{}.{member}", call.func.text());
                let note = format!("`{short}({number})` is `{short}.{member}`");
                out.push(fix_or_report(
                    finding,
                    note,
                    vec![Edit::replace(call.node.range(), text)],
                    vec![],
                    ctx,
                ));
            }
            None => out.push(finding.note(format!("no member of `{short}` stands for {number}"))),
        }
    }
}

// ------------------------------------------------------------ names

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameParams {
    /// Known confusions: a name that does not exist → the one meant
    /// (`aws_cdk.aws_dynamodb.BillingMode.ON_DEMAND` → `PAY_PER_REQUEST`).
    #[serde(default)]
    aliases: BTreeMap<String, String>,
}

/// A module attribute, enum member or class attribute that does not exist.
pub struct UnknownName {
    params: NameParams,
}

impl UnknownName {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: NameParams = super::params("api-unknown-name", params)?;
        Ok(UnknownName { params })
    }

    /// The module holding `name` when exactly one does (`Duration` is in
    /// `aws_cdk`, whatever module the code looked in).
    fn home_of(name: &str) -> Option<&'static str> {
        let mut homes = api().homes_of(name);
        let first = homes.next()?;
        homes.next().is_none().then_some(first)
    }
}

impl Codemod for UnknownName {
    fn whole_file(&self) -> bool {
        true
    }

    fn on_module<'r>(&self, ctx: &FileCtx<'_, 'r>, out: &mut Vec<Finding>) {
        if ctx.imports.is_v1() {
            return;
        }
        // The engine sorts findings by place: no need to visit in order.
        let object_field = crate::pyast::ids().object;
        // A file spells the same few attributes (`ec2.Port`, `self.vpc`)
        // many times: each spelling is looked up once.
        let mut fine: foldhash::HashSet<(&str, &str)> = Default::default();
        for (name, node) in ctx.index().attributes() {
            let Some(object) = node.child_by_field_id(object_field) else {
                continue;
            };
            let spelling = (&ctx.text[object.range()], name);
            if fine.contains(&spelling) {
                continue;
            }
            let Some(owner) = ctx.imports.resolve(&object) else {
                fine.insert(spelling);
                continue;
            };
            // Most attributes exist: look before building the finding.
            let module = api().module(&owner);
            let exists = match module {
                Some(names) => names.contains(name),
                None => api().enum_has(&owner, name).unwrap_or_else(|| {
                    !api().has_signature(&owner) || api().instance_has(&owner, name) != Some(false)
                }),
            };
            if exists {
                fine.insert(spelling);
                continue;
            }
            let full = format!("{owner}.{name}");
            let short = owner.trim_start_matches("aws_cdk.");
            let finding = finding_at(node);
            if let Some(names) = module {
                if let Some(alias) = self.params.aliases.get(&full) {
                    let Some(spelling) = ctx.spell(alias) else {
                        continue;
                    };
                    let note = format!("`{short}` has no `{name}`: `{alias}` is meant");
                    out.push(fix_or_report(
                        finding,
                        note,
                        vec![Edit::replace(node.range(), spelling.text)],
                        spelling.need.into_iter().collect(),
                        ctx,
                    ));
                    continue;
                }
                match Self::home_of(name) {
                    Some(home) => {
                        let target = format!("{home}.{name}");
                        let Some(spelling) = ctx.spell(&target) else {
                            continue;
                        };
                        let note = format!("`{name}` is not in `{short}` but in `{home}`");
                        out.push(fix_or_report(
                            finding,
                            note,
                            vec![Edit::replace(node.range(), spelling.text)],
                            spelling.need.into_iter().collect(),
                            ctx,
                        ));
                    }
                    None => {
                        let near = nearest(name, names.iter(), 3);
                        out.push(finding.note(if near.is_empty() {
                            format!("`{short}` has no `{name}`")
                        } else {
                            format!("`{short}` has no `{name}`; near it: {}", backticked(&near))
                        }));
                    }
                }
                continue;
            }
            if let Some(members) = api().enum_members(&owner) {
                if members.iter().any(|(m, _)| *m == name) {
                    continue;
                }
                let near = nearest(name, members.iter().map(|(m, _)| *m), 3);
                let meant = self
                    .params
                    .aliases
                    .get(&full)
                    .map(|a| a.rsplit('.').next().unwrap_or(a).to_string())
                    .or(match near.as_slice() {
                        [one] => Some(one.to_string()),
                        _ => None,
                    });
                let Some(attr) = node.field("attribute") else {
                    continue;
                };
                match meant {
                    Some(member) => {
                        let note = format!("`{short}` has no member `{name}`: `{member}` is meant");
                        out.push(fix_or_report(
                            finding,
                            note,
                            vec![Edit::replace(attr.range(), member)],
                            vec![],
                            ctx,
                        ));
                    }
                    None => out.push(finding.note(format!(
                        "`{short}` has no member `{name}`; its members: {}",
                        backticked(&members.iter().map(|(m, _)| *m).take(8).collect::<Vec<_>>())
                    ))),
                }
                continue;
            }
            // A class's own names (static methods, constants, nested classes).
            if api().has_signature(&owner) && api().instance_has(&owner, name) == Some(false) {
                let attrs: Vec<&str> = api().attributes_of(&owner).collect();
                let near = nearest(name, attrs.iter().copied(), 3);
                out.push(finding.note(if near.is_empty() {
                    format!("`{short}` has no `{name}`")
                } else {
                    format!("`{short}` has no `{name}`; near it: {}", backticked(&near))
                }));
            }
        }
    }
}

// ------------------------------------------------------------ modules

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleParams {
    /// Module names that do not exist → the module meant.
    #[serde(default)]
    modules: BTreeMap<String, String>,
}

/// `from aws_cdk import aws_elbv2`: a module aws-cdk-lib does not have.
pub struct UnknownModule {
    params: ModuleParams,
}

impl UnknownModule {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: ModuleParams = super::params("api-unknown-module", params)?;
        if !check_tables() {
            return Ok(UnknownModule { params });
        }
        let root = api()
            .module("aws_cdk")
            .ok_or("no aws_cdk module in the API index")?;
        for (from, to) in &params.modules {
            if root.contains(from.as_str()) || !root.contains(to.as_str()) {
                return Err(format!(
                    "modules: `{from}` → `{to}` does not match the API index"
                ));
            }
        }
        Ok(UnknownModule { params })
    }

    /// The module meant for `name`: the curated one, or the stable module a
    /// graduated alpha became when it holds every name the file takes from
    /// the alpha (`used`).
    fn meant(&self, name: &str, used: &[&str]) -> Option<String> {
        if let Some(to) = self.params.modules.get(name) {
            return Some(to.clone());
        }
        let stable = name.strip_suffix("_alpha")?;
        let names = api().module(&format!("aws_cdk.{stable}"))?;
        (!used.is_empty() && used.iter().all(|u| names.contains(u))).then(|| stable.to_string())
    }
}

impl Codemod for UnknownModule {
    fn whole_file(&self) -> bool {
        true
    }

    fn on_module<'r>(&self, ctx: &FileCtx<'_, 'r>, out: &mut Vec<Finding>) {
        if ctx.imports.is_v1() {
            return;
        }
        let Some(root) = api().module("aws_cdk") else {
            return;
        };
        // The imports have read every module the file binds: when each
        // exists, there is no statement to look at.
        let unknown = |m: &str| m.starts_with("aws_") && !m.contains('.') && !root.contains(m);
        if !ctx
            .imports
            .paths()
            .filter_map(|p| p.strip_prefix("aws_cdk."))
            .any(unknown)
        {
            return;
        }
        for stmt in ctx
            .module
            .children()
            .filter(|s| s.kind() == "import_from_statement")
        {
            let Some(module) = stmt.field("module_name") else {
                continue;
            };
            if module.text() != "aws_cdk" {
                continue;
            }
            for item in stmt
                .children()
                .filter(|c| matches!(c.kind().as_ref(), "dotted_name" | "aliased_import"))
            {
                if item.range() == module.range() {
                    continue;
                }
                let (name_node, local) = match item.kind().as_ref() {
                    "aliased_import" => {
                        let (Some(n), Some(a)) = (item.field("name"), item.field("alias")) else {
                            continue;
                        };
                        (n.clone(), a.text().to_string())
                    }
                    _ => (item.clone(), item.text().to_string()),
                };
                let name = name_node.text().to_string();
                if root.contains(name.as_str()) || !name.starts_with("aws_") {
                    continue;
                }
                // The names the file takes from it: `local.Name`.
                let used: Vec<&str> = ctx
                    .index()
                    .attributes()
                    .filter(|(_, n)| n.field("object").is_some_and(|o| o.text() == local))
                    .map(|(attr, _)| attr)
                    .collect();
                let finding = finding_at(&name_node);
                match self.meant(&name, &used) {
                    Some(to) => {
                        // The local name stays, so the rest of the file does.
                        let text = if item.kind() == "aliased_import" {
                            to.clone()
                        } else {
                            format!("{to} as {local}")
                        };
                        let note = format!("aws-cdk-lib has no module `{name}`: `{to}` is meant");
                        out.push(fix_or_report(
                            finding,
                            note,
                            vec![Edit::replace(name_node.range(), text)],
                            vec![],
                            ctx,
                        ));
                    }
                    // Alpha modules are packages of their own: installed, they import.
                    None if name.ends_with("_alpha") => {}
                    None => {
                        let near = nearest(&name, root.iter(), 3);
                        out.push(finding.note(format!(
                            "aws-cdk-lib has no module `{name}`{}",
                            if near.is_empty() {
                                String::new()
                            } else {
                                format!("; near it: {}", backticked(&near))
                            }
                        )));
                    }
                }
            }
        }
    }
}

// ------------------------------------------------------------ read-only properties

/// `self.region = ...` in a class extending a Stack: a property of the base
/// class that cannot be set. The attribute is renamed throughout the class.
pub struct ReadOnlyProperty {
    prefix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadOnlyParams {
    /// Put before the property's name to make the class's own attribute.
    prefix: String,
}

impl ReadOnlyProperty {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: ReadOnlyParams = super::params("api-read-only-property", params)?;
        if !crate::catalogue::is_identifier(&format!("{}x", params.prefix)) {
            return Err("api-read-only-property: prefix must start an identifier".into());
        }
        Ok(ReadOnlyProperty {
            prefix: params.prefix,
        })
    }
}

impl Codemod for ReadOnlyProperty {
    fn classes(&self) -> bool {
        true
    }

    fn on_class<'r>(&self, class: &Node<'r>, ctx: &FileCtx<'_, 'r>, out: &mut Vec<Finding>) {
        if ctx.imports.is_v1() {
            return;
        }
        let Some(bases) = class.child_by_field_id(crate::pyast::ids().superclasses) else {
            return;
        };
        let read_only: Vec<&str> = bases
            .children()
            .filter_map(|b| ctx.imports.resolve(&b))
            .flat_map(|fqn| api().read_only(&fqn))
            .collect();
        if read_only.is_empty() {
            return;
        }
        let within = |n: &Node| {
            let (r, c) = (n.range(), class.range());
            c.start <= r.start && r.end <= c.end
        };
        let body = class.field("body");
        let mut target = String::from("self.");
        for prop in read_only {
            target.truncate("self.".len());
            target.push_str(prop);
            let Some(assignment) = ctx
                .index()
                .assignments_to(&target)
                .iter()
                .find(|a| within(a))
                .cloned()
            else {
                continue;
            };
            // The class may define the property itself, with a setter.
            let own = body.as_ref().is_some_and(|b| {
                b.children().any(|d| {
                    let d = if d.kind() == "decorated_definition" {
                        d.field("definition")
                    } else {
                        Some(d)
                    };
                    d.is_some_and(|d| d.field("name").is_some_and(|n| n.text() == prop))
                })
            });
            if own {
                continue;
            }
            let renamed = format!("{}{prop}", self.prefix);
            let finding = finding_at(&assignment);
            if ctx.index().mentions(&renamed) {
                out.push(finding.note(format!(
                    "`{prop}` is read-only on the base class; `{renamed}` is taken too"
                )));
                continue;
            }
            let edits: Vec<Edit> = ctx
                .index()
                .attributes_named(prop)
                .iter()
                .filter(|a| within(a) && a.field("object").is_some_and(|o| o.text() == "self"))
                .filter_map(|a| {
                    a.field("attribute")
                        .map(|n| Edit::replace(n.range(), renamed.clone()))
                })
                .collect();
            let note = format!(
                "`{prop}` is a read-only property of the base class: the class's own value becomes `self.{renamed}`"
            );
            out.push(fix_or_report(finding, note, edits, vec![], ctx));
        }
    }
}

// ------------------------------------------------------------ methods

/// `bucket.grant_everything(...)`: a method an instance of the class does
/// not have.
pub struct UnknownMethod;

impl UnknownMethod {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        if !params.is_empty() {
            return Err("api-unknown-method takes no params".into());
        }
        Ok(UnknownMethod)
    }
}

impl Codemod for UnknownMethod {
    fn whole_file(&self) -> bool {
        true
    }

    fn on_module<'r>(&self, ctx: &FileCtx<'_, 'r>, out: &mut Vec<Finding>) {
        if ctx.imports.is_v1() {
            return;
        }
        let ids = crate::pyast::ids();
        // The engine sorts findings by place: no need to visit in order.
        for (method, call) in ctx.index().all_method_calls() {
            let Some(receiver) = call
                .child_by_field_id(ids.function)
                .and_then(|f| f.child_by_field_id(ids.object))
            else {
                continue;
            };
            // Only a name whose last assignment before the call is the
            // construct call the engine typed it from.
            if receiver.kind_id() != ids.call {
                let name = &ctx.text[receiver.range()];
                let Some((_, ctor)) = ctx.vars.get(name) else {
                    continue;
                };
                let last = ctx
                    .index()
                    .assignments_to(name)
                    .iter()
                    .rfind(|a| a.range().end <= call.range().start)
                    .and_then(|a| a.child_by_field_id(ids.right));
                if last.map(|r| r.range()) != Some(ctor.range()) {
                    continue;
                }
            }
            let Some((class, _)) = ctx.receiver_construct(&receiver) else {
                continue;
            };
            if api().instance_has(&class, method) != Some(false) {
                continue;
            }
            let attrs: Vec<&str> = api().attributes_of(&class).collect();
            let near = nearest(method, attrs.iter().copied(), 3);
            let short = class.trim_start_matches("aws_cdk.");
            out.push(finding_at(call).note(if near.is_empty() {
                format!("`{short}` has no method `{method}`")
            } else {
                format!(
                    "`{short}` has no method `{method}`; near it: {}",
                    backticked(&near)
                )
            }));
        }
    }
}

// ------------------------------------------------------------ reserved environment

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReservedParams {
    constructs: Vec<String>,
}

/// `environment={"AWS_REGION": ...}` on a Lambda function, or
/// `fn.add_environment("AWS_REGION", ...)`: a variable the runtime sets
/// itself, which CDK refuses.
pub struct ReservedEnvironment {
    params: ReservedParams,
}

impl ReservedEnvironment {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: ReservedParams = super::params("api-reserved-environment", params)?;
        crate::catalogue::check_constructs(&params.constructs)?;
        if check_tables() && api().constant("lambda.reserved_environment").is_empty() {
            return Err("the API index lists no reserved Lambda environment variables".into());
        }
        Ok(ReservedEnvironment { params })
    }
}

fn reserved(key: &str) -> bool {
    api().constant("lambda.reserved_environment").contains(&key)
}

impl Codemod for ReservedEnvironment {
    fn constructs(&self) -> Vec<String> {
        self.params.constructs.clone()
    }

    fn methods(&self) -> Vec<String> {
        vec!["add_environment".to_string()]
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        _fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        let Some(env) = call.kwarg("environment") else {
            return;
        };
        let Some(view) = crate::pyast::ListView::of_dict(env) else {
            return;
        };
        let pairs: Vec<Node> = env.children().filter(|c| c.kind() == "pair").collect();
        for (idx, pair) in pairs.iter().enumerate() {
            let Some(key) = pair
                .field("key")
                .as_ref()
                .and_then(crate::pyast::string_literal_value)
            else {
                continue;
            };
            if !reserved(&key) {
                continue;
            }
            let finding = finding_at(pair);
            let note = format!("`{key}` is set by the Lambda runtime itself; CDK refuses it");
            let edits = crate::pyast::remove_item(ctx.text, &view, idx);
            out.push(fix_or_report(finding, note, edits, vec![], ctx));
        }
    }

    fn on_method<'r>(
        &self,
        call: &CallView<'r>,
        receiver: &Node<'r>,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        let Some((class, _)) = ctx.receiver_construct(receiver) else {
            return;
        };
        if !self.params.constructs.contains(&class) {
            return;
        }
        let Some(key) = call
            .positional
            .first()
            .or_else(|| call.kwarg("key"))
            .and_then(crate::pyast::string_literal_value)
        else {
            return;
        };
        if !reserved(&key) {
            return;
        }
        let finding = Finding::new(call);
        let note = format!("`{key}` is set by the Lambda runtime itself; CDK refuses it");
        // The call is removed with its line when it is a statement of its own.
        let statement = call
            .node
            .parent()
            .filter(|p| p.kind() == "expression_statement" && p.range() == call.node.range());
        match statement {
            Some(stmt) if crate::source::starts_line(ctx.text, stmt.range().start) => {
                let start = crate::source::line_start(ctx.text, stmt.range().start);
                let mut end = crate::source::line_end(ctx.text, stmt.range().end);
                if ctx.text[end..].starts_with("\r\n") {
                    end += 2;
                } else if ctx.text[end..].starts_with('\n') {
                    end += 1;
                }
                out.push(fix_or_report(
                    finding,
                    note,
                    vec![Edit::delete(start..end)],
                    vec![],
                    ctx,
                ));
            }
            _ => out.push(finding.note(note)),
        }
    }
}
