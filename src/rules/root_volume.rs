//! EC2 instances (and launch templates) that take their volumes from the
//! AMI's block device mapping get an encrypted root volume when the image is
//! one whose root device and size are known (the catalogue's table: Amazon
//! Linux and the ECS-optimized images); any other image is reported, with
//! the code to write by hand.

use super::{Codemod, FileCtx, Finding};
use crate::pyast::{CallView, Node, insert_item};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    constructs: Vec<String>,
    /// Machine-image factories whose root device is `device`.
    images: Vec<Image>,
    /// Constructs whose default image (no `machine_image=`) is the first of
    /// `images`.
    default_image: Vec<String>,
    device: String,
    /// Per construct, its `BlockDevice` and `BlockDeviceVolume` classes (an
    /// Auto Scaling group takes `aws_autoscaling`'s, not `aws_ec2`'s).
    block_device_classes: std::collections::BTreeMap<String, [String; 2]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Image {
    factory: String,
    /// The root volume's size in the image's snapshot: a smaller volume fails
    /// at launch, so this must be the image's own size.
    size_gib: u32,
    /// Keywords that change which image is chosen, with the values under
    /// which the root device and size still hold; an absent keyword takes
    /// its default, which the table only lists when it is one of these.
    #[serde(default)]
    only: std::collections::BTreeMap<String, Vec<String>>,
}

pub struct RootVolume {
    params: Params,
}

impl RootVolume {
    pub fn new(params: &toml::Table) -> Result<Self, String> {
        let params: Params = super::params("root-volume", params)?;
        crate::catalogue::check_constructs(&params.constructs)?;
        for image in &params.images {
            crate::catalogue::check_constructs(std::slice::from_ref(&image.factory))?;
            for values in image.only.values() {
                crate::catalogue::check_constructs(values)?;
            }
            if image.size_gib == 0 {
                return Err("root-volume params: an image without a positive size".into());
            }
        }
        for construct in &params.constructs {
            let classes = params.block_device_classes.get(construct).ok_or_else(|| {
                format!("root-volume params: no block_device_classes for `{construct}`")
            })?;
            crate::catalogue::check_constructs(classes)?;
        }
        if params.images.is_empty() || !params.device.starts_with("/dev/") {
            return Err("root-volume params: a /dev/ device and at least one image".into());
        }
        Ok(RootVolume { params })
    }

    /// The known image the machine image `value` is (a call in place, or a
    /// name the file last assigns one), if it is one.
    fn known_image<'r>(&self, value: &Node<'r>, ctx: &FileCtx<'_, 'r>) -> Option<&Image> {
        let call = if value.kind() == "call" {
            Some(value.clone())
        } else {
            ctx.index()
                .assignments_to(&ctx.text[value.range()])
                .last()
                .and_then(|a| a.field("right"))
                .filter(|r| r.kind() == "call")
        };
        let call = call.and_then(CallView::new)?;
        // A positional argument (`amazon_linux2(AmiHardwareType.GPU)`) may
        // choose another image; so may anything behind a splat.
        if call.has_splat || !call.positional.is_empty() {
            return None;
        }
        let fqn = ctx.imports.resolve(&call.func)?;
        let image = self.params.images.iter().find(|i| i.factory == fqn)?;
        let holds = image.only.iter().all(|(kwarg, values)| {
            call.kwarg(kwarg).is_none_or(|v| {
                ctx.imports
                    .resolve(v)
                    .is_some_and(|value| values.contains(&value))
            })
        });
        holds.then_some(image)
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
        // An Auto Scaling group launched from a template takes its volumes
        // from that template (reported on its own), and CDK rejects
        // `block_devices` beside one.
        let elsewhere = ["block_devices", "launch_template", "mixed_instances_policy"];
        if elsewhere.iter().any(|k| call.has_kwarg(k)) {
            return;
        }
        let finding = Finding::new(call);
        let known = match call.kwarg("machine_image") {
            Some(image) => self.known_image(image, ctx),
            None if self.params.default_image.iter().any(|c| c == fqn) => {
                self.params.images.first()
            }
            None => None,
        };
        if call.has_splat {
            out.push(
                finding.note("not rewritten: a `**` argument may already set `block_devices`"),
            );
            return;
        }
        let Some(image) = known else {
            out.push(finding.note(
                "the AMI's root device is not known here: pass `block_devices=[ec2.BlockDevice(device_name=<root device>, volume=ec2.BlockDeviceVolume.ebs(<size>, encrypted=True))]` (it replaces the instance)",
            ));
            return;
        };
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
            image.size_gib
        );
        let edits = insert_item(ctx.text, &call.list, &item, ctx.newline);
        out.push(finding.fix(edits, needs));
    }
}
