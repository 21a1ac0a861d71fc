//! Finding the environment name a construct call can use (for physical-name
//! suffixes, tags, environment-aware removal policies), or introducing it.

use super::FileCtx;
use super::binding::{bound_at, may_be_none};
use crate::options::EnvironmentOptions;
use crate::pyast::{Node, TsNode, py_str};
use crate::source::{Edit, indent_of_line, line_end, starts_line};

/// How code at a given place refers to the environment name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvValue {
    /// The expression: `environment_suffix`, `self.environment_suffix`,
    /// `props.env_suffix`, ...
    pub expr: String,
    /// The statement that introduces the variable, when none exists yet.
    pub introduce: Option<Edit>,
}

fn ancestor<'r>(node: &Node<'r>, kind: u16) -> Option<Node<'r>> {
    node.ancestors().find(|a| a.kind_id() == kind)
}

/// Whether `name` is a parameter of `func`.
fn has_parameter(func: &Node, name: &str) -> bool {
    let ids = crate::pyast::ids();
    let Some(params) = func.child_by_field_id(ids.parameters) else {
        return false;
    };
    // The list is taken apart only when its text holds the name at all:
    // this runs for every name a fix looks up.
    let text = func.root().get_text();
    if !text[params.range()].contains(name) {
        return false;
    }
    let inner = params.get_inner_node();
    let mut cursor = inner.walk();
    inner
        .named_children(&mut cursor)
        .any(|p| parameter_name(&p).is_some_and(|n| text[n.byte_range()] == *name))
}

/// The name of one parameter: `x`, `x: int`, `x=1`, `x: int = 1` (the name
/// comes first); `None` for `*args`, `**kwargs` and separators.
fn parameter_name<'t>(p: &TsNode<'t>) -> Option<TsNode<'t>> {
    let ids = crate::pyast::ids();
    match p.kind_id() {
        k if k == ids.identifier => Some(*p),
        _ => p.child(0).filter(|c| c.kind_id() == ids.identifier),
    }
}

/// The first parameter's name (`self` in a method).
fn first_parameter<'r>(func: &Node<'r>) -> Option<&'r str> {
    let params = func.child_by_field_id(crate::pyast::ids().parameters)?;
    let first = params.get_inner_node().named_child(0)?;
    parameter_name(&first).map(|n| &func.root().get_text()[n.byte_range()])
}

/// The environment name usable at `at` (a node inside a method), in the
/// order: a parameter or earlier local named like the configured variable;
/// `self.<variable>` assigned in the class; `<param>.<variable>`-style props
/// attributes the method already reads; the same for each of the configured
/// aliases (`env_name`, `env_suffix`, ...). Otherwise, in a constructor that
/// calls `super().__init__(...)` before `at`, the variable is introduced right
/// after that call, read from CDK context with the configured default.
pub fn find(at: &Node, ctx: &FileCtx) -> Option<EnvValue> {
    let func = ancestor(at, crate::pyast::ids().function_definition)?;
    find_in(&func, at, ctx)
}

/// [`find`], where the caller knows `func`, the function `at` is in.
pub fn find_in(func: &Node, at: &Node, ctx: &FileCtx) -> Option<EnvValue> {
    let options = &ctx.options.environment;
    let names = std::iter::once(&options.variable).chain(&options.aliases);
    // The configured name first, then the other names code gives it.
    for name in names {
        // Every way of binding a name spells it: one absent from the file
        // (most aliases, in most files) is not looked for in the tree.
        if memchr::memmem::find(ctx.text.as_bytes(), name.as_bytes()).is_none() {
            continue;
        }
        if let Some(found) = lookup(func, name, at, ctx) {
            return Some(found);
        }
    }
    introduce(func, first_parameter(func), at, ctx)
}

