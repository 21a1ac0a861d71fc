//! The command line: arguments, configuration precedence, running the engine
//! over every file in parallel, and printing findings, diffs and summaries.

use crate::catalogue::{Catalogue, Entry};
use crate::config::{self, FileConfig};
use crate::engine::{Engine, FileError, Fixability, Outcome, Settings, mentions_cdk};
use crate::rules::Registry;
use crate::rules::layers::Declared;
use crate::source::{Origin, SourceText, origin};
use crate::walk;
use anstyle::{AnsiColor, Style};
use clap::{Parser, ValueEnum};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[cfg(test)]
mod tests {
    #[test]
    fn app_level_tags_are_found() {
        let app = "app = cdk.App()\nTags.of(app).add(\"Team\", \"payments\")\ncdk.Tags.of(stack).add('Owner', x)\n";
        assert_eq!(super::app_tag_keys(app), vec!["Team", "Owner"]);
        let stack = "class S(Stack):\n    Tags.of(self).add(\"Env\", e)\n";
        assert!(super::app_tag_keys(stack).is_empty());
    }

    #[test]
    fn the_app_entry_comes_from_cdk_json() {
        let dir = std::path::Path::new("/p");
        let entry = |json: &str| super::app_entry(json, dir);
        assert_eq!(
            entry(r#"{"app": "python3 app.py"}"#),
            Some(dir.join("app.py"))
        );
        assert_eq!(
            entry(r#"{"app": "poetry run python 'infra/tap.py' --verbose"}"#),
            Some(dir.join("infra/tap.py"))
        );
        assert_eq!(
            entry(r#"{"app": "python -m infra.app"}"#),
            Some(dir.join("infra/app.py"))
        );
        assert_eq!(entry(r#"{"app": "npx ts-node bin/app.ts"}"#), None);
        assert_eq!(entry("not json"), None);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// Rewrite AWS CDK Python code toward best practice, as a reviewable diff.
///
/// Without --dry-run or --write, cdkfix reports findings. Exit codes: 0 nothing
/// to change, 1 findings or changes, 2 errors.
#[derive(Debug, Parser)]
#[command(name = "cdkfix", version)]
pub struct Args {
    /// Files or folders to process (default: the current folder). Give several
    /// repositories to process them in one run.
    pub paths: Vec<PathBuf>,
    /// Print the fixes as a unified diff; write nothing.
    #[arg(long, conflicts_with = "write")]
    pub dry_run: bool,
    /// Apply the fixes to the files.
    #[arg(long)]
    pub write: bool,
    /// Also apply fixes of the `unsafe` tier (they rename, add resources or
    /// change data lifetime: read the diff).
    #[arg(long, overrides_with = "no_unsafe_fixes")]
    pub unsafe_fixes: bool,
    /// Do not apply unsafe fixes, even when the configuration enables them.
    #[arg(long, overrides_with = "unsafe_fixes")]
    pub no_unsafe_fixes: bool,
    /// Run only these codemods (ids, or cdk-nag / checkov rule ids they resolve; comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub select: Option<Vec<String>>,
    /// Do not run these codemods (ids or rule ids; comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub ignore: Option<Vec<String>>,
    /// Use this configuration file instead of discovering cdkfix.toml / pyproject.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// List the codemod catalogue and exit.
    #[arg(long)]
    pub list: bool,
    /// Print a codemod's documentation and exit.
    #[arg(long, value_name = "ID")]
    pub explain: Option<String>,
    /// Output format of findings and fixes.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output_format: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Check,
    DryRun,
    Write,
}

/// One file's result, in the order files are printed.
struct FileResult {
    root: usize,
    path: PathBuf,
    outcome: Result<Option<(SourceText, Outcome)>, FileError>,
}

pub fn run() -> ExitCode {
    let args = Args::parse();
    let catalogue = Catalogue::builtin();
    if args.list {
        print_list(catalogue);
        return ExitCode::SUCCESS;
    }
    if let Some(id) = &args.explain {
        return match catalogue
            .entries
            .iter()
            .find(|e| e.matches(id) && id != "ALL")
        {
            Some(entry) => {
                print!("{}", entry.explain());
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("error: no codemod `{id}` (see `cdkfix --list`)");
                ExitCode::from(2)
            }
        };
    }
    let registry = match Registry::new(catalogue) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let engine = Engine {
        catalogue,
        registry: &registry,
    };
    let mode = if args.write {
        Mode::Write
    } else if args.dry_run {
        Mode::DryRun
    } else {
        Mode::Check
    };
    let roots = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };

    let mut errors: Vec<String> = Vec::new();
    let mut root_errors = vec![0usize; roots.len()];
    let mut settings = Vec::new();
    let mut jobs: Vec<(usize, PathBuf)> = Vec::new();
    let mut seen = HashSet::new();
    for (i, root) in roots.iter().enumerate() {
        let found = match &args.config {
            Some(path) => config::load(path).map(Some),
            None => config::discover(root),
        };
        let found = match found {
            Ok(found) => found,
            Err(e) => {
                errors.push(e);
                root_errors[i] += 1;
                settings.push(Settings::all(catalogue));
                continue;
            }
        };
        let default = FileConfig::default();
        let file_config = found.as_ref().map_or(&default, |f| &f.config);
        let config_path = found.as_ref().map(|f| f.path.as_path());
        match resolve_settings(catalogue, &args, file_config, config_path) {
            Ok(s) => settings.push(s),
            Err(e) => {
                errors.push(e);
                root_errors[i] += 1;
                settings.push(Settings::all(catalogue));
                continue;
            }
        }
        // Patterns are relative to the folder of the file that defines them.
        let (exclude, mut walk_errors) = match &found {
            Some(f) if !f.config.exclude.is_empty() => {
                walk::Exclude::new(f.path.parent().unwrap_or(Path::new(".")), &f.config.exclude)
            }
            _ => (walk::Exclude::none(), Vec::new()),
        };
        let (files, errs) = walk::files(root, &exclude);
        walk_errors.extend(errs);
        root_errors[i] += walk_errors.len();
        errors.extend(walk_errors);
        for f in files {
            // The same file reached through two paths is processed once, so
            // two writers never race on it.
            let key = std::fs::canonicalize(&f).unwrap_or_else(|_| f.clone());
            if seen.insert(key) {
                jobs.push((i, f));
            }
        }
    }

    // Read every file once, up front: a few codemods need facts about the
    // whole project (tags applied at app level in app.py), per path given.
    let contents: Vec<Result<Vec<u8>, FileError>> =
        jobs.par_iter().map(|(_, path)| read(path)).collect();
    let mut app_keys_by_folder: HashMap<(PathBuf, PathBuf), BTreeSet<String>> = HashMap::new();
    for (i, s) in settings.iter_mut().enumerate() {
        let pin = crate::version::project_pin(&roots[i]);
        if pin.is_none() && args.output_format == OutputFormat::Text && mode != Mode::Check {
            eprintln!(
                "note: {}: no aws-cdk-lib pin found; assuming {} (the version cdkfix is tested with)",
                roots[i].display(),
                crate::version::ASSUMED_CDK
            );
        }
        let mut options = (*s.options).clone();
        options.project_cdk = pin;
        s.options = std::sync::Arc::new(options);
        let mut keys: BTreeSet<String> = jobs
            .iter()
            .zip(&contents)
            .filter(|((root, _), _)| *root == i)
            .filter_map(|(_, bytes)| bytes.as_ref().ok())
            .flat_map(|bytes| app_tag_keys(&String::from_utf8_lossy(bytes)))
            .collect();
        // The app's entry file may lie outside the paths given (a hook
        // passes only the stacks it changed).
        if let Some(app_dir) = app_folder(&roots[i]) {
            let app_keys = app_keys_by_folder
                .entry(app_dir.clone())
                .or_insert_with(|| app_folder_tag_keys(&app_dir));
            keys.extend(app_keys.iter().cloned());
        }
        if !keys.is_empty() {
            let mut options = (*s.options).clone();
            options.project_tag_keys = keys;
            s.options = std::sync::Arc::new(options);
        }
    }
    // Each file also sees the context of its app's cdk.json: one settings
    // value per (path given, cdk.json) pair.
    let mut apps = AppContexts::default();
    let mut app_settings: HashMap<(usize, Option<PathBuf>), Settings> = HashMap::new();
    let job_apps: Vec<Option<PathBuf>> = jobs.iter().map(|(_, f)| apps.cdk_json(f)).collect();
    let mut layers = app_layers(&job_apps, &contents);
    for ((root, _), app) in jobs.iter().zip(&job_apps) {
        app_settings.entry((*root, app.clone())).or_insert_with(|| {
            let mut s = settings[*root].clone();
            let mut options = (*s.options).clone();
            options.project_context = app
                .as_deref()
                .and_then(|p| crate::options::cdk_json_context(&std::fs::read_to_string(p).ok()?));
            options.project_layers = layers.remove(app).unwrap_or_default();
            s.options = std::sync::Arc::new(options);
            s
        });
    }
    let results: Vec<FileResult> = jobs
        .into_par_iter()
        .zip(job_apps)
        .zip(contents)
        .map(|(((root, path), app), bytes)| FileResult {
            root,
            outcome: bytes
                .and_then(|b| process(&engine, &path, b, &app_settings[&(root, app)], mode)),
            path,
        })
        .collect();

    let mut out = anstream::stdout().lock();
    let mut err = anstream::stderr().lock();
    for e in &errors {
        let _ = writeln!(err, "{}error{}: {e}", ERR.render(), ERR.render_reset());
    }
    let totals = match args.output_format {
        OutputFormat::Json => print_json(&mut out, catalogue, &results, &errors),
        OutputFormat::Text => print_text(&mut out, &mut err, catalogue, &results, mode),
    };
    if roots.len() > 1 && args.output_format == OutputFormat::Text {
        for (i, root) in roots.iter().enumerate() {
            let t = Totals::of(results.iter().filter(|r| r.root == i));
            // A check fixes nothing: the files `--write` would change.
            let fixed = if mode == Mode::Check {
                t.fixable_files
            } else {
                t.changed
            };
            let _ = writeln!(
                err,
                "{}: {}, {}, {} {}, {}",
                root.display(),
                counted(t.files, "file"),
                counted(t.findings, "finding"),
                counted(fixed, "file"),
                if mode == Mode::Write {
                    "fixed"
                } else {
                    "to fix"
                },
                counted(t.errors + root_errors[i], "error"),
            );
        }
    }
    if !errors.is_empty() || totals.errors > 0 {
        ExitCode::from(2)
    } else if totals.findings > 0 || totals.changed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn resolve_settings(
    catalogue: &Catalogue,
    args: &Args,
    file: &FileConfig,
    file_path: Option<&Path>,
) -> Result<Settings, String> {
    let unknown = |ids: Option<&Vec<String>>| {
        ids.into_iter()
            .flatten()
            .find(|id| !catalogue.entries.iter().any(|e| e.matches(id)))
            .map(|id| format!("unknown codemod or rule id `{id}` (see `cdkfix --list`)"))
    };
    // The file's lists are checked even when a flag overrides them: a typo
    // there is an error in every run.
    for (key, ids) in [("select", &file.select), ("ignore", &file.ignore)] {
        if let (Some(e), Some(path)) = (unknown(ids.as_ref()), file_path) {
            let table = if path.file_name().is_some_and(|n| n == "pyproject.toml") {
                "[tool.cdkfix]: "
            } else {
                ""
            };
            return Err(format!("{}: {table}{key}: {e}", path.display()));
        }
    }
    for (flag, ids) in [("--select", &args.select), ("--ignore", &args.ignore)] {
        if let Some(e) = unknown(ids.as_ref()) {
            return Err(format!("{flag}: {e}"));
        }
    }
    let select = args.select.as_ref().or(file.select.as_ref());
    let ignore = args.ignore.as_ref().or(file.ignore.as_ref());
    let enabled = catalogue
        .entries
        .iter()
        .map(|e| {
            select.is_none_or(|s| s.iter().any(|id| e.matches(id)))
                && !ignore.is_some_and(|s| s.iter().any(|id| e.matches(id)))
        })
        .collect();
    let unsafe_fixes = if args.no_unsafe_fixes {
        false
    } else {
        args.unsafe_fixes || file.unsafe_fixes.unwrap_or(false)
    };
    Ok(Settings {
        enabled,
        unsafe_fixes,
        options: std::sync::Arc::new(file.options()),
    })
}

fn read(path: &Path) -> Result<Vec<u8>, FileError> {
    if path.is_dir() {
        return Err(FileError::Read("is a directory".into()));
    }
    std::fs::read(path).map_err(|e| FileError::Read(e.to_string()))
}

/// The `cdk.json` nearest to each file (in its folder or above), remembered
/// per folder so a tree of files costs one lookup per folder.
#[derive(Default)]
struct AppContexts {
    by_dir: HashMap<PathBuf, Option<PathBuf>>,
}

impl AppContexts {
    fn cdk_json(&mut self, file: &Path) -> Option<PathBuf> {
        let dir = std::path::absolute(file).ok()?.parent()?.to_path_buf();
        self.in_or_above(&dir)
    }

    fn in_or_above(&mut self, dir: &Path) -> Option<PathBuf> {
        if let Some(found) = self.by_dir.get(dir) {
            return found.clone();
        }
        let here = dir.join("cdk.json");
        let found = if here.is_file() {
            Some(here)
        } else {
            dir.parent().and_then(|up| self.in_or_above(up))
        };
        self.by_dir.insert(dir.to_path_buf(), found.clone());
        found
    }
}

type LayerFacts = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// The Lambda layers each app's files build (see `Options::project_layers`),
/// from the files of this run that mention a layer construct.
fn app_layers(
    job_apps: &[Option<PathBuf>],
    contents: &[Result<Vec<u8>, FileError>],
) -> HashMap<Option<PathBuf>, LayerFacts> {
    const LISTS: &[&str] = &["compatible_runtimes", "compatible_architectures"];
    let found: Vec<_> = job_apps
        .par_iter()
        .zip(contents)
        .filter_map(|(app, bytes)| {
            let bytes = bytes.as_ref().ok()?;
            memchr::memmem::find(bytes, b"LayerVersion")?;
            let text = std::str::from_utf8(bytes).ok()?;
            Some((app.clone(), crate::rules::layers::defined_in(text, LISTS)))
        })
        .collect();
    // Every build of a name, then what all of them declare.
    let mut builds: HashMap<Option<PathBuf>, BTreeMap<String, Vec<Declared>>> = HashMap::new();
    for (app, defined) in found {
        for (name, lists) in defined {
            builds
                .entry(app.clone())
                .or_default()
                .entry(name)
                .or_default()
                .push(lists);
        }
    }
    let mut by_app: HashMap<Option<PathBuf>, LayerFacts> = HashMap::new();
    for (app, names) in builds {
        let facts = by_app.entry(app).or_default();
        for (name, all) in names {
            let known = facts.entry(name).or_default();
            for list in LISTS {
                let mut each = all.iter().map(|lists| {
                    lists
                        .iter()
                        .find(|(k, _)| k == list)
                        .map(|(_, v)| v.clone())
                });
                let first = each.next().flatten();
                let common = each.try_fold(first, |acc, next| match (acc, next) {
                    (Some(mut acc), Some(next)) => {
                        acc.retain(|v| next.contains(v));
                        Some(Some(acc))
                    }
                    _ => None,
                });
                if let Some(Some(values)) = common {
                    known.insert(list.to_string(), values);
                }
            }
        }
    }
    by_app
}

/// Keys of tags the app applies at app level (`Tags.of(app).add("Team", ...)`),
/// found by a cheap text scan: a stack need not repeat them.
pub fn app_tag_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let defines_app = text.contains("App(");
    for (at, _) in text.match_indices("Tags.of(") {
        let rest = &text[at + "Tags.of(".len()..];
        let Some(close) = rest.find(')') else {
            continue;
        };
        let target = rest[..close].trim();
        let app_level = matches!(target, "app" | "self.app") || (defines_app && target != "self");
        let Some(add) = rest[close..].strip_prefix(").add(") else {
            continue;
        };
        let add = add.trim_start();
        let Some(quote) = add.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        if let (true, Some(end)) = (app_level, add[1..].find(quote)) {
            keys.push(add[1..1 + end].to_string());
        }
    }
    keys
}

/// The CDK app's entry file named by the `"app"` command of the nearest
/// `cdk.json` at or above `root` (`python3 app.py`, `python -m app`), with
/// the folder it is in. `None` without a `cdk.json` or a Python entry.
fn app_folder(root: &Path) -> Option<(PathBuf, PathBuf)> {
    let start = walk::absolute(root);
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(d) = dir {
        if let Ok(text) = std::fs::read_to_string(d.join("cdk.json")) {
            let entry = app_entry(&text, d)?;
            let folder = entry.parent()?.to_path_buf();
            return Some((entry, folder));
        }
        dir = d.parent();
    }
    None
}

/// The Python file a `cdk.json` document's `"app"` command runs, in `dir`
/// (the folder of the `cdk.json`).
fn app_entry(cdk_json: &str, dir: &Path) -> Option<PathBuf> {
    let doc: serde_json::Value = serde_json::from_str(cdk_json).ok()?;
    let command = doc.get("app")?.as_str()?;
    let mut words = command
        .split_whitespace()
        .map(|w| w.trim_matches(['"', '\'']));
    while let Some(word) = words.next() {
        if word.ends_with(".py") {
            return Some(dir.join(word));
        }
        if word == "-m" {
            let module = dir.join(words.next()?.replace('.', "/"));
            let main = module.join("__main__.py");
            return Some(if main.is_file() {
                main
            } else {
                module.with_extension("py")
            });
        }
    }
    None
}

/// App-level tag keys of the app's entry file and the Python files beside it.
fn app_folder_tag_keys((entry, folder): &(PathBuf, PathBuf)) -> BTreeSet<String> {
    let siblings = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p != entry && p.extension().is_some_and(|x| x == "py"));
    std::iter::once(entry.clone())
        .chain(siblings)
        .filter_map(|p| std::fs::read(p).ok())
        .flat_map(|bytes| app_tag_keys(&String::from_utf8_lossy(&bytes)))
        .collect()
}

/// Check or fix, and (with --write) write one file. `Ok(None)` for a file the
/// prefilter skipped.
fn process(
    engine: &Engine,
    path: &Path,
    bytes: Vec<u8>,
    settings: &Settings,
    mode: Mode,
) -> Result<Option<(SourceText, Outcome)>, FileError> {
    if !mentions_cdk(&bytes) {
        return Ok(None);
    }
    let src = SourceText::from_bytes(bytes).map_err(FileError::NotUtf8)?;
    let outcome = engine.run(&src, settings, mode != Mode::Check)?;
    if mode == Mode::Write
        && let Some(fixed) = &outcome.fixed
    {
        let new = SourceText {
            text: fixed.clone(),
            ..src.clone()
        };
        write_atomic(path, &new.to_bytes()).map_err(|e| FileError::Write(e.to_string()))?;
    }
    Ok(Some((src, outcome)))
}

/// Write through a temporary file in the same folder and rename it over the
/// original, so a crash or a full disk never leaves a half-written file.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path)?;
    let dir = target.parent().unwrap_or(Path::new("."));
    let permissions = std::fs::metadata(&target)?.permissions();
    let mut tmp = tempfile::Builder::new()
        .prefix(".cdkfix-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    std::fs::set_permissions(tmp.path(), permissions)?;
    tmp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

const ERR: Style = AnsiColor::Red.on_default().bold();
const PATH: Style = Style::new().bold();
const ID: Style = AnsiColor::Red.on_default();
const DIM: Style = Style::new().dimmed();
const ADD: Style = AnsiColor::Green.on_default();
const DEL: Style = AnsiColor::Red.on_default();
const HUNK: Style = AnsiColor::Cyan.on_default();

#[derive(Default)]
struct Totals {
    files: usize,
    findings: usize,
    changed: usize,
    applied: usize,
    errors: usize,
    fixable: usize,
    unsafe_fixable: usize,
    /// Files with a finding `--write` would fix (with the run's settings).
    fixable_files: usize,
}

impl Totals {
    fn of<'a>(results: impl Iterator<Item = &'a FileResult>) -> Totals {
        let mut t = Totals::default();
        for r in results {
            t.files += 1;
            match &r.outcome {
                Err(_) => t.errors += 1,
                Ok(None) => {}
                Ok(Some((_, o))) => {
                    t.findings += o.findings.len();
                    t.changed += usize::from(o.fixed.is_some());
                    t.applied += o.applied.len();
                    let fixable = o
                        .findings
                        .iter()
                        .filter(|f| f.fixability == Fixability::Safe)
                        .count();
                    t.fixable += fixable;
                    t.fixable_files += usize::from(fixable > 0);
                    t.unsafe_fixable += o
                        .findings
                        .iter()
                        .filter(|f| f.fixability == Fixability::Unsafe)
                        .count();
                }
            }
        }
        t
    }
}

/// How a path is shown, in text and JSON alike: as given, without a leading
/// `./`, with `/` between folders on every platform (a `\` in a Unix file
/// name stays). A name that is not UTF-8 shows U+FFFD for each invalid
/// sequence.
fn display(path: &Path) -> String {
    let s = path.to_string_lossy();
    let s = if std::path::MAIN_SEPARATOR == '\\' {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    };
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

fn finding_line(catalogue: &Catalogue, path: &str, f: &crate::engine::Reported) -> String {
    finding_line_at(catalogue, path, f, (f.line, f.col), None)
}

/// A finding shown at `at` (line, column), with `place` saying where it
/// really is when that is not on disk.
fn finding_line_at(
    catalogue: &Catalogue,
    path: &str,
    f: &crate::engine::Reported,
    at: (usize, usize),
    place: Option<String>,
) -> String {
    let entry = &catalogue.entries[f.codemod];
    let note = f
        .note
        .iter()
        .chain(&place)
        .map(|n| format!(" ({n})"))
        .collect::<String>();
    let marker = match f.fixability {
        Fixability::Safe => " [*]",
        Fixability::Unsafe => " [unsafe fix]",
        Fixability::None => "",
    };
    format!(
        "{}{path}{}:{}:{}: {}{}{} {}{note}{}{marker}{}",
        PATH.render(),
        PATH.render_reset(),
        at.0,
        at.1,
        ID.render(),
        entry.id,
        ID.render_reset(),
        entry.summary,
        DIM.render(),
        DIM.render_reset(),
    )
}

fn print_text(
    out: &mut impl Write,
    err: &mut impl Write,
    catalogue: &Catalogue,
    results: &[FileResult],
    mode: Mode,
) -> Totals {
    for r in results {
        let path = display(&r.path);
        match &r.outcome {
            Err(e) => {
                let _ = writeln!(
                    err,
                    "{}error{}: {path}: {e}",
                    ERR.render(),
                    ERR.render_reset()
                );
            }
            Ok(None) => {}
            Ok(Some((src, o))) => match mode {
                Mode::Check => {
                    for f in &o.findings {
                        let _ = writeln!(out, "{}", finding_line(catalogue, &path, f));
                    }
                }
                Mode::DryRun => {
                    let Some(fixed) = &o.fixed else {
                        for f in &o.remaining {
                            let _ = writeln!(err, "{}", finding_line(catalogue, &path, f));
                        }
                        continue;
                    };
                    let (old, new) = diff_sides(src, fixed);
                    let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
                    let _ = write!(out, "{}", colored_diff(&path, &diff));
                    // The file on disk is unchanged, so leftovers are shown
                    // at its lines; one in code the fix writes says so.
                    for f in &o.remaining {
                        let line = match origin(&diff, f.line, f.col) {
                            Origin::Disk(line, col) => {
                                finding_line_at(catalogue, &path, f, (line, col), None)
                            }
                            Origin::Written(line) => {
                                let place = format!(
                                    "in code the fix writes here: line {}, column {} of the fixed file",
                                    f.line, f.col
                                );
                                finding_line_at(catalogue, &path, f, (line, 1), Some(place))
                            }
                        };
                        let _ = writeln!(err, "{line}");
                    }
                }
                Mode::Write => {
                    for f in &o.remaining {
                        let _ = writeln!(out, "{}", finding_line(catalogue, &path, f));
                    }
                }
            },
        }
    }
    let t = Totals::of(results.iter());
    let errors = if t.errors > 0 {
        format!("; {} with errors", counted(t.errors, "file"))
    } else {
        String::new()
    };
    let remaining: usize = results
        .iter()
        .filter_map(|r| r.outcome.as_ref().ok().and_then(Option::as_ref))
        .map(|(_, o)| o.remaining.len())
        .sum();
    let _ = match mode {
        Mode::Check => {
            let mut hint = String::new();
            if t.fixable > 0 {
                hint.push_str(&format!(" {} fixable with --write.", t.fixable));
            }
            if t.unsafe_fixable > 0 {
                hint.push_str(&format!(
                    " {} more with --write --unsafe-fixes.",
                    t.unsafe_fixable
                ));
            }
            writeln!(
                err,
                "Found {} ({} checked{errors}).{hint}",
                counted(t.findings, "finding"),
                counted(t.files, "file")
            )
        }
        Mode::DryRun => writeln!(
            err,
            "Would apply {} to {} of {} checked; {} left{errors}.",
            counted(t.applied, "fix"),
            t.changed,
            counted(t.files, "file"),
            counted(remaining, "finding")
        ),
        Mode::Write => writeln!(
            err,
            "Applied {} to {} of {} checked; {} left{errors}.",
            counted(t.applied, "fix"),
            t.changed,
            counted(t.files, "file"),
            counted(remaining, "finding")
        ),
    };
    t
}

/// `1 finding`, `2 findings`, `0 fixes`.
fn counted(n: usize, noun: &str) -> String {
    match (n, noun.ends_with('x')) {
        (1, _) => format!("{n} {noun}"),
        (_, true) => format!("{n} {noun}es"),
        _ => format!("{n} {noun}s"),
    }
}

/// The two sides of a file's diff. A BOM is part of the first line on disk,
/// so it is on both sides: without it the patch would not apply.
fn diff_sides(src: &SourceText, fixed: &str) -> (String, String) {
    let bom = if src.bom { "\u{feff}" } else { "" };
    (format!("{bom}{}", src.text), format!("{bom}{fixed}"))
}

type Diff<'a> = crate::source::LineDiff<'a>;

/// A git-style unified diff (`a/`, `b/` headers, 3 lines of context), coloured
/// when the output is a terminal (anstream strips the colour otherwise, and
/// honours NO_COLOR).
fn colored_diff<'a>(path: &str, diff: &'a Diff<'a>) -> String {
    let plain = diff_text(path, diff);
    let mut out = String::with_capacity(plain.len() + 256);
    for line in plain.split_inclusive('\n') {
        let style = if line.starts_with("+++") || line.starts_with("---") {
            PATH
        } else if line.starts_with('+') {
            ADD
        } else if line.starts_with('-') {
            DEL
        } else if line.starts_with("@@") {
            HUNK
        } else {
            Style::new()
        };
        let body = line.trim_end_matches('\n');
        out.push_str(&format!(
            "{}{body}{}\n",
            style.render(),
            style.render_reset()
        ));
    }
    out
}

pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    diff_text(path, &similar::TextDiff::from_lines(old, new))
}

fn diff_text<'a>(path: &str, diff: &'a Diff<'a>) -> String {
    // As git writes an absolute path: `a/tmp/x.py`, not `a//tmp/x.py`.
    let path = path.trim_start_matches('/');
    diff.unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

fn print_list(catalogue: &Catalogue) {
    let mut out = anstream::stdout().lock();
    let width = catalogue
        .entries
        .iter()
        .map(|e| e.id.len())
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "{:width$}  {:6}  {:40}  summary",
        "id", "fix", "resolves"
    );
    for e in &catalogue.entries {
        let _ = writeln!(
            out,
            "{:width$}  {:6}  {:40}  {}",
            e.id,
            e.fix_label(),
            resolves(e),
            e.summary
        );
    }
}

fn resolves(e: &Entry) -> String {
    let ids: Vec<&str> = e
        .cdk_nag
        .iter()
        .chain(&e.checkov)
        .map(String::as_str)
        .collect();
    if ids.is_empty() {
        "-".into()
    } else {
        ids.join(", ")
    }
}

fn print_json(
    out: &mut impl Write,
    catalogue: &Catalogue,
    results: &[FileResult],
    errors: &[String],
) -> Totals {
    use serde_json::json;
    let id = |c: usize| catalogue.entries[c].id.clone();
    let files: Vec<_> = results
        .iter()
        .filter(|r| !matches!(r.outcome, Ok(None)))
        .map(|r| match &r.outcome {
            Err(e) => json!({"path": display(&r.path), "error": e.to_string()}),
            Ok(None) => unreachable!(),
            Ok(Some((_, o))) => json!({
                "path": display(&r.path),
                "changed": o.fixed.is_some(),
                "findings": o.findings.iter().map(|f| json!({
                    "codemod": id(f.codemod),
                    "line": f.line,
                    "col": f.col,
                    "note": f.note,
                    "fix": match f.fixability {
                        Fixability::None => "none",
                        Fixability::Safe => "available",
                        Fixability::Unsafe => "unsafe",
                    },
                    "construct_id": f.construct_id,
                })).collect::<Vec<_>>(),
                "applied": o.applied.iter().map(|a| json!({
                    "codemod": id(a.codemod),
                    "line": a.line,
                    "construct_id": a.construct_id,
                })).collect::<Vec<_>>(),
            }),
        })
        .collect();
    let doc = json!({"files": files, "errors": errors});
    let _ = writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    );
    Totals::of(results.iter())
}
