//! Whether a name surely holds a value where a fix writes code that reads
//! it. Code a fix writes runs where the fix puts it: a name assigned later,
//! in one branch of an `if`, inside a loop, in the very statement being
//! built, or by `__init__` after it calls the helper method the code is in,
//! is not bound there, and the fixed stack would fail to construct.

use super::FileCtx;
use crate::pyast::Node;

fn ancestor<'r>(node: &Node<'r>, kind: &str) -> Option<Node<'r>> {
    node.ancestors().find(|a| a.kind() == kind)
}

fn name_of<'r>(def: &Node<'r>) -> Option<Node<'r>> {
    def.field("name")
}

/// Whether `name` (`x`, `self.x`, `self.a.b`) surely holds a value when the
/// code at `at` runs. Parameters count as bound (whether one may be `None`
/// is [`may_be_none`]'s question).
pub fn bound_at(name: &str, at: &Node, ctx: &FileCtx) -> bool {
    let Some(func) = ancestor(at, "function_definition") else {
        return assigned_before(ctx.module, name, at);
    };
    if !name.contains('.') && parameter(&func, name).is_some() {
        return true;
    }
    let Some(body) = func.field("body") else {
        return false;
    };
    if blocks_up_to(at, &body)
        .iter()
        .any(|block| assigned_before(block, name, at))
    {
        return true;
    }
    if let Some(attr) = name.strip_prefix("self.") {
        return set_by_init_before(&func, attr, ctx);
    }
    // A module-level name (set when the module loaded, before any function
    // runs), unless the function assigns it too (which makes it a local
    // everywhere in the function).
    !name.contains('.')
        && !ctx
            .index()
            .assignments_to(name)
            .iter()
            .any(|a| within(a, &func))
        && ctx.module.children().any(|stmt| assigns(&stmt, name))
}

fn within(node: &Node, outer: &Node) -> bool {
    let (r, o) = (node.range(), outer.range());
    o.start <= r.start && r.end <= o.end
}

/// The blocks holding `at`, innermost first, up to and including `body`.
fn blocks_up_to<'r>(at: &Node<'r>, body: &Node<'r>) -> Vec<Node<'r>> {
    let mut out = Vec::new();
    for a in at.ancestors() {
        if a.kind() == "block" || a.kind() == "module" {
            out.push(a.clone());
        }
        if a.range() == body.range() {
            break;
        }
    }
    out
}

/// Whether a statement of `block` that ends before `at` surely assigns
/// `name`.
fn assigned_before(block: &Node, name: &str, at: &Node) -> bool {
    block
        .children()
        .take_while(|stmt| stmt.range().end <= at.range().start)
        .any(|stmt| assigns(&stmt, name))
}

/// Whether running `stmt` surely assigns `name`: an assignment to it, a
/// `with` whose body does, an `if` every branch of which (an `else`
/// included) does.
fn assigns(stmt: &Node, name: &str) -> bool {
    match stmt.kind().as_ref() {
        "expression_statement" => stmt
            .children()
            .any(|e| e.kind() == "assignment" && e.field("left").is_some_and(|l| l.text() == name)),
        "with_statement" => stmt.field("body").is_some_and(|b| block_assigns(&b, name)),
        "if_statement" => {
            let mut has_else = false;
            let branches_assign = stmt.children().all(|c| match c.kind().as_ref() {
                "block" => block_assigns(&c, name),
                "elif_clause" => c
                    .field("consequence")
                    .is_some_and(|b| block_assigns(&b, name)),
                "else_clause" => {
                    has_else = true;
                    c.field("body").is_some_and(|b| block_assigns(&b, name))
                }
                _ => true,
            });
            branches_assign && has_else
        }
        _ => false,
    }
}

fn block_assigns(block: &Node, name: &str) -> bool {
    block.children().any(|stmt| assigns(&stmt, name))
}

