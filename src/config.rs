//! Settings from `cdkfix.toml` or `[tool.cdkfix]` in `pyproject.toml`, found
//! upward from each path given on the command line.

use crate::options::{
    CorsOptions, EnvironmentOptions, IamOptions, LambdaOptions, LineLength, LogsOptions, NamesMode,
    Options, RdsOptions, RemovalMode, ThrottlingOptions,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Codemod ids or cdk-nag / checkov rule ids to run (default: all but
    /// the opt-in ones).
    pub select: Option<Vec<String>>,
    /// Codemod ids or rule ids to run on top of `select` (or the default).
    pub extend_select: Option<Vec<String>>,
    /// Codemod ids or rule ids not to run.
    pub ignore: Option<Vec<String>>,
    /// Apply fixes of the `unsafe` tier too.
    pub unsafe_fixes: Option<bool>,
    /// Glob patterns (gitignore syntax) of paths to skip.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Hard-coded physical names: `suffix` (default) or `remove`.
    pub names: Option<NamesMode>,
    /// `retain` (default) or `by-environment`.
    pub removal_policy: Option<RemovalMode>,
    /// Lines fixes make longer than this are split (default 88; 0: never).
    pub line_length: Option<LineLength>,
    #[serde(default)]
    pub environment: EnvironmentOptions,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub throttling: ThrottlingOptions,
    #[serde(default)]
    pub rds: RdsOptions,
    #[serde(default)]
    pub iam: IamOptions,
    #[serde(default)]
    pub logs: LogsOptions,
    #[serde(default)]
    pub lambda: LambdaOptions,
    #[serde(default)]
    pub cors: CorsOptions,
}

impl FileConfig {
    /// Checks across keys, and of values serde cannot judge one by one.
    fn validate(self) -> Result<FileConfig, String> {
        self.throttling.check()?;
        for (key, value) in &self.tags {
            crate::options::check_tag(key, value)?;
        }
        Ok(self)
    }

    pub fn options(&self) -> Options {
        Options {
            environment: self.environment.clone(),
            names: self.names.unwrap_or_default(),
            removal_policy: self.removal_policy.unwrap_or_default(),
            tags: self.tags.clone(),
            throttling: self.throttling.clone(),
            rds: self.rds.clone(),
            iam: self.iam.clone(),
            logs: self.logs.clone(),
            lambda: self.lambda.clone(),
            cors: self.cors.clone(),
            line_length: self.line_length.unwrap_or_default(),
            project_tag_keys: Default::default(),
            project_cdk: None,
            project_context: None,
            project_layers: Default::default(),
        }
    }
}

#[derive(Deserialize)]
struct PyProject {
    tool: Option<PyProjectTool>,
}

#[derive(Deserialize)]
struct PyProjectTool {
    cdkfix: Option<toml::Value>,
}

/// A configuration and the file it came from.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub config: FileConfig,
}

