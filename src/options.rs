//! Codemod options: the parts of the configuration that shape what fixes
//! write (environment handling, tags, throttling limits, ...). Every field has
//! a documented default, so an empty configuration is a complete one.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// How the stack's environment name is found or introduced.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EnvironmentOptions {
    /// The variable (or `self.` / `props.` attribute) that holds the environment name.
    #[serde(deserialize_with = "variable_name")]
    pub variable: String,
    /// The CDK context key read when the variable has to be introduced.
    pub context_key: String,
    /// The value used when the context key is not set.
    pub default: String,
    /// Environment names that count as production.
    #[serde(deserialize_with = "production_names")]
    pub production: Vec<String>,
    /// Other names the code may already give the environment name (a
    /// parameter, a local, `self.` or `props.` attribute), looked for after
    /// `variable`.
    #[serde(deserialize_with = "alias_names")]
    pub aliases: Vec<String>,
}

fn alias_names<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    match names.iter().find_map(|n| not_a_python_name(n)) {
        Some(why) => Err(serde::de::Error::custom(format!(
            "[environment] aliases: {why}"
        ))),
        None => Ok(names),
    }
}

/// With no production name, `by-environment` would destroy data everywhere.
fn production_names<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    if names.is_empty() {
        return Err(serde::de::Error::custom(
            "[environment] production must name at least one environment",
        ));
    }
    Ok(names)
}

impl Default for EnvironmentOptions {
    fn default() -> Self {
        EnvironmentOptions {
            variable: "environment_suffix".into(),
            context_key: "environmentSuffix".into(),
            default: "dev".into(),
            production: vec!["prod".into(), "production".into()],
            aliases: [
                "env_name",
                "environment_name",
                "env_suffix",
                "environment_suffix",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// Python's reserved words: not usable as a variable name.
const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Why `name` cannot be written into code as a Python variable name, if it
/// cannot.
pub fn not_a_python_name(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let starts_well = chars.next().is_some_and(|c| c == '_' || c.is_alphabetic());
    if !starts_well || !chars.all(|c| c == '_' || c.is_alphabetic() || c.is_ascii_digit()) {
        Some(format!(
            "`{name}` is not a Python identifier (letters, digits and `_`, not starting with a digit)"
        ))
    } else if PYTHON_KEYWORDS.contains(&name) {
        Some(format!("`{name}` is a Python keyword"))
    } else {
        None
    }
}

/// The environment variable is written into code as a name, so a value that
/// is none would make every fix that introduces it produce invalid Python.
fn variable_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let name = String::deserialize(d)?;
    match not_a_python_name(&name) {
        Some(why) => Err(serde::de::Error::custom(format!(
            "[environment] variable: {why}"
        ))),
        None => Ok(name),
    }
}

/// What to do with hard-coded physical names.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum NamesMode {
    /// Append the environment name: `"orders"` becomes `f"orders-{environment_suffix}"`.
    #[default]
    Suffix,
    /// Delete the argument and let CDK generate a unique name.
    Remove,
}

/// What `RemovalPolicy.DESTROY` on stateful resources becomes.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RemovalMode {
    /// Always `RETAIN` (or `SNAPSHOT`).
    #[default]
    Retain,
    /// `RETAIN` / `SNAPSHOT` in production environments, `DESTROY` elsewhere.
    ByEnvironment,
}

/// API Gateway stage throttling written by the throttling codemod.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ThrottlingOptions {
    /// Steady-state requests per second.
    #[serde(deserialize_with = "rate_limit")]
    pub rate_limit: u32,
    /// Burst capacity in requests.
    #[serde(deserialize_with = "burst_limit")]
    pub burst_limit: u32,
}

impl ThrottlingOptions {
    /// A burst below the rate is almost always the two values swapped: the
    /// bucket could not absorb one second of traffic at the steady rate.
    pub fn check(&self) -> Result<(), String> {
        if self.burst_limit < self.rate_limit {
            return Err(format!(
                "[throttling] burst_limit ({}) must not be below rate_limit ({}); set burst_limit to at least {}",
                self.burst_limit, self.rate_limit, self.rate_limit
            ));
        }
        Ok(())
    }
}