/// Whether `self.<attr>`, read in method `func`, is set by the class's
/// `__init__` before anything there calls `func`: `__init__` assigns it at
/// its top level (or on every branch), and calls `self.<func>(...)` only
/// after that, so the other method sees it.
fn set_by_init_before(func: &Node, attr: &str, ctx: &FileCtx) -> bool {
    let Some(class) = ancestor(func, "class_definition") else {
        return false;
    };
    let Some(method) = name_of(func).map(|n| n.text().to_string()) else {
        return false;
    };
    if method == "__init__" {
        return false;
    }
    let Some(init) = class.field("body").and_then(|b| {
        b.children().find(|d| {
            let def = if d.kind() == "decorated_definition" {
                d.field("definition")
            } else {
                Some(d.clone())
            };
            def.is_some_and(|d| {
                d.kind() == "function_definition"
                    && name_of(&d).is_some_and(|n| n.text() == "__init__")
            })
        })
    }) else {
        return false;
    };
    let Some(body) = init
        .field("body")
        .or_else(|| init.field("definition")?.field("body"))
    else {
        return false;
    };
    let target = format!("self.{attr}");
    let Some(set) = body.children().find(|stmt| assigns(stmt, &target)) else {
        return false;
    };
    let call = format!("self.{method}");
    // A call of the method (or a reference, say passed as a callback)
    // before the assignment runs it without the attribute.
    !ctx.index()
        .attributes_named(&method)
        .iter()
        .any(|a| a.text() == call && within(a, &body) && a.range().start < set.range().start)
}

/// Whether the code at `at` surely runs when the class it is in is
/// constructed: it is in `__init__`, or in a method `__init__` calls at its
/// top level, and not under a condition, a loop (but for one over a
/// non-empty list written in place), a `try` or a nested function.
pub fn surely_runs(at: &Node, ctx: &FileCtx) -> bool {
    let mut func = None;
    for a in at.ancestors() {
        match a.kind().as_ref() {
            "function_definition" => {
                func = Some(a);
                break;
            }
            "for_statement" => {
                let literal = a.field("right").is_some_and(|r| {
                    matches!(r.kind().as_ref(), "list" | "tuple")
                        && r.children().any(|c| c.is_named() && c.kind() != "comment")
                });
                if !literal {
                    return false;
                }
            }
            "if_statement"
            | "elif_clause"
            | "else_clause"
            | "while_statement"
            | "try_statement"
            | "except_clause"
            | "finally_clause"
            | "conditional_expression"
            | "boolean_operator"
            | "lambda"
            | "list_comprehension"
            | "generator_expression"
            | "dictionary_comprehension"
            | "set_comprehension" => return false,
            _ => {}
        }
    }
    let Some(func) = func else {
        return false;
    };
    let Some(name) = name_of(&func).map(|n| n.text().to_string()) else {
        return false;
    };
    if name == "__init__" {
        return true;
    }
    // A helper: called by `__init__` in one of its top-level statements.
    let Some(init) = ancestor(&func, "class_definition")
        .and_then(|c| c.field("body"))
        .and_then(|b| {
            b.children().find(|d| {
                d.kind() == "function_definition"
                    && name_of(d).is_some_and(|n| n.text() == "__init__")
            })
        })
        .and_then(|i| i.field("body"))
    else {
        return false;
    };
    let call = format!("self.{name}");
    ctx.index().attributes_named(&name).iter().any(|a| {
        a.text() == call
            && a.parent().is_some_and(|p| p.kind() == "call")
            && a.ancestors()
                .find(|s| s.kind() == "expression_statement")
                .and_then(|s| s.parent())
                .is_some_and(|b| b.range() == init.range())
    })
}

/// Parameter `name` of `func`: the parameter node (`x`, `x: T`, `x=None`).
fn parameter<'r>(func: &Node<'r>, name: &str) -> Option<Node<'r>> {
    let params = func.field("parameters")?;
    params.children().find(|p| {
        let id = if p.kind() == "identifier" {
            Some(p.clone())
        } else {
            p.child(0).filter(|c| c.kind() == "identifier")
        };
        id.is_some_and(|i| i.text() == name)
    })
}