/// Read an explicit configuration file (`--config`).
pub fn load(path: &Path) -> Result<Found, String> {
    if path.is_dir() {
        return Err(format!(
            "{}: is a directory; --config takes a cdkfix.toml or pyproject.toml file",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let config = if is_pyproject {
        parse_pyproject(&text)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .unwrap_or_default()
    } else {
        parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
    };
    Ok(Found {
        path: crate::walk::absolute(path),
        config,
    })
}

/// Parse a `cdkfix.toml` document.
pub fn parse(text: &str) -> Result<FileConfig, String> {
    toml::from_str::<FileConfig>(text)
        .map_err(|e| located(text, &e))?
        .validate()
}

/// A TOML error as one line that says where: `line 3 (line_length = -1): ...`.
fn located(text: &str, e: &toml::de::Error) -> String {
    let message = one_line(e.message());
    let Some(span) = e.span() else {
        return message;
    };
    let start = span.start.min(text.len());
    let line = text[..start].matches('\n').count() + 1;
    let source = text.lines().nth(line - 1).unwrap_or_default().trim();
    format!("line {line} (`{source}`): {message}")
}

fn parse_pyproject(text: &str) -> Result<Option<FileConfig>, String> {
    let project: PyProject = toml::from_str(text).map_err(|e| located(text, &e))?;
    match project.tool.and_then(|t| t.cdkfix) {
        None => Ok(None),
        Some(value) => value
            .try_into()
            .map_err(|e: toml::de::Error| one_line(e.message()))
            .and_then(FileConfig::validate)
            .map(Some)
            .map_err(|e| format!("[tool.cdkfix]: {e}")),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The nearest configuration at or above `start`: `cdkfix.toml` first, then a
/// `pyproject.toml` that has a `[tool.cdkfix]` table.
pub fn discover(start: &Path) -> Result<Option<Found>, String> {
    let start = crate::walk::absolute(start);
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(d) = dir {
        let own = d.join("cdkfix.toml");
        if own.is_file() {
            return load(&own).map(Some);
        }
        let pyproject = d.join("pyproject.toml");
        if pyproject.is_file() {
            let text = std::fs::read_to_string(&pyproject)
                .map_err(|e| format!("{}: {e}", pyproject.display()))?;
            if let Some(config) =
                parse_pyproject(&text).map_err(|e| format!("{}: {e}", pyproject.display()))?
            {
                return Ok(Some(Found {
                    path: pyproject,
                    config,
                }));
            }
        }
        dir = d.parent();
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms() {
        let c = parse("select = [\"AwsSolutions-S2\"]\nunsafe_fixes = true\n").unwrap();
        assert_eq!(c.select.unwrap(), vec!["AwsSolutions-S2"]);
        assert_eq!(c.unsafe_fixes, Some(true));
        let p = parse_pyproject("[project]\nname='x'\n[tool.cdkfix]\nignore=['a']\n").unwrap();
        assert_eq!(p.unwrap().ignore.unwrap(), vec!["a"]);
        assert!(
            parse_pyproject("[tool.black]\nline-length=1\n")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn codemod_options_have_defaults_and_parse() {
        let o = parse("").unwrap().options();
        assert_eq!(o, Options::default());
        assert_eq!(o.environment.variable, "environment_suffix");
        let c = parse(
            "names = \"remove\"\nremoval_policy = \"by-environment\"\n[environment]\nvariable = \"stage\"\n[tags]\nOwner = \"platform\"\n[throttling]\nrate_limit = 50\n",
        )
        .unwrap();
        let o = c.options();
        assert_eq!(o.names, NamesMode::Remove);
        assert_eq!(o.removal_policy, RemovalMode::ByEnvironment);
        assert_eq!(o.environment.variable, "stage");
        assert_eq!(o.environment.context_key, "environmentSuffix");
        assert_eq!(o.tags["Owner"], "platform");
        assert_eq!(
            (o.throttling.rate_limit, o.throttling.burst_limit),
            (50, 200)
        );
        assert!(parse("[throttling]\nrate = 1\n").is_err());
        assert_eq!(o.rds.backup_retention_days, 7);
        let c = parse("[rds]\nbackup_retention_days = 14\n").unwrap();
        assert_eq!(c.options().rds.backup_retention_days, 14);
        let e = parse("[rds]\nbackup_retention_days = 0\n").unwrap_err();
        assert!(e.contains("between 1 and 35"), "{e}");
    }

    #[test]
    fn log_retention_defaults_and_is_validated() {
        assert_eq!(parse("").unwrap().options().logs.retention.0, "ONE_YEAR");
        let o = parse("[logs]\nretention = \"three_months\"\n")
            .unwrap()
            .options();
        assert_eq!(o.logs.retention.0, "THREE_MONTHS");
        let e = parse("[logs]\nretention = \"ONE_YEARS\"\n").unwrap_err();
        assert!(e.contains("unknown retention `ONE_YEARS`"), "{e}");
        assert!(e.contains("TEN_YEARS"), "{e}");
        let e = parse("[logs]\nretention = \"INFINITE\"\n").unwrap_err();
        assert!(e.contains("never expires"), "{e}");
        assert!(parse("[logs]\nretain = \"ONE_YEAR\"\n").is_err());
    }

    #[test]
    fn values_written_into_code_are_checked() {
        for name in ["stage", "_env", "étape", "env2"] {
            let c = parse(&format!("[environment]\nvariable = \"{name}\"\n")).unwrap();
            assert_eq!(c.options().environment.variable, name);
        }
        for (name, why) in [
            ("my-env", "not a Python identifier"),
            ("2env", "not a Python identifier"),
            ("self.env", "not a Python identifier"),
            ("None", "a Python keyword"),
            ("lambda", "a Python keyword"),
        ] {
            let e = parse(&format!("[environment]\nvariable = \"{name}\"\n")).unwrap_err();
            assert!(
                e.contains("[environment] variable") && e.contains(why),
                "{e}"
            );
        }
        let e = parse("[environment]\nproduction = []\n").unwrap_err();
        assert!(e.contains("at least one"), "{e}");
        let c = parse("[environment]\naliases = [\"stage\"]\n").unwrap();
        assert_eq!(c.options().environment.aliases, ["stage"]);
        let e = parse("[environment]\naliases = [\"deploy-env\"]\n").unwrap_err();
        assert!(e.contains("[environment] aliases"), "{e}");
        for limits in [
            "rate_limit = 0",
            "burst_limit = 0",
            "rate_limit = -1",
            "rate_limit = 5000000000",
        ] {
            let e = parse(&format!("[throttling]\n{limits}\n")).unwrap_err();
            assert!(e.contains("must be a positive number"), "{e}");
        }
        assert!(parse("[throttling]\nrate_limit = 10\nburst_limit = 10\n").is_ok());
        let e = parse("[throttling]\nrate_limit = 10\nburst_limit = 5\n").unwrap_err();
        assert!(
            e.contains("burst_limit (5) must not be below rate_limit (10)"),
            "{e}"
        );
        let e = parse("[throttling]\nrate_limit = 300\n").unwrap_err();
        assert!(
            e.contains("burst_limit (200)"),
            "the default burst counts: {e}"
        );
        assert!(parse("[lambda]\nreserved_concurrency = 0\n").is_err());
        assert_eq!(
            parse("[lambda]\nreserved_concurrency = 5\n")
                .unwrap()
                .lambda
                .reserved_concurrency,
            Some(5)
        );
    }

    #[test]
    fn tags_are_valid_aws_tags() {
        let ok = [
            ("Owner", "platform-team"),
            ("cost center", ""),
            ("a.b:c/d=e+f-g@h_i", "Ünïcode 1"),
            ("Stage", "{environment}"),
            ("Stage", "{environment}-eu"),
            ("awsome", "x"),
        ];
        for (key, value) in ok {
            assert_eq!(crate::options::check_tag(key, value), Ok(()), "{key}");
        }
        let long_key = "k".repeat(129);
        let long_value = "v".repeat(257);
        for (key, value, why) in [
            ("", "x", "1 to 128 characters"),
            (long_key.as_str(), "x", "1 to 128 characters"),
            ("Ow\"ner", "x", "has `\"`"),
            ("Owner\\", "x", "has `\\`"),
            ("aws:createdBy", "x", "reserved"),
            ("AWS:x", "x", "reserved"),
            ("Owner", long_value.as_str(), "at most 256"),
            ("Owner", "a'b", "has `'`"),
            ("Owner", "line\nbreak", "has `\n`"),
            ("Owner", "pre-{env}", "has `{`"),
        ] {
            let e = crate::options::check_tag(key, value).unwrap_err();
            assert!(
                e.starts_with("[tags] ") && e.contains(why),
                "{key:?}={value:?}: {e}"
            );
        }
        let e = parse("[tags]\n\"a'b\" = \"x\"\n").unwrap_err();
        assert!(e.contains("[tags] key `a'b`"), "{e}");
        let e = parse_pyproject("[tool.cdkfix.tags]\n\"aws:x\" = \"y\"\n").unwrap_err();
        assert!(e.starts_with("[tool.cdkfix]: [tags]"), "{e}");
    }

    #[test]
    fn unknown_keys_are_errors() {
        let e = parse("selct = []\n").unwrap_err();
        assert!(e.contains("selct"), "{e}");
        assert!(!e.contains('\n'));
    }
}