/// The environment name as `var`, in `func` at `at`: a parameter, an earlier
/// local or module variable, `self.<var>`, or `<param>.<var>`.
fn lookup(func: &Node, var: &str, at: &Node, ctx: &FileCtx) -> Option<EnvValue> {
    let ids = crate::pyast::ids();
    let func = func.clone();
    let found = |expr: String| {
        Some(EnvValue {
            expr,
            introduce: None,
        })
    };
    if has_parameter(&func, var) {
        // `env: str = None` may hold nothing: read it only where tested.
        return if may_be_none(var, at) {
            None
        } else {
            found(var.to_string())
        };
    }
    let body = func.child_by_field_id(ids.body)?;
    let index = ctx.index();
    let within = |node: &Node, outer: &Node| {
        let (r, o) = (node.range(), outer.range());
        o.start <= r.start && r.end <= o.end
    };
    if bound_at(var, at, ctx) {
        return found(var.to_string());
    }
    let self_attr = format!("self.{var}");
    if ancestor(&func, ids.class_definition).is_some() && bound_at(&self_attr, at, ctx) {
        return found(self_attr);
    }
    for node in index.attributes_named(var) {
        if !within(node, &body) {
            continue;
        }
        // A parameter that may be `None` (`props: Props = None`) cannot be
        // read from where it is not tested.
        let is_param = node.child_by_field_id(ids.object).is_some_and(|object| {
            let name = &ctx.text[object.range()];
            object.kind() == "identifier"
                && object.text() != "self"
                && has_parameter(&func, name)
                && !may_be_none(name, at)
        });
        if is_param {
            return found(node.text().to_string());
        }
    }
    None
}

/// `var = self.node.try_get_context("key") or "default"` after the
/// constructor's `super().__init__(...)`.
fn introduce(func: &Node, first_param: Option<&str>, at: &Node, ctx: &FileCtx) -> Option<EnvValue> {
    let ids = crate::pyast::ids();
    if func.child_by_field_id(ids.name)?.text() != "__init__" || first_param != Some("self") {
        return None;
    }
    let body = func.child_by_field_id(ids.body)?;
    let super_call = body.children().find(|stmt| {
        stmt.kind() == "expression_statement"
            && stmt.text().trim_start().starts_with("super(")
            && stmt.text().contains("__init__")
    })?;
    // On the `def` line (`def __init__(...): super().__init__(...)`) there is
    // no indented block to add a line to.
    if super_call.range().start > at.range().start
        || !starts_line(ctx.text, super_call.range().start)
    {
        return None;
    }
    let options = &ctx.options.environment;
    let indent = indent_of_line(ctx.text, super_call.range().start);
    let mut statement = format!(
        "{var} = self.node.try_get_context({key}) or {default}",
        var = options.variable,
        key = py_str(&options.context_key),
        default = py_str(&options.default),
    );
    // A parameter of that name that may be `None` keeps its value when given.
    let nl = ctx.newline;
    if has_parameter(func, &options.variable) {
        let step = crate::layout::indent_unit(ctx.text, ctx.module);
        statement = format!(
            "if {var} is None:{nl}{indent}{step}{statement}",
            var = options.variable
        );
    }
    let statement = format!("{nl}{indent}{statement}");
    Some(EnvValue {
        expr: options.variable.clone(),
        introduce: Some(Edit::insert(
            line_end(ctx.text, super_call.range().end),
            statement,
        )),
    })
}

/// `<env> in ("prod", "production")`: true in production environments.
pub fn production_test(env: &str, options: &EnvironmentOptions) -> String {
    let names: Vec<String> = options.production.iter().map(|p| py_str(p)).collect();
    if names.len() == 1 {
        format!("{env} == {}", names[0])
    } else {
        format!("{env} in ({})", names.join(", "))
    }
}

