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
    pub variable: String,
    /// The CDK context key read when the variable has to be introduced.
    pub context_key: String,
    /// The value used when the context key is not set.
    pub default: String,
    /// Environment names that count as production.
    pub production: Vec<String>,
}

impl Default for EnvironmentOptions {
    fn default() -> Self {
        EnvironmentOptions {
            variable: "environment_suffix".into(),
            context_key: "environmentSuffix".into(),
            default: "dev".into(),
            production: vec!["prod".into(), "production".into()],
        }
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
    pub rate_limit: u32,
    /// Burst capacity in requests.
    pub burst_limit: u32,
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
    pub reserved_concurrency: Option<u32>,
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

/// IAM least-privilege rewriting.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IamOptions {
    /// Expand `service:*` to every action of the service, not the
    /// conservative data-plane set.
    pub full_actions: bool,
}

/// Everything codemods read from the configuration.
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
