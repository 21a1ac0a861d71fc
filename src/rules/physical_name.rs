//! Hard-coded physical names (`bucket_name="orders"`): two deployments of a
//! stack in one account collide on them, and CloudFormation cannot replace a
//! resource whose name is fixed. The fix appends the environment name
//! (`f"orders-{environment_suffix}"`), or with `names = "remove"` deletes the
//! argument so CDK generates a unique name.

use super::{Codemod, FileCtx, Finding, environment};
use crate::catalogue::{check_constructs, is_identifier};
use crate::options::NamesMode;
use crate::pyast::{CallView, StringParts, remove_item, string_parts};
use crate::source::{Edit, line_col};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Characters a name must leave free below its length limit for
    /// `-{environment}` to be appended.
    reserve: usize,
    /// Names that, inside a literal, make it differ per deployment already
    /// (`stack_name`, `env_suffix`); the configured variable always does.
    markers: Vec<String>,
    /// Classes whose name arguments refer to an existing resource.
    #[serde(default)]
    skip: Vec<String>,
    /// Class-name prefixes and suffixes skipped the same way (`Cfn`: L1
    /// properties mix own names and references; `Attributes`: imports).
    #[serde(default)]
    skip_prefixes: Vec<String>,
    #[serde(default)]
    skip_suffixes: Vec<String>,
    names: Vec<NameRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameRule {
    kwarg: String,
    /// Only these classes (the keyword means something else elsewhere);
    /// empty: every class not skipped.
    #[serde(default)]
    constructs: Vec<String>,
    /// The service's length limit, when it has a documented one.
    max_length: Option<usize>,
    /// The service accepts lower-case names only.
    #[serde(default)]
    lower_case: bool,
    /// The construct cannot do without the name (`kms.Alias`).
    #[serde(default)]
    required: bool,
    /// An ending the service requires (`.fifo`): the environment goes before it.
    keep_suffix: Option<String>,
}

pub struct PhysicalName {
    params: Params,
    /// Rule indexes by keyword.
    by_kwarg: HashMap<String, Vec<usize>>,
}

