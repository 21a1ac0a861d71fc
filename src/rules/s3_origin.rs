//! The deprecated `origins.S3Origin(bucket, ...)` (origin access identity)
//! becomes `origins.S3BucketOrigin.with_origin_access_control(bucket, ...)`:
//! only the callee is replaced, the arguments stay as written (every
//! `S3Origin` keyword but `origin_access_identity` is accepted by the new
//! factory).

use super::{Codemod, FileCtx, Finding};
use crate::pyast::CallView;
use crate::source::Edit;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// `aws_cdk.aws_cloudfront_origins.S3Origin`
    constructs: Vec<String>,
    /// `aws_cdk.aws_cloudfront_origins.S3BucketOrigin`
    replacement: String,
    /// The factory method called on `replacement`.
    factory: String,
    /// Keyword arguments the factory does not take: their calls are reported.
    unsupported: Vec<String>,
    /// Keyword arguments that make a bucket a static website: `S3Origin`
    /// serves such a bucket through its website endpoint, which OAC cannot.
    website_kwargs: Vec<String>,
}

pub struct S3Origin {
    params: Params,
}

impl S3Origin {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("s3-origin", params)?;
        crate::catalogue::check_constructs(&params.constructs)?;
        crate::catalogue::check_constructs(std::slice::from_ref(&params.replacement))?;
        let idents = std::iter::once(&params.factory)
            .chain(&params.unsupported)
            .chain(&params.website_kwargs);
        if let Some(bad) = idents
            .into_iter()
            .find(|n| !crate::catalogue::is_identifier(n))
        {
            return Err(format!("s3-origin params: `{bad}` is not an identifier"));
        }
        Ok(S3Origin { params })
    }
}

impl Codemod for S3Origin {
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
        let finding = Finding::new(call);
        if let Some(k) = self.params.unsupported.iter().find(|k| call.has_kwarg(k)) {
            out.push(finding.note(format!(
                "not rewritten: `{k}=` has no equivalent with origin access control; drop it and move to `{}` by hand",
                self.params.factory
            )));
            return;
        }
        if call.has_splat {
            out.push(finding.note(format!(
                "not rewritten: a `**` argument may pass `{}`",
                self.params.unsupported.join("`, `")
            )));
            return;
        }
        // A bucket the file configures as a website is served through its
        // website endpoint (a custom origin), which OAC cannot sign for.
        let bucket = call.positional.first().or_else(|| call.kwarg("bucket"));
        let website = bucket
            .and_then(|b| ctx.vars.get(b.text().as_ref()))
            .and_then(|(_, ctor)| CallView::new(ctor.clone()))
            .and_then(|ctor| {
                self.params
                    .website_kwargs
                    .iter()
                    .find(|k| ctor.has_kwarg(k))
                    .cloned()
            });
        if let Some(k) = website {
            out.push(finding.note(format!(
                "not rewritten: the bucket sets `{k}=`, so `S3Origin` serves its website endpoint; use `S3StaticWebsiteOrigin` to keep that, or drop the website settings and use `{}`",
                self.params.factory
            )));
            return;
        }
        let Some(spelling) = ctx.spell(&self.params.replacement) else {
            out.push(finding.note("not rewritten: a name the fix needs clashes with a local name"));
            return;
        };
        let edit = Edit::replace(
            call.func.range(),
            format!("{}.{}", spelling.text, self.params.factory),
        );
        out.push(finding.fix(vec![edit], spelling.need.into_iter().collect()));
    }
}
