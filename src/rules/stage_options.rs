//! REST API stages must pass given `StageOptions` settings (default
//! throttling limits, X-Ray tracing, execution logging): each missing one is
//! added to a new `deploy_options=StageOptions(...)` or inside the existing
//! one. One transform, one catalogue entry per setting. A value may create a
//! construct (an access log group): `{scope}` is the API's scope argument and
//! `{new_id}` a construct id derived from the API's (`"<Id><new_id_suffix>"`).
//! The `stage-cache-encryption` transform, at the end, encrypts a stage's
//! cache wherever caching is turned on.

use super::{Codemod, FileCtx, Finding, render_with};
use crate::pyast::{CallView, insert_item, insert_items};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    constructs: Vec<String>,
    /// The stage options class (`aws_cdk.aws_apigateway.StageOptions`).
    stage_options: String,
    /// The keyword arguments the stage options must pass, each with the
    /// value (a template, as for `require-kwarg`) it gets when missing.
    ensure: Vec<Setting>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Setting {
    kwarg: String,
    value: String,
    /// Appended to the API's construct id to make `{new_id}`.
    new_id_suffix: Option<String>,
}

/// Placeholders a setting's value may use.
const PLACEHOLDERS: &[&str] = &["scope", "new_id"];

pub struct StageOptions {
    params: Params,
}

impl StageOptions {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("stage-options", params)?;
        crate::catalogue::check_constructs(&params.constructs)?;
        crate::catalogue::check_constructs(std::slice::from_ref(&params.stage_options))?;
        if params.ensure.is_empty() {
            return Err("stage-options params: `ensure` is empty".into());
        }
        for s in &params.ensure {
            if !crate::catalogue::is_identifier(&s.kwarg) {
                return Err(format!("kwarg `{}` is not an identifier", s.kwarg));
            }
            super::template_paths_with(&s.value, PLACEHOLDERS)?;
            if s.value.contains("{new_id}") != s.new_id_suffix.is_some() {
                return Err(format!(
                    "stage-options params: `{}` uses `{{new_id}}` if and only if it has `new_id_suffix`",
                    s.kwarg
                ));
            }
        }
        Ok(StageOptions { params })
    }

    /// `kwarg=value` for each setting not `passed`; `Err` with the reason
    /// when one cannot be written.
    fn items(
        &self,
        call: &CallView,
        passed: impl Fn(&str) -> bool,
        ctx: &FileCtx,
        needs: &mut Vec<crate::imports::ImportNeed>,
    ) -> Result<Vec<String>, String> {
        let mut items = Vec::new();
        for s in self.params.ensure.iter().filter(|s| !passed(&s.kwarg)) {
            let mut vars = Vec::new();
            if let Some(suffix) = &s.new_id_suffix {
                let (scope, new_id) = super::derived_id(call, suffix, ctx.text)?;
                vars.push(("scope", scope));
                vars.push(("new_id", new_id));
            }
            let vars: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let value = render_with(&s.value, ctx, needs, &vars)
                .ok_or("not rewritten: the value's name clashes with a local name")?;
            items.push(format!("{}={value}", s.kwarg));
        }
        Ok(items)
    }
}