impl PhysicalName {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("physical-name", params)?;
        if params.reserve < 2 {
            return Err(
                "physical-name params: `reserve` must leave room for `-` and a name".into(),
            );
        }
        if !params.skip.is_empty() {
            check_constructs(&params.skip)?;
        }
        if let Some(m) = params.markers.iter().find(|m| !is_identifier(m)) {
            return Err(format!(
                "physical-name params: marker `{m}` is not an identifier"
            ));
        }
        let mut by_kwarg: HashMap<String, Vec<usize>> = HashMap::new();
        let mut seen = HashSet::new();
        for (idx, rule) in params.names.iter().enumerate() {
            let kwarg = &rule.kwarg;
            if !is_identifier(kwarg) {
                return Err(format!(
                    "physical-name params: `{kwarg}` is not an identifier"
                ));
            }
            if !rule.constructs.is_empty() {
                check_constructs(&rule.constructs)?;
            }
            if rule.max_length.is_some_and(|m| m <= params.reserve) {
                return Err(format!(
                    "physical-name params: `{kwarg}`'s max_length leaves no room for the environment"
                ));
            }
            if rule.keep_suffix.as_deref() == Some("") {
                return Err(format!(
                    "physical-name params: `{kwarg}` has an empty keep_suffix"
                ));
            }
            // One rule per (keyword, class), and at most one for every class.
            let targets: Vec<&str> = if rule.constructs.is_empty() {
                vec!["*"]
            } else {
                rule.constructs.iter().map(String::as_str).collect()
            };
            for t in targets {
                if !seen.insert((kwarg.clone(), t.to_string())) {
                    return Err(format!(
                        "physical-name params: `{kwarg}` has two rules for `{t}`"
                    ));
                }
            }
            by_kwarg.entry(kwarg.clone()).or_default().push(idx);
        }
        Ok(PhysicalName { params, by_kwarg })
    }

    /// Whether `fqn` is a class whose name arguments are its own names.
    fn applies_to(&self, fqn: &str) -> bool {
        let class = fqn.rsplit('.').next().unwrap_or(fqn);
        class.starts_with(|c: char| c.is_ascii_uppercase())
            && !self
                .params
                .skip_prefixes
                .iter()
                .any(|p| class.starts_with(p))
            && !self.params.skip_suffixes.iter().any(|s| class.ends_with(s))
            && !self.params.skip.iter().any(|s| s == fqn)
    }

    /// The rule for `kwarg` on `fqn`: one naming the class, else the general one.
    fn rule(&self, kwarg: &str, fqn: &str) -> Option<&NameRule> {
        let rules = self
            .by_kwarg
            .get(kwarg)?
            .iter()
            .map(|&i| &self.params.names[i]);
        let mut general = None;
        for rule in rules {
            if rule.constructs.is_empty() {
                general = Some(rule);
            } else if rule.constructs.iter().any(|c| c == fqn) {
                return Some(rule);
            }
        }
        general
    }

    /// Whether the literal already differs per deployment: one of its
    /// identifiers (inside `{...}` or, misspelt without `f`, as text) is the
    /// configured variable or one of its aliases, the attribute the
    /// environment was found in, or a marker; or a name inside `{...}` says
    /// it is an environment's (`{self.stage}`).
    fn carries_environment(&self, lit: &StringParts, ctx: &FileCtx, env: Option<&str>) -> bool {
        let body = &ctx.text[lit.body.clone()];
        let env_attr = env.map(|e| e.rsplit('.').next().unwrap_or(e));
        let options = &ctx.options.environment;
        identifiers(body).any(|word| {
            word == options.variable
                || options.aliases.iter().any(|a| a == word)
                || Some(word) == env_attr
                || self.params.markers.iter().any(|m| m == word)
        }) || (lit.is_f()
            && interpolated(body)
                .into_iter()
                .flat_map(identifiers)
                .any(names_environment))
    }

    fn suffix(
        &self,
        rule: &NameRule,
        lit: &StringParts,
        ctx: &FileCtx,
        env: Option<environment::EnvValue>,
    ) -> Result<Vec<Edit>, String> {
        let kwarg = &rule.kwarg;
        let shown = &ctx.text[lit.range.clone()];
        let fixed = lit.static_text(ctx.text);
        if rule.lower_case && fixed.chars().any(char::is_uppercase) {
            return Err(format!(
                "not rewritten: `{kwarg}` must be lower-case and {shown} is not"
            ));
        }
        if let Some(max) = rule.max_length {
            let len = fixed.chars().count();
            if len + self.params.reserve > max {
                return Err(format!(
                    "not rewritten: `{kwarg}` allows {max} characters; {shown} has {len}, which leaves less than {} for `-<environment>`",
                    self.params.reserve
                ));
            }
        }
        // Another string that is this name, or an ARN that ends in it, refers
        // to the resource by name: renaming only one of them breaks the link.
        let refers = |other: &str, name: &str| {
            other == name
                || (other.contains("arn:")
                    && (other.ends_with(&format!(":{name}"))
                        || other.ends_with(&format!("/{name}"))
                        || other.contains(&format!(":{name}/"))
                        || other.contains(&format!("/{name}/"))))
        };
        if let Some(line) = referenced_elsewhere(lit, ctx, refers) {
            return Err(format!(
                "not rewritten: the string on line {line} refers to this name; rename both together"
            ));
        }
        let Some(env) = env else {
            return Err("not rewritten: no environment name in scope, and one can be introduced only in a constructor after `super().__init__(...)`".into());
        };
        // The expression goes inside the f-string: only a dotted name is sure
        // to be valid there (before Python 3.12, no quotes or backslashes).
        if !env.expr.split('.').all(is_identifier) {
            return Err(format!(
                "not rewritten: `{}` cannot be written inside an f-string",
                env.expr
            ));
        }
        let body = &ctx.text[lit.body.clone()];
        if body.contains("\\N{") {
            return Err(format!(
                "not rewritten: {shown} holds a `\\N{{...}}` escape"
            ));
        }
        let opening = &ctx.text[lit.range.start..lit.body.start];
        let closing = &ctx.text[lit.body.end..lit.range.end];
        let (prefix, body) = if lit.is_f() {
            (opening.to_string(), body.to_string())
        } else {
            // `u` cannot be combined with `f`; literal braces must be doubled.
            let rest = opening.trim_start_matches(['u', 'U']);
            (
                format!("f{rest}"),
                body.replace('{', "{{").replace('}', "}}"),
            )
        };
        let cut = rule
            .keep_suffix
            .as_deref()
            .filter(|s| body.ends_with(s))
            .map_or(body.len(), |s| body.len() - s.len());
        let mut edits = vec![Edit::replace(
            lit.range.clone(),
            format!(
                "{prefix}{}-{{{}}}{}{closing}",
                &body[..cut],
                env.expr,
                &body[cut..]
            ),
        )];
        edits.extend(env.introduce);
        Ok(edits)
    }

    /// The argument's deletion, unless another string literal in the file
    /// holds the same name (something refers to it by name) or the construct
    /// needs it.
    fn remove(
        &self,
        call: &CallView,
        fqn: &str,
        rule: &NameRule,
        lit: &StringParts,
        ctx: &FileCtx,
    ) -> Result<Vec<Edit>, String> {
        let kwarg = &rule.kwarg;
        if rule.required {
            let class = fqn.rsplit('.').next().unwrap_or(fqn);
            return Err(format!("not removed: `{class}` requires `{kwarg}`"));
        }
        if let Some(line) = referenced_elsewhere(lit, ctx, |other, name| other.contains(name)) {
            return Err(format!(
                "not removed: the name also appears in a string on line {line}, which may refer to it"
            ));
        }
        // CDK makes a queue or topic FIFO when its name ends in `.fifo`.
        if let Some(keep) = rule.keep_suffix.as_deref()
            && ctx.text[lit.body.clone()].ends_with(keep)
        {
            return Err(format!(
                "not removed: the name's `{keep}` makes it FIFO; remove it together with adding `fifo=True`"
            ));
        }
        let idx = call
            .item_index(kwarg)
            .expect("a found kwarg is a list item");
        Ok(remove_item(ctx.text, &call.list, idx))
    }
}

