//! The small declarative kinds: replace a value, rename a keyword argument,
//! report without a fix.

use super::{Codemod, FileCtx, Finding, assigned_name_calls, render_with};
use crate::catalogue::{Entry, KwargCondition, PY_CONSTANTS, Rewrite};
use crate::pyast::{CallView, Node};
use crate::source::Edit;
use std::collections::BTreeMap;

pub struct ReplaceValue {
    constructs: Vec<String>,
    kwarg: String,
    from: Vec<String>,
    to: Target,
    only_with: Vec<String>,
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
            only_with,
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
            only_with: only_with.clone(),
        }
    }

    /// Whether `value` is one of `from`: a name resolved through the imports,
    /// or a literal (`False`) as written.
    fn matches(&self, value: &Node, ctx: &FileCtx) -> bool {
        let text = value.text();
        if PY_CONSTANTS.contains(&text.as_ref()) {
            return self.from.iter().any(|f| *f == text);
        }
        if let Some(literal) = crate::pyast::string_literal_value(value) {
            return self
                .from
                .iter()
                .any(|f| crate::catalogue::string_literal(f) == Some(literal.as_str()));
        }
        ctx.imports
            .resolve(value)
            .is_some_and(|resolved| self.from.contains(&resolved))
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
        if !self.only_with.is_empty() && !self.only_with.iter().any(|k| call.has_kwarg(k)) {
            return;
        }
        // A whole list is replaced by a template when one element matches.
        let listed = matches!(self.to, Target::Template(_))
            && matches!(value.kind().as_ref(), "list" | "tuple")
            && value.children().any(|e| self.matches(&e, ctx));
        if !listed && !self.matches(value, ctx) {
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
        let resolved = ctx.imports.resolve(value).unwrap_or_default();
        let (from_class, _) = resolved.rsplit_once('.').unwrap_or_default();
        let (to_class, to_member) = to.rsplit_once('.').expect("validated dotted name");
        // Same class: change the member only, keeping the file's spelling.
        if from_class == to_class
            && let Some(member) = value.field("attribute")
        {
            let edit = Edit::replace(member.range(), to_member);
            out.push(finding.fix(vec![edit], vec![]));
            return;
        }
        match ctx.spell(to) {
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
    /// Old value's source text → template; empty: `value` for every value.
    values: BTreeMap<String, String>,
}

impl RenameKwarg {
    pub fn new(entry: &Entry) -> Self {
        let Rewrite::RenameKwarg {
            constructs,
            kwarg,
            to,
            value,
            values,
        } = &entry.rewrite
        else {
            unreachable!("built only from rename-kwarg entries")
        };
        RenameKwarg {
            constructs: constructs.clone(),
            kwarg: kwarg.clone(),
            to: to.clone(),
            value: value.clone().unwrap_or_else(|| "{arg}".to_string()),
            values: values.clone(),
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
        let old = value.text();
        let template = if self.values.is_empty() {
            &self.value
        } else {
            match self.values.get(old.trim()) {
                Some(t) => t,
                None => {
                    out.push(finding.note(format!(
                        "not rewritten: no mapping for the value `{old}`; write `{}=` by hand",
                        self.to
                    )));
                    return;
                }
            }
        };
        let mut needs = Vec::new();
        let Some(new) = render_with(template, ctx, &mut needs, &[("arg", &old)]) else {
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
    owner_kwarg: Option<String>,
    unless: Vec<KwargCondition>,
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
            owner_kwarg,
            unless,
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
            owner_kwarg: owner_kwarg.clone(),
            unless: unless.clone(),
            note: note.clone(),
        }
    }

    /// Whether the call is reported: the kwargs conditions, the first
    /// argument, no `**` splat (it may hold the keyword), and not passed on.
    fn reports<'r>(&self, call: &CallView<'r>, ctx: &FileCtx<'_, 'r>) -> bool {
        let missing = self.missing_kwargs.is_empty()
            || !self.missing_kwargs.iter().any(|k| call.has_kwarg(k));
        let present =
            self.present_kwargs.is_empty() || self.present_kwargs.iter().any(|k| call.has_kwarg(k));
        missing
            && present
            && !call.has_splat
            && !self
                .unless
                .iter()
                .any(|c| super::kwarg_condition_holds(c, call, ctx))
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
        let target = &ctx.text[target.range()];
        let passed = |name: &str| self.unless_passed_as.iter().any(|u| u == name);
        ctx.index()
            .kwargs_with_value(target)
            .iter()
            .any(|(name, _)| passed(name))
            || ctx
                .index()
                .kwargs()
                .any(|(value, name)| passed(name) && reads_attribute_of(value, target))
    }

    /// The construct id the finding carries: with `owner_kwarg`, that of
    /// the construct passed as it, or of a method call's receiver, when the
    /// file assigns it from a construct call.
    fn construct_id<'r>(
        &self,
        call: &CallView<'r>,
        receiver: Option<&Node<'r>>,
        ctx: &FileCtx<'_, 'r>,
    ) -> Option<String> {
        let Some(kwarg) = &self.owner_kwarg else {
            return call.construct_id();
        };
        let owner = match (receiver, call.kwarg(kwarg)) {
            (Some(receiver), _) => receiver,
            (None, Some(value)) => value,
            (None, None) => return call.construct_id(),
        };
        let (_, ctor) = ctx.receiver_construct(owner)?;
        CallView::new(ctor)?.construct_id()
    }

    fn finding<'r>(
        &self,
        call: &CallView<'r>,
        receiver: Option<&Node<'r>>,
        ctx: &FileCtx<'_, 'r>,
    ) -> Finding {
        let mut finding = Finding::new(call).note(self.note.clone());
        finding.construct_id = self.construct_id(call, receiver, ctx);
        finding
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

/// Whether the source text `value` reads an attribute of the name `target`
/// (`api.deployment_stage.stage_arn`, `f"...{api.rest_api_id}..."` for
/// `api`), not of a longer name (`self.api.x`, `my_api.x`).
fn reads_attribute_of(value: &str, target: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
    value.match_indices(target).any(|(at, _)| {
        let before = value[..at].chars().next_back();
        let after = value[at + target.len()..].chars().next();
        before.is_none_or(|c| !ident(c)) && after == Some('.')
    })
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
            out.push(self.finding(call, None, ctx));
        }
    }

    fn on_method<'r>(
        &self,
        call: &CallView<'r>,
        receiver: &Node<'r>,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        if self.reports(call, ctx) {
            out.push(self.finding(call, Some(receiver), ctx));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::catalogue::Catalogue;
    use crate::engine::{Engine, Settings};
    use crate::rules::Registry;
    use crate::source::SourceText;

    /// A one-entry catalogue whose `[rewrite]` is `rewrite`.
    fn catalogue(rewrite: &str) -> Result<Catalogue, String> {
        let entry = format!(
            "id = \"test-entry\"\nsummary = \"s\"\nsafety = \"safe\"\n[docs]\nwhat = \"w\"\nwhy = \"w\"\nexample = \"e\"\nfix_safety = \"f\"\n[rewrite]\n{rewrite}"
        );
        Catalogue::parse(&[("test-entry.toml", &entry)])
    }

    /// Runs that catalogue on `src`, fixing or only checking.
    fn outcome(rewrite: &str, src: &str, fix: bool) -> crate::engine::Outcome {
        let catalogue = catalogue(rewrite).unwrap();
        let registry = Registry::new(&catalogue).unwrap();
        let engine = Engine {
            catalogue: &catalogue,
            registry: &registry,
        };
        engine
            .run(&SourceText::from_text(src), &Settings::all(&catalogue), fix)
            .unwrap()
    }

    /// Runs that catalogue on `src`: the number of findings and the fixed text.
    fn run(rewrite: &str, src: &str) -> (usize, Option<String>) {
        let out = outcome(rewrite, src, true);
        (out.findings.len(), out.fixed)
    }

    /// Runs that catalogue on `src`: each finding's line, note and construct id.
    fn findings(rewrite: &str, src: &str) -> Vec<(usize, Option<String>, Option<String>)> {
        outcome(rewrite, src, false)
            .findings
            .into_iter()
            .map(|f| (f.line, f.note, f.construct_id))
            .collect()
    }

    const ENGINE_ONLY_IF: &str = "kind = \"require-kwarg\"\nconstructs = [\"aws_cdk.aws_rds.DatabaseInstance\"]\nkwarg = \"iam_authentication\"\nvalue = \"True\"\noff = [{ kwarg = \"iam_authentication\", value = \"False\" }]\n[rewrite.only_if]\nneeds = \"a supported engine\"\nany = [{ kwarg = \"engine\", one_of = [\"aws_cdk.aws_rds.DatabaseInstanceEngine.postgres\", \"aws_cdk.aws_rds.DatabaseInstanceEngine.MYSQL\"] }]\n";

    #[test]
    fn only_if_fixes_skips_or_reports_by_what_the_code_shows() {
        let src = "from aws_cdk.aws_rds import DatabaseInstance as D, DatabaseInstanceEngine as E\n\
e = E.postgres(version=v)\n\
D(s, \"A\", engine=E.postgres(version=v))\n\
D(s, \"B\", engine=E.MYSQL)\n\
D(s, \"C\", engine=e)\n\
D(s, \"D\", engine=E.oracle_se2(version=o))\n\
D(s, \"E\", engine=E.oracle_se2(version=o), iam_authentication=False)\n\
D(s, \"F\", engine=given)\n\
D(s, \"G\", **props)\n";
        let (found, fixed) = run(ENGINE_ONLY_IF, src);
        assert_eq!(
            found, 5,
            "A, B, C fixed; F and G undecided; D and E skipped"
        );
        let fixed = fixed.unwrap();
        for id in ["A", "B", "C"] {
            let line = fixed
                .lines()
                .find(|l| l.contains(&format!("\"{id}\"")))
                .unwrap();
            assert!(line.ends_with("iam_authentication=True)"), "{line}");
        }
        assert!(fixed.contains("oracle_se2(version=o), iam_authentication=False)"));
        let notes = findings(ENGINE_ONLY_IF, src);
        let undecided: Vec<usize> = notes
            .iter()
            .filter(|(_, n, _)| {
                n.as_deref()
                    .is_some_and(|n| n.contains("a supported engine"))
            })
            .map(|(line, _, _)| *line)
            .collect();
        assert_eq!(undecided, [8, 9]);
    }

    #[test]
    fn only_if_reads_dotted_paths_counts_and_otherwise() {
        let rewrite = "kind = \"require-kwarg\"\nconstructs = [\"aws_cdk.aws_opensearchservice.Domain\"]\nkwarg = \"zone_awareness\"\nvalue = \"{aws_cdk.aws_opensearchservice.ZoneAwarenessConfig}(enabled=True)\"\n[rewrite.only_if]\nneeds = \"an even node count\"\notherwise = \"odd or single\"\nany = [{ kwarg = \"capacity.data_nodes\", at_least = 2, multiple_of = 2 }]\n";
        let src = "from aws_cdk import aws_opensearchservice as os\n\
cap = os.CapacityConfig(data_nodes=4)\n\
os.Domain(s, \"A\", capacity=os.CapacityConfig(data_nodes=2))\n\
os.Domain(s, \"B\", capacity=cap)\n\
os.Domain(s, \"C\", capacity=os.CapacityConfig(data_nodes=3))\n\
os.Domain(s, \"D\")\n\
os.Domain(s, \"E\", capacity=os.CapacityConfig(data_nodes=n))\n\
os.Domain(s, \"F\", capacity=shared)\n";
        let notes: Vec<(usize, Option<String>)> = findings(rewrite, src)
            .into_iter()
            .map(|(line, note, _)| (line, note))
            .collect();
        let odd = Some("odd or single".to_string());
        assert_eq!(notes[0], (3, None));
        assert_eq!(notes[1], (4, None));
        assert_eq!(notes[2], (5, odd.clone()));
        assert_eq!(notes[3], (6, odd));
        assert!(
            notes[4]
                .1
                .as_deref()
                .unwrap()
                .contains("an even node count")
        );
        assert!(
            notes[5]
                .1
                .as_deref()
                .unwrap()
                .contains("an even node count")
        );
        assert_eq!(notes.len(), 6);
    }

    #[test]
    fn report_unless_owner_and_passes_through_an_attribute() {
        let env = "kind = \"report\"\nconstructs = [\"aws_cdk.aws_ecs.ContainerDefinition\"]\nmethods = [\"add_container\"]\npresent_kwargs = [\"environment\"]\nowner_kwarg = \"task_definition\"\nnote = \"n\"\n";
        let src = "from aws_cdk import aws_ecs as ecs\n\
td = ecs.FargateTaskDefinition(s, \"Task\")\n\
td.add_container(\"web\", environment={})\n\
ecs.ContainerDefinition(s, \"Side\", task_definition=td, environment={})\n\
other.add_container(\"x\", environment={})\n";
        let ids: Vec<Option<String>> = findings(env, src).into_iter().map(|f| f.2).collect();
        assert_eq!(ids, [Some("Task".into()), Some("Task".into()), None]);

        let waf = "kind = \"report\"\nconstructs = [\"aws_cdk.aws_apigateway.RestApi\"]\nunless_passed_as = [\"resource_arn\"]\nnote = \"n\"\n";
        let src = "from aws_cdk import aws_apigateway as apigw\n\
api = apigw.RestApi(s, \"A\")\n\
my_api = apigw.RestApi(s, \"B\")\n\
self.api = apigw.RestApi(s, \"C\")\n\
W(s, \"W1\", resource_arn=api.deployment_stage.stage_arn)\n\
W(s, \"W2\", resource_arn=f\"x/{self.api.rest_api_id}/stages/prod\")\n";
        let lines: Vec<usize> = findings(waf, src).into_iter().map(|f| f.0).collect();
        assert_eq!(lines, [3], "`my_api` is not `api`");

        let port = "kind = \"report\"\nconstructs = [\"aws_cdk.aws_rds.DatabaseCluster\"]\nmissing_kwargs = [\"port\"]\nunless = [{ kwarg = \"engine\", one_of = [\"aws_cdk.aws_rds.DatabaseClusterEngine.aurora_postgres\"], reason = \"r\" }]\nnote = \"n\"\n";
        let src = "from aws_cdk import aws_rds as rds\n\
rds.DatabaseCluster(s, \"A\", engine=rds.DatabaseClusterEngine.aurora_postgres(version=v))\n\
rds.DatabaseCluster(s, \"B\", engine=rds.DatabaseClusterEngine.aurora_mysql(version=v))\n";
        let lines: Vec<usize> = findings(port, src).into_iter().map(|f| f.0).collect();
        assert_eq!(lines, [3]);
    }

    const INSIGHTS: &str = "kind = \"rename-kwarg\"\nconstructs = [\"aws_cdk.aws_ecs.Cluster\"]\nkwarg = \"container_insights\"\nto = \"container_insights_v2\"\n[rewrite.values]\n\"True\" = \"{aws_cdk.aws_ecs.ContainerInsights}.ENABLED\"\n\"False\" = \"{aws_cdk.aws_ecs.ContainerInsights}.DISABLED\"\n";

    #[test]
    fn rename_kwarg_values_map_the_old_source_text() {
        let src = "from aws_cdk import aws_ecs as ecs\necs.Cluster(s, \"A\", container_insights=True)\necs.Cluster(s, \"B\", container_insights=False)\n";
        let (found, fixed) = run(INSIGHTS, src);
        assert_eq!(found, 2);
        let fixed = fixed.unwrap();
        assert!(fixed.contains("\"A\", container_insights_v2=ecs.ContainerInsights.ENABLED)"));
        assert!(fixed.contains("\"B\", container_insights_v2=ecs.ContainerInsights.DISABLED)"));
        let (found, fixed) = run(
            INSIGHTS,
            "from aws_cdk import aws_ecs as ecs\necs.Cluster(s, \"A\", container_insights=on)\n",
        );
        assert_eq!((found, fixed), (1, None), "an unmapped value is reported");
        let both = INSIGHTS.replace("to = ", "value = \"{arg}\"\nto = ");
        assert!(catalogue(&both).is_err(), "`value` and `values` together");
    }

    #[test]
    fn replace_value_matches_literals_list_elements_and_only_with() {
        let efs = "kind = \"replace-value\"\nconstructs = [\"aws_cdk.aws_efs.FileSystem\"]\nkwarg = \"encrypted\"\nfrom = [\"False\"]\nvalue = \"True\"\n";
        let src = "from aws_cdk import aws_efs as efs\nefs.FileSystem(s, \"A\", encrypted=False)\nefs.FileSystem(s, \"B\", encrypted=flag)\n";
        let (found, fixed) = run(efs, src);
        assert_eq!(found, 1);
        assert!(fixed.unwrap().contains("\"A\", encrypted=True)"));

        let origin = "kind = \"replace-value\"\nconstructs = [\"aws_cdk.aws_cloudfront_origins.HttpOrigin\"]\nkwarg = \"origin_ssl_protocols\"\nfrom = [\"aws_cdk.aws_cloudfront.OriginSslPolicy.TLS_V1\"]\nvalue = \"[{aws_cdk.aws_cloudfront.OriginSslPolicy}.TLS_V1_2]\"\n";
        let src = "from aws_cdk import aws_cloudfront as cf, aws_cloudfront_origins as o\no.HttpOrigin(\"a.example.com\", origin_ssl_protocols=[cf.OriginSslPolicy.TLS_V1, cf.OriginSslPolicy.TLS_V1_2])\no.HttpOrigin(\"b.example.com\", origin_ssl_protocols=[cf.OriginSslPolicy.TLS_V1_2])\n";
        let (found, fixed) = run(origin, src);
        assert_eq!(found, 1);
        assert!(
            fixed.unwrap().contains(
                "(\"a.example.com\", origin_ssl_protocols=[cf.OriginSslPolicy.TLS_V1_2])"
            )
        );

        let tls = "kind = \"replace-value\"\nconstructs = [\"aws_cdk.aws_cloudfront.Distribution\"]\nkwarg = \"minimum_protocol_version\"\nfrom = [\"aws_cdk.aws_cloudfront.SecurityPolicyProtocol.TLS_V1_2016\"]\nto = \"aws_cdk.aws_cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021\"\nonly_with = [\"certificate\"]\n";
        let src = "from aws_cdk import aws_cloudfront as cf\np = cf.SecurityPolicyProtocol.TLS_V1_2016\ncf.Distribution(s, \"A\", certificate=c, minimum_protocol_version=cf.SecurityPolicyProtocol.TLS_V1_2016)\ncf.Distribution(s, \"B\", minimum_protocol_version=cf.SecurityPolicyProtocol.TLS_V1_2016)\n";
        let (found, fixed) = run(tls, src);
        assert_eq!(found, 1, "without a certificate the setting has no effect");
        assert!(fixed.unwrap().contains(
            "certificate=c, minimum_protocol_version=cf.SecurityPolicyProtocol.TLS_V1_2_2021)"
        ));
    }
}