/// The negation of [`production_test`]: true outside production.
pub fn non_production_test(env: &str, options: &EnvironmentOptions) -> String {
    production_test(env, options)
        .replacen(" == ", " != ", 1)
        .replacen(" in (", " not in (", 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::apply_edits;

    /// The environment value at the first string "HERE" in `src`.
    fn env_at(src: &str) -> (Option<String>, String) {
        crate::rules::at_here(src, |at, ctx| match find(at, ctx) {
            None => (None, src.to_string()),
            Some(v) => {
                let edits: Vec<Edit> = v.introduce.into_iter().collect();
                (Some(v.expr), apply_edits(src, &edits))
            }
        })
    }

    const HEAD: &str = "class S(Stack):\n    def __init__(self, scope, cid, **kwargs):\n        super().__init__(scope, cid, **kwargs)\n";

    #[test]
    fn finds_parameter_local_self_and_props() {
        let p = "class S(Stack):\n    def __init__(self, scope, cid, environment_suffix: str, **kw):\n        super().__init__(scope, cid)\n        f(\"HERE\")\n";
        assert_eq!(env_at(p).0.as_deref(), Some("environment_suffix"));
        let local = format!("{HEAD}        environment_suffix = 'x'\n        f(\"HERE\")\n");
        assert_eq!(env_at(&local).0.as_deref(), Some("environment_suffix"));
        let own = format!("{HEAD}        self.environment_suffix = 'x'\n        f(\"HERE\")\n");
        assert_eq!(env_at(&own).0.as_deref(), Some("self.environment_suffix"));
        let props = "class S(Stack):\n    def __init__(self, scope, cid, props):\n        super().__init__(scope, cid)\n        tier = props.env_suffix\n        f(\"HERE\")\n";
        assert_eq!(env_at(props).0.as_deref(), Some("props.env_suffix"));
        let module = format!("environment_suffix = os.environ['ENV']\n{HEAD}        f(\"HERE\")\n");
        assert_eq!(env_at(&module).0.as_deref(), Some("environment_suffix"));
        let other_method = "class S(Stack):\n    def __init__(self, scope, cid):\n        super().__init__(scope, cid)\n        self.environment_suffix = 'x'\n        self.build()\n\n    def build(self):\n        f(\"HERE\")\n";
        assert_eq!(
            env_at(other_method).0.as_deref(),
            Some("self.environment_suffix")
        );
    }

    #[test]
    fn assignments_that_may_not_have_run_do_not_count() {
        // Set after the use: a new variable is introduced instead.
        let later = format!("{HEAD}        f(\"HERE\")\n        self.environment_suffix = 'qa'\n");
        let (expr, out) = env_at(&later);
        assert_eq!(expr.as_deref(), Some("environment_suffix"));
        assert!(out.contains("try_get_context"), "{out}");
        // Only in one branch.
        let branch = format!(
            "{HEAD}        if x:\n            environment_suffix = 'a'\n        f(\"HERE\")\n"
        );
        let (_, out) = env_at(&branch);
        assert!(out.contains("try_get_context"), "{out}");
        // A module-level name the function also assigns is a local there.
        let shadowed = format!(
            "environment_suffix = 'm'\n{HEAD}        f(\"HERE\")\n        environment_suffix = 'l'\n"
        );
        let (_, out) = env_at(&shadowed);
        assert!(out.contains("try_get_context"), "{out}");
    }

    #[test]
    fn introduces_after_super_init() {
        let src = format!("{HEAD}        f(\"HERE\")\n");
        let (expr, out) = env_at(&src);
        assert_eq!(expr.as_deref(), Some("environment_suffix"));
        assert!(out.contains("super().__init__(scope, cid, **kwargs)\n        environment_suffix = self.node.try_get_context(\"environmentSuffix\") or \"dev\"\n        f(\"HERE\")"), "{out}");
    }

    #[test]
    fn nothing_outside_a_constructor() {
        assert_eq!(env_at("f(\"HERE\")\n").0, None);
        let later = "class S(Stack):\n    def __init__(self, scope, cid):\n        f(\"HERE\")\n        super().__init__(scope, cid)\n";
        assert_eq!(env_at(later).0, None);
    }

    #[test]
    fn production_tests() {
        let o = EnvironmentOptions::default();
        assert_eq!(
            production_test("env", &o),
            "env in (\"prod\", \"production\")"
        );
    }
}