/// The line of the first other string literal of the file that `refers`
/// (given its text between the quotes and this literal's) to the name.
fn referenced_elsewhere(
    lit: &StringParts,
    ctx: &FileCtx,
    refers: impl Fn(&str, &str) -> bool,
) -> Option<usize> {
    let name = &ctx.text[lit.body.clone()];
    // Every `refers` relation needs the name inside the other string, so the
    // raw text is a cheap first test before the string is taken apart.
    let other = ctx.index().strings().iter().find(|n| {
        let r = n.range();
        (r.end <= lit.range.start || r.start >= lit.range.end)
            && ctx.text[r].contains(name)
            && string_parts(n).is_some_and(|other| refers(&ctx.text[other.body], name))
    })?;
    Some(line_col(ctx.text, other.range().start).0)
}

/// The `{...}` fields of an f-string body (`{{` is a literal brace).
fn interpolated(body: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('{') {
        if rest[open + 1..].starts_with('{') {
            rest = &rest[open + 2..];
            continue;
        }
        let Some(len) = rest[open + 1..].find('}') else {
            break;
        };
        fields.push(&rest[open + 1..open + 1 + len]);
        rest = &rest[open + 2 + len..];
    }
    fields
}

/// Whether a name interpolated into a physical name says it is the
/// environment's (`stage`, `self.env_name`, `props.deploy_environment`,
/// `name_suffix`): a name written that way is meant to differ per environment.
fn names_environment(word: &str) -> bool {
    word.split('_').any(|part| {
        ["env", "environment", "stage", "suffix"]
            .iter()
            .any(|w| part.eq_ignore_ascii_case(w))
    })
}

/// The identifier-like words of a text (`self.environment_suffix` gives
/// `self` and `environment_suffix`).
fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

