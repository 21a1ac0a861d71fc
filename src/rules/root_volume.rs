//! EC2 instances (and launch templates) that take their volumes from the
//! AMI's block device mapping get an encrypted root volume when the image is
//! one whose root device is known (Amazon Linux 2 and 2023: `/dev/xvda`,
//! 8 GiB); any other image is reported, with the code to write by hand.

use super::{Codemod, FileCtx, Finding};
use crate::pyast::{CallView, Node, insert_item};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    constructs: Vec<String>,
    /// Machine-image factories whose root device is `device`, `size_gib`
    /// large, when called with no `edition` other than `standard_edition`.
    images: Vec<String>,
    standard_edition: String,
    /// Constructs whose default image (no `machine_image=`) is one of those.
    default_image: Vec<String>,
    device: String,
    size_gib: u32,
    /// Per construct, its `BlockDevice` and `BlockDeviceVolume` classes (an
    /// Auto Scaling group takes `aws_autoscaling`'s, not `aws_ec2`'s).
    block_device_classes: std::collections::BTreeMap<String, [String; 2]>,
}

pub struct RootVolume {
    params: Params,
}

impl RootVolume {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("root-volume", params)?;
        crate::catalogue::check_constructs(&params.constructs)?;
        crate::catalogue::check_constructs(&params.images)?;
        crate::catalogue::check_constructs(std::slice::from_ref(&params.standard_edition))?;
        for construct in &params.constructs {
            let classes = params.block_device_classes.get(construct).ok_or_else(|| {
                format!("root-volume params: no block_device_classes for `{construct}`")
            })?;
            crate::catalogue::check_constructs(classes)?;
        }
        if params.size_gib == 0 || !params.device.starts_with("/dev/") {
            return Err("root-volume params: a /dev/ device and a positive size".into());
        }
        Ok(RootVolume { params })
    }

    /// Whether the machine image `value` (a call in place, or a name the
    /// file last assigns one) is one of the known images.
    fn known_image<'r>(&self, value: &Node<'r>, ctx: &FileCtx<'_, 'r>) -> bool {
        let call = if value.kind() == "call" {
            Some(value.clone())
        } else {
            ctx.index()
                .assignments_to(&ctx.text[value.range()])
                .last()
                .and_then(|a| a.field("right"))
                .filter(|r| r.kind() == "call")
        };
        let Some(call) = call.and_then(CallView::new) else {
            return false;
        };
        let known = ctx
            .imports
            .resolve(&call.func)
            .is_some_and(|fqn| self.params.images.contains(&fqn));
        let standard = call.kwarg("edition").is_none_or(|e| {
            ctx.imports.resolve(e).as_deref() == Some(self.params.standard_edition.as_str())
        });
        known && standard && !call.has_splat
    }
}

impl Codemod for RootVolume {
    fn constructs(&self) -> Vec<String> {
        self.params.constructs.clone()
    }

    fn on_construct<'r>(
        &self,
        call: &CallView<'r>,
        fqn: &str,
        ctx: &FileCtx<'_, 'r>,
        out: &mut Vec<Finding>,
    ) {
        if call.has_kwarg("block_devices") {
            return;
        }
        let finding = Finding::new(call);
        let known = match call.kwarg("machine_image") {
            Some(image) => self.known_image(image, ctx),
            None => self.params.default_image.iter().any(|c| c == fqn),
        };
        if call.has_splat {
            out.push(
                finding.note("not rewritten: a `**` argument may already set `block_devices`"),
            );
            return;
        }
        if !known {
            out.push(finding.note(
                "the AMI's root device is not known here: pass `block_devices=[ec2.BlockDevice(device_name=<root device>, volume=ec2.BlockDeviceVolume.ebs(<size>, encrypted=True))]` (it replaces the instance)",
            ));
            return;
        }
        let mut needs = Vec::new();
        let [device, volume] = &self.params.block_device_classes[fqn];
        let names = [device.as_str(), volume.as_str()];
        let Some([device, volume]) = super::spell_all(ctx, names, &mut needs) else {
            out.push(finding.note("not rewritten: a name the fix needs clashes with a local name"));
            return;
        };
        let item = format!(
            "block_devices=[{device}(device_name={}, volume={volume}.ebs({}, encrypted=True))]",
            crate::pyast::py_str(&self.params.device),
            self.params.size_gib
        );
        let edits = insert_item(ctx.text, &call.list, &item, ctx.newline);
        out.push(finding.fix(edits, needs));
    }
}