/// A limit written into code: 0 would block every request and a negative
/// number is not a limit.
fn positive<'de, D: serde::Deserializer<'de>>(d: D, key: &str) -> Result<u32, D::Error> {
    let n = i64::deserialize(d)?;
    u32::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
        serde::de::Error::custom(format!("{key} must be a positive number, not {n}"))
    })
}

fn rate_limit<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    positive(d, "[throttling] rate_limit")
}

fn burst_limit<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    positive(d, "[throttling] burst_limit")
}

impl Default for ThrottlingOptions {
    fn default() -> Self {
        ThrottlingOptions {
            rate_limit: 100,
            burst_limit: 200,
        }
    }
}

/// RDS settings written by the backup-retention codemods.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RdsOptions {
    /// Days of automated backups (point-in-time recovery window), 1 to 35.
    #[serde(deserialize_with = "retention_days")]
    pub backup_retention_days: u32,
}

impl Default for RdsOptions {
    fn default() -> Self {
        RdsOptions {
            backup_retention_days: 7,
        }
    }
}

/// RDS keeps automated backups for 1 to 35 days (0 turns them off, which is
/// what the codemods are there to prevent).
fn retention_days<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let days = u32::deserialize(d)?;
    if (1..=35).contains(&days) {
        Ok(days)
    } else {
        Err(serde::de::Error::custom(format!(
            "backup_retention_days must be between 1 and 35, not {days}"
        )))
    }
}

/// The `aws_logs.RetentionDays` members a finite retention can name (every
/// member of aws-cdk-lib 2.275.0 except `INFINITE`).
pub const RETENTION_DAYS: &[&str] = &[
    "ONE_DAY",
    "THREE_DAYS",
    "FIVE_DAYS",
    "ONE_WEEK",
    "TWO_WEEKS",
    "ONE_MONTH",
    "TWO_MONTHS",
    "THREE_MONTHS",
    "FOUR_MONTHS",
    "FIVE_MONTHS",
    "SIX_MONTHS",
    "ONE_YEAR",
    "THIRTEEN_MONTHS",
    "EIGHTEEN_MONTHS",
    "TWO_YEARS",
    "THREE_YEARS",
    "FIVE_YEARS",
    "SIX_YEARS",
    "SEVEN_YEARS",
    "EIGHT_YEARS",
    "NINE_YEARS",
    "TEN_YEARS",
];

/// A finite `RetentionDays` member name (`"ONE_YEAR"`), checked when read.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub struct RetentionDays(pub String);

impl TryFrom<String> for RetentionDays {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        let upper = value.trim().to_ascii_uppercase();
        if RETENTION_DAYS.contains(&upper.as_str()) {
            Ok(RetentionDays(upper))
        } else if upper == "INFINITE" {
            Err(
                "retention `INFINITE` never expires logs; choose a period such as \"ONE_YEAR\""
                    .into(),
            )
        } else {
            Err(format!(
                "unknown retention `{value}`; expected a RetentionDays member: {}",
                RETENTION_DAYS.join(", ")
            ))
        }
    }
}

/// Log groups: the retention written where none is set.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogsOptions {
    pub retention: RetentionDays,
}

impl Default for LogsOptions {
    fn default() -> Self {
        LogsOptions {
            retention: RetentionDays("ONE_YEAR".into()),
        }
    }
}

/// Lambda settings that only the project can choose: a codemod whose value
/// names an unset one reports without a fix.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LambdaOptions {
    /// Reserved concurrent executions written on functions without one.
    #[serde(deserialize_with = "some_positive")]
    pub reserved_concurrency: Option<u32>,
}

/// A reserved concurrency of 0 would stop every function it is written on.
fn some_positive<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    positive(d, "[lambda] reserved_concurrency").map(Some)
}

/// REST API CORS: the origins written in place of `Cors.ALL_ORIGINS`
/// (empty: unset, so the wildcard is reported without a fix).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CorsOptions {
    #[serde(deserialize_with = "origins")]
    pub allow_origins: Vec<String>,
}

/// Origins are full `scheme://host[:port]` values; `*` would keep the wildcard.
fn origins<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let list = Vec::<String>::deserialize(d)?;
    for o in &list {
        if !(o.starts_with("https://") || o.starts_with("http://")) || o.contains('*') {
            return Err(serde::de::Error::custom(format!(
                "allow_origins: `{o}` is not an origin such as \"https://app.example.com\""
            )));
        }
    }
    Ok(list)
}