impl Codemod for PhysicalName {
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
        if !self.applies_to(fqn) {
            return;
        }
        for (kwarg, item, value) in &call.kwargs {
            let Some(rule) = self.rule(kwarg, fqn) else {
                continue;
            };
            // Concatenations, names and calls are computed: not judged.
            let Some(lit) = string_parts(value).filter(|l| !l.is_bytes()) else {
                continue;
            };
            let body = &ctx.text[lit.body.clone()];
            // The cheap test first: most suffixed names spell the variable,
            // and finding the environment walks the whole method.
            if body.is_empty() || self.carries_environment(&lit, ctx, None) {
                continue;
            }
            let env = environment::find(value, ctx);
            if self.carries_environment(&lit, ctx, env.as_ref().map(|e| e.expr.as_str())) {
                continue;
            }
            let mut finding = Finding::new(call);
            finding.at = item.range().start;
            let result = match ctx.options.names {
                NamesMode::Suffix => self.suffix(rule, &lit, ctx, env),
                NamesMode::Remove => self.remove(call, fqn, rule, &lit, ctx),
            };
            out.push(match result {
                Ok(edits) => {
                    let note = match ctx.options.names {
                        NamesMode::Suffix => format!("append the environment name to `{kwarg}`"),
                        NamesMode::Remove => {
                            format!("remove `{kwarg}`; CDK generates a unique name")
                        }
                    };
                    finding.note(note).fix(edits, vec![])
                }
                Err(reason) => finding.note(reason),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{Catalogue, Rewrite};
    use crate::imports::Imports;
    use crate::options::Options;
    use crate::pyast::parse;
    use crate::source::apply_edits;

    fn params(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    fn builtin() -> PhysicalName {
        let entry = Catalogue::builtin().get("hardcoded-physical-name").unwrap();
        let Rewrite::Transform { params, .. } = &entry.rewrite else {
            panic!("a transform")
        };
        PhysicalName::new(params).unwrap()
    }

    /// Findings on every `aws_cdk` call of `src`, with `options`, and the
    /// text after applying the first fix.
    fn run(src: &str, options: &Options) -> (Vec<Finding>, String) {
        let codemod = builtin();
        let root = parse(src);
        let imports = Imports::collect(&root);
        let vars = HashMap::new();
        let module = root.root();
        let ctx = FileCtx {
            text: src,
            imports: &imports,
            newline: "\n",
            vars: &vars,
            options,
            module: &module,
            index: &crate::rules::FileIndex::build(&module),
            cdk: crate::version::ASSUMED_CDK,
            cdk_source: "",
        };
        let mut out = Vec::new();
        for node in module.dfs().filter(|n| n.kind() == "call") {
            let fqn = imports.resolve(&node.field("function").unwrap());
            let Some(fqn) = fqn.filter(|f| f.starts_with("aws_cdk.")) else {
                continue;
            };
            codemod.on_construct(&CallView::new(node).unwrap(), &fqn, &ctx, &mut out);
        }
        let fixed = match out.iter().find_map(|f| f.fix.as_ref()) {
            Some(fix) => apply_edits(src, &fix.edits),
            None => src.to_string(),
        };
        (out, fixed)
    }

    const HEAD: &str = "from aws_cdk import Stack, aws_s3 as s3, aws_sqs as sqs\n\nclass S(Stack):\n    def __init__(self, scope, cid, environment_suffix):\n        super().__init__(scope, cid)\n";

    fn suffixed(call: &str) -> String {
        let src = format!("{HEAD}        {call}\n");
        let (_, fixed) = run(&src, &Options::default());
        fixed[HEAD.len()..].trim().to_string()
    }

    #[test]
    fn literal_forms() {
        assert_eq!(
            suffixed("sqs.Queue(self, 'Q', queue_name=u'jobs')"),
            "sqs.Queue(self, 'Q', queue_name=f'jobs-{environment_suffix}')"
        );
        assert_eq!(
            suffixed("sqs.Queue(self, 'Q', queue_name=r\"jobs\")"),
            "sqs.Queue(self, 'Q', queue_name=fr\"jobs-{environment_suffix}\")"
        );
        assert_eq!(
            suffixed("sqs.Queue(self, 'Q', queue_name=\"\"\"jobs\"\"\")"),
            "sqs.Queue(self, 'Q', queue_name=f\"\"\"jobs-{environment_suffix}\"\"\")"
        );
        // Braces of a plain literal are text: doubled in the f-string.
        assert_eq!(
            suffixed("sqs.Queue(self, 'Q', queue_name='jobs{1}')"),
            "sqs.Queue(self, 'Q', queue_name=f'jobs{{1}}-{environment_suffix}')"
        );
        // A FIFO f-string keeps `.fifo` last.
        assert_eq!(
            suffixed("sqs.Queue(self, 'Q', queue_name=f'{cid}.fifo')"),
            "sqs.Queue(self, 'Q', queue_name=f'{cid}-{environment_suffix}.fifo')"
        );
        // Bytes, empty names and `.format` calls are not names to judge.
        for call in [
            "sqs.Queue(self, 'Q', queue_name=b'jobs')",
            "sqs.Queue(self, 'Q', queue_name='')",
            "sqs.Queue(self, 'Q', queue_name='{}'.format(cid))",
        ] {
            assert_eq!(suffixed(call), call);
        }
    }

    #[test]
    fn a_variable_that_is_no_name_is_not_written() {
        let mut options = Options::default();
        options.environment.variable = "env-name".into();
        let src = "from aws_cdk import Stack, aws_sqs as sqs\n\nclass S(Stack):\n    def __init__(self, scope, cid):\n        super().__init__(scope, cid)\n        sqs.Queue(self, 'Q', queue_name='jobs')\n";
        let (found, fixed) = run(src, &options);
        assert_eq!(fixed, src);
        assert!(found[0].note.as_deref().unwrap().contains("`env-name`"));
    }

    #[test]
    fn only_classes_that_name_themselves() {
        let p = builtin();
        assert!(p.applies_to("aws_cdk.aws_s3.Bucket"));
        assert!(!p.applies_to("aws_cdk.aws_s3.Bucket.from_bucket_name"));
        assert!(!p.applies_to("aws_cdk.aws_s3.CfnBucket"));
        assert!(!p.applies_to("aws_cdk.aws_s3.BucketAttributes"));
        assert!(!p.applies_to("aws_cdk.aws_ec2.VpcLookupOptions"));
        assert!(!p.applies_to("aws_cdk.aws_logs.LogRetention"));
        // A class-specific rule wins; a keyword with only specific rules
        // means nothing elsewhere.
        let eks = p.rule("cluster_name", "aws_cdk.aws_eks.Cluster").unwrap();
        assert_eq!(eks.max_length, Some(100));
        let ecs = p.rule("cluster_name", "aws_cdk.aws_ecs.Cluster").unwrap();
        assert_eq!(ecs.max_length, Some(255));
        assert!(
            p.rule("domain_name", "aws_cdk.aws_certificatemanager.Certificate")
                .is_none()
        );
        assert!(p.rule("alias_name", "aws_cdk.aws_lambda.Alias").is_none());
    }

    #[test]
    fn remove_mode_keeps_names_used_elsewhere() {
        let options = Options {
            names: NamesMode::Remove,
            ..Options::default()
        };
        let src = format!(
            "{HEAD}        s3.Bucket(self, 'B', bucket_name='acme-logs', versioned=True)\n"
        );
        let (found, fixed) = run(&src, &options);
        assert_eq!(found.len(), 1);
        assert!(
            fixed.ends_with("s3.Bucket(self, 'B', versioned=True)\n"),
            "{fixed}"
        );
        let used = format!("{src}        arn = f'arn:aws:s3:::acme-logs/{{cid}}'\n");
        let (found, fixed) = run(&used, &options);
        assert!(found[0].fix.is_none() && fixed == used);
        assert!(found[0].note.as_deref().unwrap().contains("line 7"));
        // Removal needs no environment name: it works at module level too.
        let module =
            "from aws_cdk import aws_sqs as sqs\nsqs.Queue(stack, 'Q', queue_name='jobs')\n";
        let (_, fixed) = run(module, &options);
        assert_eq!(
            fixed,
            "from aws_cdk import aws_sqs as sqs\nsqs.Queue(stack, 'Q')\n"
        );
    }

    #[test]
    fn invalid_params_are_rejected() {
        let ok = "reserve = 11\nmarkers = [\"stack_name\"]\nnames = [{ kwarg = \"bucket_name\", max_length = 63 }]\n";
        assert!(PhysicalName::new(&params(ok)).is_ok());
        for (bad, why) in [
            (ok.replace("bucket_name\"", "bucket-name\""), "identifier"),
            (ok.replace("63", "11"), "no room"),
            (ok.replace("reserve = 11", "reserve = 1"), "reserve"),
            (ok.replace("\"stack_name\"", "\"stack name\""), "marker"),
            (
                ok.replace(
                    "max_length = 63 }",
                    "max_length = 63 }, { kwarg = \"bucket_name\" }",
                ),
                "two rules",
            ),
            (
                ok.replace(
                    "max_length = 63 }",
                    "max_length = 63, constructs = [\"s3.Bucket\"] }",
                ),
                "fully-qualified",
            ),
            (ok.replace("max_length", "max_len"), "unknown field"),
        ] {
            let err = PhysicalName::new(&params(&bad)).err().unwrap();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