impl Codemod for StageOptions {
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
        if call.kwarg("deploy").is_some_and(|v| v.text() == "False") {
            return; // no stage is deployed
        }
        let finding = Finding::new(call);
        let mut needs = Vec::new();
        let Some(options) = call.kwarg("deploy_options") else {
            if call.has_splat {
                out.push(
                    finding.note("not rewritten: a `**` argument may already set `deploy_options`"),
                );
                return;
            }
            let Some(spelling) = ctx.spell(&self.params.stage_options) else {
                out.push(finding.note("not rewritten: `StageOptions` clashes with a local name"));
                return;
            };
            let items = match self.items(call, |_| false, ctx, &mut needs) {
                Ok(items) => items,
                Err(note) => {
                    out.push(finding.note(note));
                    return;
                }
            };
            let item = format!("deploy_options={}({})", spelling.text, items.join(", "));
            let edits = insert_items(ctx.text, &call.list, &[&item], ctx.newline);
            needs.extend(spelling.need);
            out.push(finding.fix(edits, needs));
            return;
        };
        let stage = (options.kind() == "call")
            .then(|| CallView::new(options.clone()))
            .flatten()
            .filter(|s| {
                ctx.imports.resolve(&s.func).as_deref() == Some(&self.params.stage_options)
            });
        let Some(stage) = stage else {
            out.push(
                finding.note("not rewritten: `deploy_options` is not a `StageOptions(...)` call"),
            );
            return;
        };
        let missing: Vec<&str> = self
            .params
            .ensure
            .iter()
            .filter(|s| !stage.has_kwarg(&s.kwarg))
            .map(|s| s.kwarg.as_str())
            .collect();
        if missing.is_empty() {
            return;
        }
        if stage.has_splat {
            out.push(finding.note(format!(
                "not rewritten: a `**` argument in `StageOptions` may set `{}`",
                missing.join("`, `")
            )));
            return;
        }
        let items = match self.items(call, |k| stage.has_kwarg(k), ctx, &mut needs) {
            Ok(items) => items,
            Err(note) => {
                out.push(finding.note(note));
                return;
            }
        };
        let items: Vec<&str> = items.iter().map(String::as_str).collect();
        let edits = insert_items(ctx.text, &stage.list, &items, ctx.newline);
        out.push(finding.fix(edits, needs));
    }
}

// Cache encryption: REST API stage settings that turn caching on
// (`caching_enabled=True`, `cache_cluster_enabled=True`) get
// `cache_data_encrypted=True` in the same call: `StageOptions(...)`, a
// `Stage(...)` or a per-method `MethodDeploymentOptions(...)`. The finding
// carries the construct id of the nearest enclosing construct call (the REST
// API whose `deploy_options` it is), so the synth tier checks that API's stage.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CacheParams {
    constructs: Vec<String>,
    /// Keyword arguments that turn caching on unless they are `False`.
    caching: Vec<String>,
    /// The keyword argument that encrypts the cache (`cache_data_encrypted`).
    kwarg: String,
}

pub struct CacheEncryption {
    params: CacheParams,
}

impl CacheEncryption {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: CacheParams = super::params("stage-cache-encryption", params)?;
        crate::catalogue::check_constructs(&params.constructs)?;
        if params.caching.is_empty() {
            return Err("stage-cache-encryption params: `caching` is empty".into());
        }
        crate::catalogue::check_identifiers(&params.caching)?;
        crate::catalogue::check_identifiers(std::slice::from_ref(&params.kwarg))?;
        Ok(CacheEncryption { params })
    }
}

/// The construct id of the call itself, or of the nearest call around it that
/// has one (`RestApi(self, "Api", deploy_options=StageOptions(...))`).
fn enclosing_construct_id(call: &CallView) -> Option<String> {
    call.construct_id().or_else(|| {
        call.node
            .ancestors()
            .filter(|n| n.kind() == "call")
            .find_map(|n| CallView::new(n)?.construct_id())
    })
}

impl Codemod for CacheEncryption {
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
        let caching = self
            .params
            .caching
            .iter()
            .filter_map(|k| call.kwarg(k))
            .any(|v| v.text() != "False");
        if !caching || call.has_kwarg(&self.params.kwarg) {
            return;
        }
        let mut finding = Finding::new(call);
        finding.construct_id = enclosing_construct_id(call);
        if call.has_splat {
            out.push(finding.note(format!(
                "not rewritten: a `**` argument may already set `{}`",
                self.params.kwarg
            )));
            return;
        }
        let item = format!("{}=True", self.params.kwarg);
        let edits = insert_item(ctx.text, &call.list, &item, ctx.newline);
        out.push(finding.fix(edits, vec![]));
    }
}
