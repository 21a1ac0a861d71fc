//! The command line: arguments, configuration precedence, running the engine
//! over every file in parallel, and handing each file's result to the output.

mod add_suppressions;
mod git;
mod github;
mod progress;
mod project;
mod report;
mod sarif;
mod statistics;
mod write;

pub use project::app_tag_keys;
pub use report::unified_diff;

use crate::catalogue::Catalogue;
use crate::config::{self, FileConfig};
use crate::engine::{Engine, FileError, Outcome, Settings, mentions_cdk};
use crate::rules::Registry;
use crate::source::SourceText;
use crate::walk;
use clap::{Parser, ValueEnum};
use project::{AppContexts, app_folder, app_folder_tag_keys, app_layers};
use rayon::prelude::*;
use report::{ERR, Totals, counted, print_json, print_list, print_text};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions annotations.
    Github,
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
    /// With `--write`: also rewrite files that have uncommitted changes in git.
    #[arg(long)]
    pub allow_dirty: bool,
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
    /// Write `# cdkfix: ignore[ID]` on the line of every finding instead of
    /// fixing (merged into a suppression comment already there): a baseline.
    #[arg(long, conflicts_with_all = ["dry_run", "write"])]
    pub add_suppressions: bool,
    /// Output format of findings and fixes.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output_format: OutputFormat,
    /// Print how many findings each codemod has instead of the findings.
    #[arg(long)]
    pub statistics: bool,
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
    if args.write {
        // First: an interrupt must never find a write without its handler.
        write::stop_cleanly_on_interrupt();
    }
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
    if args.statistics
        && matches!(
            args.output_format,
            OutputFormat::Sarif | OutputFormat::Github
        )
    {
        eprintln!("error: --statistics works with --output-format text or json");
        return ExitCode::from(2);
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
    // SARIF carries fixes: a check computes them in memory, writing nothing.
    let fix = mode != Mode::Check || args.output_format == OutputFormat::Sarif;
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
    let progress = progress::Progress::new(jobs.len(), args.output_format);
    let mut results: Vec<FileResult> = jobs
        .into_par_iter()
        .zip(job_apps)
        .zip(contents)
        .map(|(((root, path), app), bytes)| {
            let outcome = bytes.and_then(|b| {
                process(
                    &engine,
                    b,
                    &app_settings[&(root, app)],
                    fix,
                    mode == Mode::Check,
                )
            });
            progress.done(root, &roots);
            FileResult {
                root,
                outcome,
                path,
            }
        })
        .collect();
    progress.finish();
    let mut notes = Vec::new();
    if mode == Mode::Write {
        let (guard_errors, guard_notes) = write::write_fixed(&mut results, args.allow_dirty);
        errors.extend(guard_errors);
        notes = guard_notes;
        if write::interrupted() {
            // The interrupt handler is ending the process; wait for it.
            loop {
                std::thread::park();
            }
        }
    }

    if args.add_suppressions {
        return add_suppressions::run(catalogue, &results, &errors);
    }
    let mut out = anstream::stdout().lock();
    let mut err = anstream::stderr().lock();
    // Colour only in text output, whatever the terminal.
    let err_style = match args.output_format {
        OutputFormat::Text => ERR,
        _ => anstyle::Style::new(),
    };
    if args.output_format != OutputFormat::Github {
        for e in &errors {
            let _ = writeln!(
                err,
                "{}error{}: {e}",
                err_style.render(),
                err_style.render_reset()
            );
        }
    }
    for n in &notes {
        let _ = writeln!(err, "note: {n}");
    }
    let totals = match args.output_format {
        OutputFormat::Json => print_json(
            &mut out,
            catalogue,
            &results,
            &errors,
            mode,
            args.statistics,
        ),
        OutputFormat::Text => print_text(
            &mut out,
            &mut err,
            catalogue,
            &results,
            mode,
            args.statistics,
        ),
        OutputFormat::Sarif => sarif::print_sarif(&mut out, catalogue, &results, &errors, mode),
        OutputFormat::Github => github::print_github(&mut out, catalogue, &results, &errors, mode),
    };
    // A summary per repository in a batch; files named one by one (as a
    // pre-commit hook passes them) get none.
    let folders = roots.iter().filter(|r| r.is_dir()).count();
    if folders > 1 && args.output_format == OutputFormat::Text {
        for (i, root) in roots.iter().enumerate().filter(|(_, r)| r.is_dir()) {
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

/// Check, or with `fix` also fix (in memory: `--write` writes after every
/// file is done, see `write::write_fixed`), one file. `Ok(None)` for a file
/// the prefilter skipped. With `check_only_on_failure`, a file whose fixes
/// fail is still checked: a check that computes fixes only to show them
/// reports what a plain check would.
fn process(
    engine: &Engine,
    bytes: Vec<u8>,
    settings: &Settings,
    fix: bool,
    check_only_on_failure: bool,
) -> Result<Option<(SourceText, Outcome)>, FileError> {
    if !mentions_cdk(&bytes) {
        return Ok(None);
    }
    let src = SourceText::from_bytes(bytes).map_err(FileError::NotUtf8)?;
    let outcome = match engine.run(&src, settings, fix) {
        Err(FileError::Internal(_)) if fix && check_only_on_failure => {
            engine.run(&src, settings, false)?
        }
        outcome => outcome?,
    };
    Ok(Some((src, outcome)))
}