/// Whether parameter `name` of the function `at` is in may be `None`: its
/// default is `None`, or its annotation says `Optional[...]` / `... | None`.
pub fn may_be_none(name: &str, at: &Node) -> bool {
    let Some(func) = ancestor(at, "function_definition") else {
        return false;
    };
    let Some(p) = parameter(&func, name) else {
        return false;
    };
    let default_none = p.field("value").is_some_and(|v| v.text() == "None");
    let optional = p.field("type").is_some_and(|t| {
        let t = t.text();
        t.contains("Optional[") || t.split('|').any(|part| part.trim() == "None")
    });
    default_none || optional
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pyast::parse;

    /// Whether `name` is bound at the string "HERE" in `src`.
    fn bound(src: &str, name: &str) -> bool {
        crate::rules::at_here(src, |at, ctx| bound_at(name, at, ctx))
    }

    const HEAD: &str = "class S(Stack):\n    def __init__(self, scope, cid, props=None):\n        super().__init__(scope, cid)\n";

    #[test]
    fn earlier_statements_and_every_branch_bind() {
        assert!(bound(
            &format!("{HEAD}        self.t = T()\n        f(\"HERE\")\n"),
            "self.t"
        ));
        assert!(bound(
            &format!(
                "{HEAD}        if a:\n            x = 1\n        elif b:\n            x = 2\n        else:\n            x = 3\n        f(\"HERE\")\n"
            ),
            "x"
        ));
        assert!(!bound(
            &format!(
                "{HEAD}        if a:\n            x = 1\n        elif b:\n            x = 2\n        f(\"HERE\")\n"
            ),
            "x"
        ));
        assert!(!bound(
            &format!("{HEAD}        for i in l:\n            x = i\n        f(\"HERE\")\n"),
            "x"
        ));
        assert!(!bound(
            &format!("{HEAD}        f(\"HERE\")\n        x = 1\n"),
            "x"
        ));
        assert!(bound(&format!("{HEAD}        f(\"HERE\")\n"), "props"));
    }

    #[test]
    fn the_statement_being_built_does_not_bind_its_own_name() {
        assert!(!bound(
            &format!("{HEAD}        self.key = Key(policy=[f(\"HERE\")])\n"),
            "self.key"
        ));
    }

    #[test]
    fn helpers_see_what_init_set_before_calling_them() {
        let before = "class S(Stack):\n    def __init__(self, s, c):\n        self.t = T()\n        self.grant()\n\n    def grant(self):\n        f(\"HERE\")\n";
        assert!(bound(before, "self.t"));
        let after = "class S(Stack):\n    def __init__(self, s, c):\n        self.grant()\n        self.t = T()\n\n    def grant(self):\n        f(\"HERE\")\n";
        assert!(!bound(after, "self.t"));
        let never = "class S(Stack):\n    def __init__(self, s, c):\n        self.grant()\n\n    def grant(self):\n        f(\"HERE\")\n";
        assert!(!bound(never, "self.t"));
    }

    /// Whether the string "HERE" in `src` surely runs.
    fn runs(src: &str) -> bool {
        crate::rules::at_here(src, surely_runs)
    }

    #[test]
    fn code_surely_runs_at_init_top_level_and_in_helpers_it_calls() {
        assert!(runs(&format!("{HEAD}        f(\"HERE\")\n")));
        assert!(runs(&format!(
            "{HEAD}        for x in [1, 2]:\n            f(\"HERE\")\n"
        )));
        assert!(!runs(&format!(
            "{HEAD}        for x in xs:\n            f(\"HERE\")\n"
        )));
        assert!(!runs(&format!(
            "{HEAD}        if a:\n            f(\"HERE\")\n"
        )));
        let helper = "class S(Stack):\n    def __init__(self, s, c):\n        self.build()\n\n    def build(self):\n        f(\"HERE\")\n";
        assert!(runs(helper));
        let maybe = "class S(Stack):\n    def __init__(self, s, c):\n        if c:\n            self.build()\n\n    def build(self):\n        f(\"HERE\")\n";
        assert!(!runs(maybe));
        assert!(!runs("def make(scope):\n    f(\"HERE\")\n"));
    }

    #[test]
    fn optional_parameters_may_be_none() {
        let root = parse(
            "def f(a, b=None, c: Optional[P] = P(), d: P | None, e: P = P()):\n    g(\"HERE\")\n",
        );
        let at = root.root().dfs().find(|n| n.text() == "\"HERE\"").unwrap();
        assert!(!may_be_none("a", &at));
        assert!(may_be_none("b", &at));
        assert!(may_be_none("c", &at));
        assert!(may_be_none("d", &at));
        assert!(!may_be_none("e", &at));
    }
}
