//! The per-file pipeline: parse once, resolve imports, one walk that hands each
//! construct and method call to the codemods interested in it, apply the
//! non-overlapping fixes, re-parse, repeat until nothing changes.

use crate::catalogue::{Catalogue, Safety};
use crate::imports::Imports;
use crate::options::Options;
use crate::pyast::{CallView, Node, Root, first_error_line, has_syntax_error, parse, reparse};
use crate::rules::{FileCtx, FileIndex, Finding, Registry};
use crate::source::{Edit, Lines, SourceText};
use crate::version::{ASSUMED_CDK, CDK_V1};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Fixes can enable other fixes (an import, a second argument in the same
/// call); anything still changing after this many passes is a bug.
const MAX_PASSES: usize = 8;

/// Which codemods run, and whether unsafe fixes are applied.
#[derive(Debug, Clone)]
pub struct Settings {
    pub enabled: Vec<bool>,
    pub unsafe_fixes: bool,
    pub options: Arc<Options>,
}

impl Settings {
    pub fn all(catalogue: &Catalogue) -> Self {
        Settings {
            enabled: vec![true; catalogue.entries.len()],
            unsafe_fixes: false,
            options: Arc::new(Options::default()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixability {
    None,
    Safe,
    /// A fix exists but needs `--unsafe-fixes`.
    Unsafe,
}

/// A finding as shown to the user.
#[derive(Debug, Clone)]
pub struct Reported {
    pub codemod: usize,
    pub line: usize,
    pub col: usize,
    pub note: Option<String>,
    pub fixability: Fixability,
    pub construct_id: Option<String>,
}

/// A fix that was applied.
#[derive(Debug, Clone)]
pub struct Applied {
    pub codemod: usize,
    /// The line of the input it applies at (for a fix inside code another
    /// fix wrote, the line that code is written at).
    pub line: usize,
    pub construct_id: Option<String>,
}

#[derive(Debug)]
pub struct Outcome {
    /// Findings on the input as given.
    pub findings: Vec<Reported>,
    /// Findings left after the fixes (only when fixing).
    pub remaining: Vec<Reported>,
    pub applied: Vec<Applied>,
    /// The new text, when it differs from the input.
    pub fixed: Option<String>,
    /// How many times the text was parsed and analysed.
    pub passes: usize,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum FileError {
    #[error("cannot read: {0}")]
    Read(String),
    #[error("cannot write: {0}; file left unchanged")]
    Write(String),
    /// `--write` refuses a file with uncommitted changes in git.
    #[error("has uncommitted changes; commit or stash them, or pass --allow-dirty")]
    Dirty,
    #[error("not valid UTF-8 ({0}); skipped")]
    NotUtf8(std::str::Utf8Error),
    #[error("syntax error at line {0}; skipped (cdkfix only rewrites files that parse)")]
    Syntax(usize),
    #[error("internal error: {0}; file left unchanged")]
    Internal(String),
}

/// Cheap prefilter: a file that never names `aws_cdk` holds no CDK code
/// (v1's `aws_cdk.core` included), so it is not parsed.
pub fn mentions_cdk(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"aws_cdk").is_some()
}

pub struct Engine<'c> {
    pub catalogue: &'c Catalogue,
    pub registry: &'c Registry,
}

/// The edits of one pass, and which findings (offset, codemod) they fix.
type Chosen = (Vec<Edit>, BTreeSet<(usize, usize)>);

struct Pass {
    findings: Vec<Finding>,
    imports: Imports,
    /// The file's indentation step, for lines the layout splits.
    indent_unit: String,
}

impl Engine<'static> {
    /// The engine over the built-in catalogue, its codemods built once per
    /// process. Like [`Catalogue::builtin`], it panics only on a catalogue the
    /// test suite would have rejected; the CLI builds its own to report errors.
    pub fn builtin() -> Self {
        static REGISTRY: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
        let catalogue = Catalogue::builtin();
        let registry = REGISTRY.get_or_init(|| match Registry::new(catalogue) {
            Ok(r) => r,
            Err(e) => panic!("invalid built-in codemod catalogue: {e}"),
        });
        Engine {
            catalogue,
            registry,
        }
    }
}

impl<'c> Engine<'c> {
    /// Every enabled codemod's findings on one parse of the text, sorted.
    fn analyse(&self, root: &Root, newline: &'static str, settings: &Settings, fix: bool) -> Pass {
        let text = root.get_text();
        let mut imports = Imports::collect(root);
        let mut vars: HashMap<String, (String, Node)> = HashMap::new();
        let mut findings = Vec::new();
        let enabled = |idx: &&usize| settings.enabled[**idx];
        let module = root.root();
        let reg = self.registry;
        // A CDK v1 file that is not moved to v2 in this run has none of
        // aws-cdk-lib's API, whatever the project pins.
        // Asked of v1 files only: the others need no catalogue lookup.
        let moves_to_v2 = || {
            self.catalogue
                .index("cdk-v1-imports")
                .is_some_and(|i| settings.enabled[i] && settings.unsafe_fixes)
                && crate::rules::cdk_v1_imports::module_not_in_v2(&imports).is_none()
        };
        let project = settings.options.project_cdk.unwrap_or(ASSUMED_CDK);
        let (cdk, why) = if imports.is_v1() && !moves_to_v2() {
            (
                CDK_V1,
                "the file imports CDK v1 (`aws_cdk.core`)".to_string(),
            )
        } else {
            (project, format!("the project pins {project}"))
        };
        // Runs codemod `idx`'s hook and stamps its findings with its index.
        let emit = |idx: usize, findings: &mut Vec<Finding>, hook: &dyn Fn(&mut Vec<Finding>)| {
            let start = findings.len();
            hook(findings);
            let too_old = reg.min_cdk[idx].filter(|min| cdk < *min);
            if too_old.is_some() && reg.deprecation[idx] {
                // Not deprecated yet in that version.
                findings.truncate(start);
                return;
            }
            for f in &mut findings[start..] {
                f.codemod = idx;
                if let (Some(min), Some(_)) = (too_old, &f.fix) {
                    f.fix = None;
                    f.note = Some(format!(
                        "not rewritten: the fix needs aws-cdk-lib >= {min}, {why}"
                    ));
                }
            }
        };
        // One walk: it indexes the file and collects, in source order, the
        // nodes codemods are dispatched on, so that a codemod looking at one
        // call can ask about the whole file (`ctx.index`) without walking it.
        let ids = crate::pyast::ids();
        let source = root.get_text();
        let mut index = FileIndex::default();
        let mut events = Vec::new();
        crate::pyast::walk(&module, |node, kind| {
            index.add(node, kind, source);
            if kind == ids.assignment || kind == ids.call || kind == ids.class_definition {
                events.push((kind, node.clone()));
            }
            // The imports read already hold what their names bind; in small
            // files they are a good part of the tree.
            !((kind == ids.import_statement || kind == ids.import_from_statement)
                && imports.read(node.range().start))
        });
        imports.shadow(index.assigned_names());
        // One spelling of the context codemods see, built where `vars` is not
        // borrowed mutably.
        macro_rules! file_ctx {
            () => {
                FileCtx {
                    text,
                    imports: &imports,
                    newline,
                    vars: &vars,
                    options: &settings.options,
                    module: &module,
                    index: &index,
                    cdk,
                    cdk_source: &why,
                }
            };
        }
        for (kind, node) in events {
            match () {
                _ if kind == ids.assignment => {
                    let (Some(left), Some(right)) = (
                        node.child_by_field_id(ids.left),
                        node.child_by_field_id(ids.right),
                    ) else {
                        continue;
                    };
                    if right.kind_id() != ids.call {
                        continue;
                    }
                    if let Some(fqn) = right
                        .child_by_field_id(ids.function)
                        .and_then(|f| imports.resolve(&f))
                    {
                        vars.insert(left.text().to_string(), (fqn, right));
                    }
                }
                _ if kind == ids.class_definition && !reg.on_class.is_empty() => {
                    let ctx = file_ctx!();
                    for &idx in reg.on_class.iter().filter(enabled) {
                        emit(idx, &mut findings, &|out| {
                            reg.codemods[idx].on_class(&node, &ctx, out)
                        });
                    }
                }
                _ if kind == ids.call => {
                    let Some(func) = node.child_by_field_id(ids.function) else {
                        continue;
                    };
                    let fqn = imports.resolve(&func);
                    let by_construct = fqn.as_ref().and_then(|f| reg.by_construct.get(f));
                    let any_construct = fqn
                        .as_ref()
                        .filter(|f| f.starts_with("aws_cdk.") && !reg.any_construct.is_empty())
                        .map(|_| &reg.any_construct);
                    let method = (func.kind_id() == ids.attribute)
                        .then(|| func.child_by_field_id(ids.attribute_field))
                        .flatten();
                    let by_method = method
                        .as_ref()
                        .and_then(|m| reg.by_method.get(m.text().as_ref()));
                    if by_construct.is_none() && any_construct.is_none() && by_method.is_none() {
                        continue;
                    }
                    let Some(call) = CallView::new(node.clone()) else {
                        continue;
                    };
                    let ctx = file_ctx!();
                    let fqn = fqn.as_deref().unwrap_or_default();
                    let constructs = by_construct.into_iter().chain(any_construct).flatten();
                    for &idx in constructs.filter(enabled) {
                        emit(idx, &mut findings, &|out| {
                            reg.codemods[idx].on_construct(&call, fqn, &ctx, out)
                        });
                    }
                    if let Some(receiver) = func.child_by_field_id(ids.object) {
                        for &idx in by_method.into_iter().flatten().filter(enabled) {
                            emit(idx, &mut findings, &|out| {
                                reg.codemods[idx].on_method(&call, &receiver, &ctx, out)
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        if !reg.on_module.is_empty() {
            let ctx = file_ctx!();
            for &idx in reg.on_module.iter().filter(enabled) {
                emit(idx, &mut findings, &|out| {
                    reg.codemods[idx].on_module(&ctx, out)
                });
            }
        }
        // Suppressed findings are neither reported nor fixed.
        let scope = crate::suppress::Scope {
            text,
            module: &module,
            imports: &imports,
            index: &index,
            catalogue: self.catalogue,
            enabled: &settings.enabled,
        };
        crate::suppress::apply(&scope, &mut findings);
        findings.sort_by_key(|f| (f.at, f.codemod));
        Pass {
            findings,
            imports,
            // Only a fix splits lines.
            indent_unit: match fix {
                true => crate::layout::indent_unit(text, &module),
                false => String::new(),
            },
        }
    }

    /// The tier of a finding's fix: its entry's, unless the fix overrides it.
    fn safety(&self, f: &Finding) -> Safety {
        match &f.fix {
            Some(fix) if fix.unsafe_override => Safety::Unsafe,
            _ => self.catalogue.entries[f.codemod].safety,
        }
    }

    fn report(&self, text: &str, lines: &Lines, f: &Finding, settings: &Settings) -> Reported {
        let (line, col) = lines.line_col(text, f.at);
        let fixability = match (&f.fix, self.safety(f)) {
            (None, _) => Fixability::None,
            (Some(_), Safety::Safe | Safety::Report) => Fixability::Safe,
            (Some(_), Safety::Unsafe) if settings.unsafe_fixes => Fixability::Safe,
            (Some(_), Safety::Unsafe) => Fixability::Unsafe,
        };
        Reported {
            codemod: f.codemod,
            line,
            col,
            note: f.note.clone(),
            fixability,
            construct_id: f.construct_id.clone(),
        }
    }

    /// Check (and, with `fix`, rewrite) one file's text: the fixed-point
    /// loop of ARCHITECTURE.md. Each pass analyses the text, chooses the fixes
    /// that do not overlap, applies them, re-parses what they changed,
    /// reflows lines they made too long, and guards the result; it stops
    /// when a pass finds nothing left to fix.
    pub fn run(
        &self,
        src: &SourceText,
        settings: &Settings,
        fix: bool,
    ) -> Result<Outcome, FileError> {
        let mut root = parse(&src.text);
        if has_syntax_error(&root) {
            return Err(FileError::Syntax(first_error_line(&root).unwrap_or(1)));
        }
        let mut findings = None;
        let mut applied = Vec::new();
        for pass in 0..MAX_PASSES {
            let analysis = self.analyse(&root, src.newline, settings, fix);
            let text = root.get_text();
            let reported = self.report_all(text, &analysis.findings, settings);
            let findings = findings.get_or_insert_with(|| reported.clone());
            if !fix {
                return Ok(Outcome::of(
                    std::mem::take(findings),
                    Vec::new(),
                    applied,
                    None,
                    1,
                ));
            }
            let Some((edits, fixers)) =
                self.choose(text, src.newline, &analysis, &analysis.findings, settings)
            else {
                let fixed = (text != src.text).then(|| text.to_string());
                let findings = std::mem::take(findings);
                return Ok(Outcome::of(findings, reported, applied, fixed, pass + 1));
            };
            applied.extend(self.applied(src, text, pass, &analysis.findings, &reported, &fixers));
            let (fixed, spans) = apply(text, &edits);
            let reflowed = reflow(
                (text, &fixed, &spans),
                &analysis.indent_unit,
                settings,
                src.newline,
            );
            root = reparse_changes(&root, &edits, &fixed, reflowed);
            guard(&root, || self.names(&fixers))?;
        }
        let still = root.get_text();
        let analysis = self.analyse(&root, src.newline, settings, fix);
        let firing = self
            .choose(still, src.newline, &analysis, &analysis.findings, settings)
            .map(|(_, fixers)| self.names(&fixers))
            .unwrap_or_default();
        Err(FileError::Internal(format!(
            "fixes did not converge after {MAX_PASSES} passes (still firing: {firing})"
        )))
    }

    fn report_all(&self, text: &str, findings: &[Finding], settings: &Settings) -> Vec<Reported> {
        let lines = Lines::new(text);
        findings
            .iter()
            .map(|f| self.report(text, &lines, f, settings))
            .collect()
    }

    /// The fixes a pass applies, placed on the input's lines: a later pass
    /// sees the text earlier passes wrote, so its lines go through a diff.
    fn applied(
        &self,
        src: &SourceText,
        text: &str,
        pass: usize,
        findings: &[Finding],
        reported: &[Reported],
        fixers: &BTreeSet<(usize, usize)>,
    ) -> Vec<Applied> {
        let diff = (pass > 0).then(|| similar::TextDiff::from_lines(src.text.as_str(), text));
        findings
            .iter()
            .zip(reported)
            .filter(|(f, _)| fixers.contains(&(f.at, f.codemod)))
            .map(|(f, r)| Applied {
                codemod: f.codemod,
                line: match &diff {
                    None => r.line,
                    Some(diff) => match crate::source::origin(diff, r.line, r.col) {
                        crate::source::Origin::Disk(line, _)
                        | crate::source::Origin::Written(line) => line,
                    },
                },
                construct_id: f.construct_id.clone(),
            })
            .collect()
    }

    /// The fixes to apply in this pass: in source order, each taken only if
    /// none of its edits meets an edit already taken; the rest wait for the
    /// next pass. `None` when there is nothing to apply.
    fn choose(
        &self,
        text: &str,
        newline: &str,
        pass: &Pass,
        findings: &[Finding],
        settings: &Settings,
    ) -> Option<Chosen> {
        let mut edits: Vec<Edit> = Vec::new();
        let mut needs = Vec::new();
        let mut fixers = BTreeSet::new();
        let allowed = |f: &&Finding| {
            f.fix.is_some() && (self.safety(f) != Safety::Unsafe || settings.unsafe_fixes)
        };
        // A fix that must be alone takes the whole pass.
        let alone = findings
            .iter()
            .filter(allowed)
            .find(|f| f.fix.as_ref().is_some_and(|x| x.alone));
        for f in alone
            .into_iter()
            .chain(findings.iter().filter(|_| alone.is_none()))
        {
            let Some(fix) = &f.fix else { continue };
            if !allowed(&f) {
                continue;
            }
            if fix
                .edits
                .iter()
                .any(|e| edits.iter().any(|t| t.conflicts(e)))
            {
                continue;
            }
            edits.extend(fix.edits.iter().cloned());
            needs.extend(fix.needs.iter().cloned());
            fixers.insert((f.at, f.codemod));
        }
        if fixers.is_empty() {
            return None;
        }
        if !needs.is_empty() {
            // Imports are computed once per pass so two fixes needing the same
            // name add it once.
            let import_edits = pass.imports.edits_for(&needs, text, newline);
            if import_edits
                .iter()
                .any(|e| edits.iter().any(|t| t.conflicts(e)))
            {
                // A fix touches the import block itself: apply only the fixes
                // that need no import now; the others come next pass.
                let without: Vec<Finding> = findings
                    .iter()
                    .filter(|f| f.fix.as_ref().is_some_and(|x| x.needs.is_empty()))
                    .cloned()
                    .collect();
                return self.choose(text, newline, pass, &without, settings);
            }
            edits.extend(import_edits);
        }
        Some((edits, fixers))
    }

    /// The ids of the codemods behind some fixes, once each.
    fn names(&self, fixers: &BTreeSet<(usize, usize)>) -> String {
        fixers
            .iter()
            .map(|&(_, c)| c)
            .collect::<BTreeSet<_>>()
            .iter()
            .map(|&c| self.catalogue.entries[c].id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Outcome {
    fn of(
        findings: Vec<Reported>,
        remaining: Vec<Reported>,
        applied: Vec<Applied>,
        fixed: Option<String>,
        passes: usize,
    ) -> Outcome {
        Outcome {
            findings,
            remaining,
            applied,
            fixed,
            passes,
        }
    }
}

/// The text with a pass's edits applied, and where each edit landed.
fn apply(text: &str, edits: &[Edit]) -> (String, Spans) {
    crate::layout::apply_tracking(text, edits)
}

type Spans = Vec<(usize, std::ops::Range<usize>)>;

/// Lines the fixes made longer than the configured limit, split; `None` when
/// there are none.
fn reflow(
    (text, fixed, spans): (&str, &str, &Spans),
    indent_unit: &str,
    settings: &Settings,
    newline: &str,
) -> Option<String> {
    let limit = settings.options.line_length.0;
    if limit == 0 {
        return None;
    }
    let long = crate::layout::lines_made_long(text, fixed, spans, limit);
    (!long.is_empty()).then(|| crate::layout::reflow(fixed, &long, limit, indent_unit, newline))
}

/// The parse of the pass's output, reusing the last tree where the edits and
/// the reflow did not reach.
fn reparse_changes(old: &Root, edits: &[Edit], fixed: &str, reflowed: Option<String>) -> Root {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let changes = sorted.iter().map(|e| (e.range.clone(), e.text.as_str()));
    let mut steps = vec![(old.get_text(), changes.collect())];
    match &reflowed {
        Some(text) => {
            steps.push((fixed, vec![crate::pyast::whole_change(fixed, text)]));
            reparse(old, &steps, text)
        }
        None => reparse(old, &steps, fixed),
    }
}

/// What the fixes wrote must parse: a fix that breaks the syntax is a bug,
/// and the file is left as it was.
fn guard(root: &Root, fixers: impl FnOnce() -> String) -> Result<(), FileError> {
    match has_syntax_error(root) {
        false => Ok(()),
        true => Err(FileError::Internal(format!(
            "fixes by {} produced invalid Python",
            fixers()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pyast::CallView;
    use crate::rules::Codemod;

    /// A codemod that inserts `text` after every bucket call.
    struct Inserts(&'static str);

    impl Codemod for Inserts {
        fn constructs(&self) -> Vec<String> {
            vec!["aws_cdk.aws_s3.Bucket".into()]
        }
        fn on_construct<'r>(
            &self,
            call: &CallView<'r>,
            _fqn: &str,
            _ctx: &FileCtx<'_, 'r>,
            out: &mut Vec<Finding>,
        ) {
            let end = call.node.range().end;
            out.push(Finding::new(call).fix(vec![Edit::insert(end, self.0)], vec![]));
        }
    }

    fn run_with(codemod: Inserts, src: &str) -> Result<Outcome, FileError> {
        let catalogue = Catalogue::builtin();
        let mut registry = Registry::new(catalogue).unwrap();
        let idx = catalogue
            .index("s3-bucket-public-access-not-blocked")
            .unwrap();
        registry.codemods[idx] = Box::new(codemod);
        let engine = Engine {
            catalogue,
            registry: &registry,
        };
        let mut settings = Settings::all(catalogue);
        settings.enabled = (0..catalogue.entries.len()).map(|i| i == idx).collect();
        engine.run(&SourceText::from_text(src), &settings, true)
    }

    const SRC: &str = "from aws_cdk import aws_s3 as s3\ns3.Bucket(scope, \"B\")\n";

    #[test]
    fn a_fix_that_breaks_syntax_is_dropped() {
        let err = run_with(Inserts("((("), SRC).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("produced invalid Python")
                && msg.contains("s3-bucket-public-access-not-blocked"),
            "{msg}"
        );
    }

    #[test]
    fn a_fix_that_never_settles_is_reported() {
        let err = run_with(Inserts(".x"), SRC).unwrap_err();
        assert!(err.to_string().contains("did not converge"), "{err}");
    }

    #[test]
    fn a_v1_file_that_cannot_move_gets_no_v2_only_code() {
        // `aws_lambda_python` has no v2 module: the file stays v1, so the
        // Lambda fixes take their v1 spellings (`log_retention=`) or none.
        let src = "from aws_cdk import aws_lambda, aws_lambda_python, core\n\n\nclass H(core.Construct):\n    def __init__(self, scope, id):\n        super().__init__(scope, id)\n        aws_lambda.Function(self, \"F\", runtime=aws_lambda.Runtime.PYTHON_3_8, handler=\"i.h\", code=aws_lambda.Code.from_asset(\"s\"))\n        aws_lambda_python.PythonFunction(self, \"P\", entry=\"p\")\n";
        let engine = Engine::builtin();
        let catalogue = engine.catalogue;
        let mut settings = Settings::all(catalogue);
        settings.unsafe_fixes = true;
        let out = engine
            .run(&SourceText::from_text(src), &settings, true)
            .unwrap();
        let fixed = out.fixed.expect("v1-compatible fixes still apply");
        assert!(fixed.contains("from aws_cdk import aws_lambda, aws_lambda_python, core"));
        assert!(fixed.contains("log_retention="), "{fixed}");
        for v2_only in ["log_group=", "logging_format=", "import aws_cdk as cdk"] {
            assert!(!fixed.contains(v2_only), "{v2_only} in:\n{fixed}");
        }
    }

    #[test]
    fn syntax_errors_in_the_input_are_reported_with_their_line() {
        let err = run_with(Inserts(""), "import aws_cdk\n\ndef f(:\n").unwrap_err();
        assert!(matches!(err, FileError::Syntax(3)), "{err}");
    }
}
