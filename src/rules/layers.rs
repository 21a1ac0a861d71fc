//! The Lambda layers a function uses, and what each declares it is built for
//! (`compatible_runtimes`, `compatible_architectures`): a runtime or
//! architecture a fix moves the function to must be one every layer allows,
//! or the function breaks (CDK rejects an incompatible runtime at synth; an
//! x86 layer's binaries fail on arm64 at run time).

use super::FileCtx;
use crate::pyast::{CallView, Node};

/// Constructs that build a layer whose declarations the source shows.
const LAYER_CONSTRUCTS: &[&str] = &[
    "aws_cdk.aws_lambda.LayerVersion",
    "aws_cdk.aws_lambda_python_alpha.PythonLayerVersion",
];

/// The layers a function call uses: the items of its `layers=[...]` and the
/// arguments of `fn.add_layers(...)` on the name it is assigned to. `Err`
/// with a note when the list is not written out (a variable, a `*` splat).
pub fn of_function<'r>(
    call: &CallView<'r>,
    ctx: &FileCtx<'_, 'r>,
) -> Result<Vec<Node<'r>>, String> {
    let mut layers = Vec::new();
    if let Some(value) = call.kwarg("layers") {
        if !matches!(value.kind().as_ref(), "list" | "tuple") {
            return Err(format!(
                "its layers (`layers={}`) are not written out here, so their compatible runtimes and architectures are not known",
                value.text()
            ));
        }
        layers.extend(
            value
                .children()
                .filter(|c| c.is_named() && c.kind() != "comment"),
        );
    }
    if call.has_splat {
        return Err("a `**` argument may pass layers".into());
    }
    if let Some(name) = super::assigned_name(call) {
        let receiver = &ctx.text[name.range()];
        let ids = crate::pyast::ids();
        for m in ctx.index().method_calls("add_layers") {
            let on_it = m
                .child_by_field_id(ids.function)
                .and_then(|f| f.child_by_field_id(ids.object))
                .is_some_and(|o| o.text() == receiver);
            if !on_it {
                continue;
            }
            let Some(args) = m.child_by_field_id(ids.arguments) else {
                continue;
            };
            layers.extend(
                args.children()
                    .filter(|c| c.is_named() && c.kind() != "comment"),
            );
        }
    }
    if let Some(splat) = layers.iter().find(|l| l.kind() == "list_splat") {
        return Err(format!(
            "its layers (`{}`) are not written out here, so their compatible runtimes and architectures are not known",
            splat.text()
        ));
    }
    Ok(layers)
}

/// How a note names a layer: its name, or the call that makes it in place.
pub fn label(layer: &Node) -> String {
    let ids = crate::pyast::ids();
    match layer.child_by_field_id(ids.function) {
        Some(f) if layer.kind_id() == ids.call => format!("`{}(...)`", f.text()),
        _ => format!("`{}`", layer.text()),
    }
}

/// What `layer` declares in `list_kwarg` (`compatible_runtimes`), as
/// canonical names; `None` when the source does not say: a layer imported
/// by ARN, one built elsewhere, or one that leaves the list out.
pub fn declared<'r>(
    layer: &Node<'r>,
    list_kwarg: &str,
    ctx: &FileCtx<'_, 'r>,
) -> Option<Vec<String>> {
    let ids = crate::pyast::ids();
    let ctor = if layer.kind_id() == ids.call {
        Some(layer.clone())
    } else if layer.kind_id() == ids.identifier || layer.kind_id() == ids.attribute {
        let assignments = ctx.index().assignments_to(&ctx.text[layer.range()]);
        match assignments.last() {
            Some(a) => a
                .child_by_field_id(ids.right)
                .filter(|r| r.kind_id() == ids.call),
            None => {
                // Built in another file of the app: known by its name there.
                let name = ctx.text[layer.range()].rsplit('.').next()?;
                return ctx
                    .options
                    .project_layers
                    .get(name)?
                    .get(list_kwarg)
                    .cloned();
            }
        }
    } else {
        None
    }?;
    declared_by_call(&ctor, list_kwarg, |n| ctx.imports.resolve(n))
}

/// What a layer constructor call declares in `list_kwarg`.
fn declared_by_call(
    ctor: &Node,
    list_kwarg: &str,
    resolve: impl Fn(&Node) -> Option<String>,
) -> Option<Vec<String>> {
    let call = CallView::new(ctor.clone())?;
    let fqn = resolve(&call.func)?;
    if !LAYER_CONSTRUCTS.contains(&fqn.as_str()) {
        return None;
    }
    let list = call.kwarg(list_kwarg)?;
    if !matches!(list.kind().as_ref(), "list" | "tuple") {
        return None;
    }
    list.children()
        .filter(|c| c.is_named() && c.kind() != "comment")
        .map(|item| resolve(&item))
        .collect()
}

/// What one layer build declares: (list keyword, the names it lists).
pub type Declared = Vec<(String, Vec<String>)>;

/// The layers a file builds, by the last part of the name each is assigned
/// to (`self.shared_layer` → `shared_layer`), with what each declares of
/// `list_kwargs`: read by the command line from every file of an app, so a
/// function in one file sees the layers another builds.
pub fn defined_in(text: &str, list_kwargs: &[&str]) -> Vec<(String, Declared)> {
    let root = crate::pyast::parse(text);
    if crate::pyast::has_syntax_error(&root) {
        return Vec::new();
    }
    let imports = crate::imports::Imports::collect(&root);
    let ids = crate::pyast::ids();
    let mut out = Vec::new();
    crate::pyast::walk(&root.root(), |node, kind| {
        if kind == ids.assignment
            && let (Some(left), Some(right)) = (
                node.child_by_field_id(ids.left),
                node.child_by_field_id(ids.right),
            )
            && right.kind_id() == ids.call
            && right
                .child_by_field_id(ids.function)
                .and_then(|f| imports.resolve(&f))
                .is_some_and(|fqn| LAYER_CONSTRUCTS.contains(&fqn.as_str()))
            && let Some(name) = left.text().rsplit('.').next().map(str::to_string)
        {
            let lists = list_kwargs
                .iter()
                .filter_map(|k| {
                    let values = declared_by_call(&right, k, |n| imports.resolve(n))?;
                    Some((k.to_string(), values))
                })
                .collect();
            out.push((name, lists));
        }
        true
    });
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn layers_built_in_a_file_are_found_by_name() {
        let src = "from aws_cdk import aws_lambda as lambda_\n\
                   self.shared_layer = lambda_.LayerVersion(self, \"L\", code=c, compatible_runtimes=[lambda_.Runtime.PYTHON_3_11, lambda_.Runtime.PYTHON_3_12])\n\
                   other = lambda_.LayerVersion.from_layer_version_arn(self, \"O\", arn)\n";
        let found = super::defined_in(src, &["compatible_runtimes", "compatible_architectures"]);
        assert_eq!(found.len(), 1);
        let (name, lists) = &found[0];
        assert_eq!(name, "shared_layer");
        assert_eq!(
            lists,
            &vec![(
                "compatible_runtimes".to_string(),
                vec![
                    "aws_cdk.aws_lambda.Runtime.PYTHON_3_11".to_string(),
                    "aws_cdk.aws_lambda.Runtime.PYTHON_3_12".to_string()
                ]
            )]
        );
    }
}
