//! Report-only: literal e-mail addresses and secret-looking values in a
//! function's `environment={...}` dict. Nothing is rewritten: where the value
//! should come from (Secrets Manager, Parameter Store, configuration) is the
//! owner's decision.

use super::{Codemod, FileCtx, Finding};
use crate::pyast::{CallView, string_literal_value};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    constructs: Vec<String>,
    /// A key containing one of these words (case-insensitive) names a secret.
    secret_key_words: Vec<String>,
    /// ...unless it ends with one of these: it then names where a secret is
    /// (`DB_SECRET_ARN`), not the secret.
    reference_key_suffixes: Vec<String>,
}

pub struct EnvironmentLiterals {
    params: Params,
}

impl EnvironmentLiterals {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("environment-literals", params)?;
        crate::catalogue::check_constructs(&params.constructs)?;
        if params.secret_key_words.is_empty() {
            return Err("environment-literals params: secret_key_words is empty".into());
        }
        Ok(EnvironmentLiterals { params })
    }

    fn is_secret_key(&self, key: &str) -> bool {
        let key = key.to_ascii_uppercase();
        self.params
            .secret_key_words
            .iter()
            .any(|w| key.contains(&w.to_ascii_uppercase()))
            && !self
                .params
                .reference_key_suffixes
                .iter()
                .any(|s| key.ends_with(&s.to_ascii_uppercase()))
    }
}

/// `local@domain.tld` with no spaces: an e-mail address.
fn is_email(value: &str) -> bool {
    let value = value.trim();
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !value.contains(char::is_whitespace)
        && !domain.contains('@')
        && domain
            .split_once('.')
            .is_some_and(|(host, tld)| !host.is_empty() && tld.len() >= 2)
}

/// An AWS access key id (`AKIA` / `ASIA` and 16 more upper-case letters or digits).
fn is_access_key_id(value: &str) -> bool {
    value.len() == 20
        && (value.starts_with("AKIA") || value.starts_with("ASIA"))
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

impl Codemod for EnvironmentLiterals {
    fn constructs(&self) -> Vec<String> {
        self.params.constructs.clone()
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        _fqn: &str,
        _ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        let Some(env) = call
            .kwarg("environment")
            .filter(|e| e.kind() == "dictionary")
        else {
            return;
        };
        let mut found = Vec::new();
        for pair in env.children().filter(|c| c.kind() == "pair") {
            let (Some(key), Some(value)) = (pair.field("key"), pair.field("value")) else {
                continue;
            };
            let (Some(key), Some(value)) =
                (string_literal_value(&key), string_literal_value(&value))
            else {
                continue;
            };
            if is_email(&value) {
                found.push(format!("`{key}` holds an e-mail address"));
            } else if is_access_key_id(&value) {
                found.push(format!("`{key}` holds an AWS access key id"));
            } else if !value.trim().is_empty() && self.is_secret_key(&key) {
                found.push(format!("`{key}` looks like a secret written in the code"));
            }
        }
        if found.is_empty() {
            return;
        }
        out.push(Finding::new(call).note(format!(
            "{}: environment values are stored in plain text in the template and shown in the console; read secrets from Secrets Manager or Parameter Store at run time (pass the secret's ARN or name and grant read), and addresses from configuration (context, a parameter)",
            found.join("; ")
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_keys() {
        assert!(is_email("ops@example.com"));
        assert!(is_email(" billing.alerts+prod@corp.example.co.uk"));
        assert!(!is_email("@example.com"));
        assert!(!is_email("user@localhost"));
        assert!(!is_email("see user@example.com for help"));
        assert!(is_access_key_id("AKIAIOSFODNN7EXAMPLE"));
        assert!(!is_access_key_id("AKIAIOSFODNN7EXAMPL"));
    }
}
