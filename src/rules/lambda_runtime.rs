//! A Lambda function's older runtime moves to the newest one it can run on:
//! the newest of the catalogue's list that every layer of the function
//! declares it is built for. A layer whose declaration the source does not
//! show, and inline Node.js code that loads the AWS SDK v2 (which Node.js 18
//! and later do not ship), are reported instead.

use super::{Codemod, FileCtx, Finding};
use crate::pyast::CallView;
use crate::source::Edit;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    constructs: Vec<String>,
    /// The runtimes of one language, oldest first; the last is the one the
    /// fix moves to, the others are the ones it moves from.
    runtimes: Vec<String>,
    /// Runtimes that ship the AWS SDK for JavaScript v2: code that loads it
    /// stays on them.
    #[serde(default)]
    sdk_v2_runtimes: Vec<String>,
}

pub struct LambdaRuntime {
    params: Params,
}

impl LambdaRuntime {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("lambda-runtime", params)?;
        crate::catalogue::check_constructs(&params.constructs)?;
        crate::catalogue::check_constructs(&params.runtimes)?;
        if !params.sdk_v2_runtimes.is_empty() {
            crate::catalogue::check_constructs(&params.sdk_v2_runtimes)?;
        }
        if params.runtimes.len() < 2 {
            return Err("lambda-runtime params: runtimes needs an old one and a new one".into());
        }
        if let Some(r) = params
            .sdk_v2_runtimes
            .iter()
            .find(|r| !params.runtimes.contains(r))
        {
            return Err(format!(
                "lambda-runtime params: sdk_v2_runtimes names `{r}`, not one of runtimes"
            ));
        }
        Ok(LambdaRuntime { params })
    }
}

/// The last part of a dotted name (`PYTHON_3_14`), as a runtime's short name.
fn member(fqn: &str) -> &str {
    fqn.rsplit('.').next().unwrap_or(fqn)
}

/// Whether inline code text loads the AWS SDK for JavaScript v2 (`aws-sdk`,
/// not v3's `@aws-sdk/...`).
fn loads_sdk_v2(code: &str) -> bool {
    code.match_indices("aws-sdk").any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + "aws-sdk".len()..].chars().next();
        matches!(before, Some('\'' | '"' | '`')) && matches!(after, Some('\'' | '"' | '`' | '/'))
    })
}

impl Codemod for LambdaRuntime {
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
        let Some(value) = call.kwarg("runtime") else {
            return;
        };
        let Some(current) = ctx.imports.resolve(value) else {
            return;
        };
        let runtimes = &self.params.runtimes;
        let Some(at) = runtimes[..runtimes.len() - 1]
            .iter()
            .position(|r| *r == current)
        else {
            return;
        };
        let finding = Finding::new(call);
        let mut allowed: Vec<&String> = runtimes[at + 1..].iter().collect();
        if self.params.sdk_v2_runtimes.contains(&current)
            && let Some(code) = call.kwarg("code")
            && loads_sdk_v2(&code.text())
        {
            out.push(finding.note(
                "not rewritten: its inline code loads the AWS SDK for JavaScript v2 (`aws-sdk`), which Node.js 18 and later do not ship; move it to the SDK v3 (`@aws-sdk/...`) first",
            ));
            return;
        }
        let layers = match super::layers::of_function(call, ctx) {
            Ok(layers) => layers,
            Err(why) => {
                out.push(finding.note(format!("not rewritten: {why}")));
                return;
            }
        };
        for layer in &layers {
            let Some(declared) = super::layers::declared(layer, "compatible_runtimes", ctx) else {
                out.push(finding.note(format!(
                    "not rewritten: the runtimes layer {} is built for are not known here (a layer imported by ARN, built in another app, or without `compatible_runtimes`); its code may not run on a newer runtime",
                    super::layers::label(layer)
                )));
                return;
            };
            allowed.retain(|r| declared.contains(r));
            if allowed.is_empty() {
                let listed: Vec<&str> = declared.iter().map(|d| member(d)).collect();
                out.push(finding.note(format!(
                    "not rewritten: layer {} is built for {} only; rebuild it for a newer runtime first",
                    super::layers::label(layer),
                    listed.join(", ")
                )));
                return;
            }
        }
        let Some(target) = allowed.last() else {
            return;
        };
        // The runtimes are members of one class: only the member changes, so
        // the file's spelling stays.
        match value.field("attribute") {
            Some(name) if value.kind() == "attribute" => {
                let note = (*target != runtimes.last().unwrap())
                    .then(|| format!("to {}: the newest its layers allow", member(target)));
                let mut finding =
                    finding.fix(vec![Edit::replace(name.range(), member(target))], vec![]);
                finding.note = note;
                out.push(finding);
            }
            _ => match ctx.spell(target) {
                Some(spelling) => out.push(finding.fix(
                    vec![Edit::replace(value.range(), spelling.text)],
                    spelling.need.into_iter().collect(),
                )),
                None => out.push(
                    finding.note("not rewritten: the new value's name clashes with a local name"),
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sdk_v2_is_told_from_v3() {
        assert!(super::loads_sdk_v2("const AWS = require('aws-sdk');"));
        assert!(super::loads_sdk_v2("import S3 from \"aws-sdk/clients/s3\""));
        assert!(!super::loads_sdk_v2("require('@aws-sdk/client-s3')"));
        assert!(!super::loads_sdk_v2("// uses aws-sdk-mock"));
    }
}