/// The `[tags]` value that stands for the stack's environment name.
pub const ENVIRONMENT_TAG_VALUE: &str = "{environment}";

/// Characters AWS allows in tag keys and values: letters, digits, spaces and
/// `_ . : / = + - @`.
fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "_.:/=+-@".contains(c)
}

/// Why a `[tags]` entry is not a tag AWS accepts, if it is not: a key of 1 to
/// 128 characters not starting with the reserved `aws:`, a value of 0 to 256.
pub fn check_tag(key: &str, value: &str) -> Result<(), String> {
    let chars = key.chars().count();
    if !(1..=128).contains(&chars) {
        return Err(format!(
            "[tags] key `{key}` must be 1 to 128 characters long"
        ));
    }
    if let Some(c) = key.chars().find(|c| !tag_char(*c)) {
        return Err(format!(
            "[tags] key `{key}` has `{c}`; tag keys hold letters, digits, spaces and _ . : / = + - @"
        ));
    }
    if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(format!(
            "[tags] key `{key}`: the `aws:` prefix is reserved for AWS"
        ));
    }
    // `{environment}` may stand alone or inside text; the rest must be a tag
    // value (the environment names themselves are the project's to choose).
    let value = &value.replace(ENVIRONMENT_TAG_VALUE, "");
    if value.chars().count() > 256 {
        return Err(format!(
            "[tags] {key}: the value must be at most 256 characters long"
        ));
    }
    if let Some(c) = value.chars().find(|c| !tag_char(*c)) {
        return Err(format!(
            "[tags] {key}: the value has `{c}`; tag values hold letters, digits, spaces and _ . : / = + - @ (and `{ENVIRONMENT_TAG_VALUE}`)"
        ));
    }
    Ok(())
}

/// IAM least-privilege rewriting.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IamOptions {
    /// Expand `service:*` to every action of the service, not the
    /// conservative data-plane set.
    pub full_actions: bool,
}

/// The line length fixes keep to (`line_length`; 0 turns the splitting off).
/// 88 is what black and ruff format to by default.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct LineLength(pub usize);

impl Default for LineLength {
    fn default() -> Self {
        LineLength(88)
    }
}

/// Everything codemods read from the configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    pub environment: EnvironmentOptions,
    pub names: NamesMode,
    pub removal_policy: RemovalMode,
    /// Tags every stack gets; a value of `"{environment}"` means the
    /// environment name found in the stack.
    pub tags: BTreeMap<String, String>,
    pub throttling: ThrottlingOptions,
    pub rds: RdsOptions,
    pub iam: IamOptions,
    pub logs: LogsOptions,
    pub lambda: LambdaOptions,
    pub cors: CorsOptions,
    /// Lines a fix makes longer than this are split at their brackets.
    pub line_length: LineLength,
    /// Not configuration but a fact about the project, filled in by the
    /// command line: tag keys the app applies at app level (in app.py).
    pub project_tag_keys: BTreeSet<String>,
    /// The aws-cdk-lib version the project pins (None: not found; the
    /// version cdkfix is tested with is assumed).
    pub project_cdk: Option<crate::version::Version>,
    /// Also a project fact: the `context` of the app's `cdk.json` (the
    /// nearest one at or above the file), which the CDK CLI passes to every
    /// synth. `None` when no readable `cdk.json` was found.
    pub project_context: Option<BTreeMap<String, serde_json::Value>>,
    /// Also a project fact: the Lambda layers the app's files build, by the
    /// last part of the name each is assigned to, with what each declares
    /// (`compatible_runtimes` → runtimes). A name built twice keeps what
    /// both declare; a list one of them leaves out is not known.
    pub project_layers: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

/// The `context` object of a `cdk.json` text (empty when it has none);
/// `None` when the text is not a JSON object.
pub fn cdk_json_context(text: &str) -> Option<BTreeMap<String, serde_json::Value>> {
    let doc: serde_json::Value = serde_json::from_str(text).ok()?;
    let doc = doc.as_object()?;
    Some(match doc.get("context") {
        Some(serde_json::Value::Object(context)) => context.clone().into_iter().collect(),
        _ => BTreeMap::new(),
    })
}
