//! The command line: arguments, configuration precedence, running the engine
//! over every file in parallel, and handing each file's result to the output.

mod add_suppressions;
mod git;
mod github;
mod output;
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
use output::Output;
use project::{AppContexts, app_folder, app_folder_tag_keys, app_layers};
use rayon::prelude::*;
use report::print_list;
use std::collections::{BTreeSet, HashMap, HashSet};
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
    /// Run only these codemods (ids, or cdk-nag / checkov rule ids they resolve; comma-separated;
    /// `ALL` for every one, the opt-in ones too).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub select: Option<Vec<String>>,
    /// Run these codemods as well as the selected ones (opt-in codemods are run only when named).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub extend_select: Option<Vec<String>>,
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
    // Boxed paths: a batch holds one per file for the whole run.
    let mut jobs: Vec<(usize, Box<Path>)> = Vec::new();
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
        jobs.reserve(files.len());
        for f in files {
            // The same file reached through two paths is processed once, so
            // two writers never race on it (one walk yields each file once).
            if roots.len() > 1 {
                let key = std::fs::canonicalize(&f).unwrap_or_else(|_| f.clone());
                if !seen.insert(key) {
                    continue;
                }
            }
            jobs.push((i, f.into_boxed_path()));
        }
    }

    // A first read of every file for the facts a few codemods need about
    // the whole project (tags applied at app level in app.py, the layers an
    // app builds); texts are not kept, the files are read again one window
    // at a time.
    // Per file, only a byte is kept (and, for the few files that have any,
    // their facts until they are gathered below): a batch covers many files.
    let (first, facts): (Vec<FirstRead>, Vec<Option<Box<Facts>>>) =
        jobs.par_iter().map(|(_, path)| scan(path)).unzip();
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
            .zip(&facts)
            .filter(|((root, _), _)| *root == i)
            .filter_map(|(_, facts)| facts.as_deref())
            .flat_map(|facts| facts.tag_keys.iter().cloned())
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
    // Keyed by (path given, app index): looked up once per file.
    let mut app_settings: HashMap<(usize, usize), Settings> = HashMap::new();
    // Each file's app as an index into the few apps of the run.
    let mut app_list: Vec<Option<PathBuf>> = Vec::new();
    let mut app_index: HashMap<Option<PathBuf>, usize> = HashMap::new();
    let job_apps: Vec<usize> = jobs
        .iter()
        .map(|(_, f)| {
            let app = apps.cdk_json(f);
            *app_index.entry(app.clone()).or_insert_with(|| {
                app_list.push(app);
                app_list.len() - 1
            })
        })
        .collect();
    let found_layers = job_apps
        .iter()
        .zip(facts)
        .filter_map(|(&app, facts)| Some((app_list[app].clone(), facts?.layers?)))
        .collect();
    let mut layers = app_layers(found_layers);
    for ((root, _), &a) in jobs.iter().zip(&job_apps) {
        let app = &app_list[a];
        app_settings.entry((*root, a)).or_insert_with(|| {
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
    let run_one = |i: usize| -> FileResult {
        let (root, path) = &jobs[i];
        let settings = &app_settings[&(*root, job_apps[i])];
        let outcome = match first[i] {
            FirstRead::NotCdk => Ok(None),
            // Read again: a file that could not be read says why once more.
            FirstRead::Cdk | FirstRead::Failed => {
                read(path).and_then(|b| process(&engine, b, settings, fix, mode == Mode::Check))
            }
        };
        FileResult {
            root: *root,
            path: path.to_path_buf(),
            outcome,
        }
    };

    // The git guard of --write, decided before any file is written, so that
    // files can be written as they are fixed.
    let mut notes = Vec::new();
    let mut verdicts = vec![git::Verdict::Write; jobs.len()];
    if mode == Mode::Write && !args.allow_dirty {
        let candidates: Vec<usize> = (0..jobs.len())
            .filter(|&i| first[i] == FirstRead::Cdk)
            .collect();
        let paths: Vec<&Path> = candidates.iter().map(|&i| &*jobs[i].1).collect();
        let scan = git::scan(&paths);
        // Only a dirty file the fixes change holds its repository back:
        // those few are fixed once more, here, to know.
        let changes: Vec<bool> = candidates
            .par_iter()
            .zip(&scan.dirty)
            .map(|(&i, &dirty)| {
                !dirty || matches!(run_one(i).outcome, Ok(Some((_, o))) if o.fixed.is_some())
            })
            .collect();
        let guard = git::decide(&scan, &changes);
        errors.extend(guard.errors);
        notes = guard.notes;
        for (&i, verdict) in candidates.iter().zip(guard.verdicts) {
            verdicts[i] = verdict;
        }
    }

    // Locked for one window's output at a time: the interrupt handler
    // prints too, and must not wait on a lock the run holds while parked.
    let locks = || (anstream::stdout().lock(), anstream::stderr().lock());
    let mut output = Output::new(
        catalogue,
        mode,
        args.output_format,
        args.add_suppressions,
        args.statistics,
        roots.len(),
    );
    let (mut out, mut err) = locks();
    output.start(&mut out, &mut err, &errors, &notes);
    drop((out, err));
    let progress = progress::Progress::new(jobs.len(), args.output_format);
    // Files are fixed in parallel a window at a time and their results go
    // out in order, each dropped once printed or written: memory holds one
    // window, however many files the run covers.
    let window = 64 * rayon::current_num_threads().max(1);
    for start in (0..jobs.len()).step_by(window) {
        let end = (start + window).min(jobs.len());
        let results: Vec<FileResult> = (start..end)
            .into_par_iter()
            .map(|i| {
                let mut r = run_one(i);
                if mode == Mode::Write {
                    write::write_result(&mut r, &verdicts[i]);
                }
                progress.done(r.root, &roots);
                r
            })
            .collect();
        if write::interrupted() {
            // The interrupt handler is ending the process; wait for it.
            loop {
                std::thread::park();
            }
        }
        progress.suspend(|| {
            let (mut out, mut err) = locks();
            for r in &results {
                output.file(&mut out, &mut err, r);
            }
        });
    }
    progress.finish();
    let (mut out, mut err) = locks();
    output.finish(&mut out, &mut err, &errors, &roots, &root_errors)
}

/// What the first read of a file says of it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FirstRead {
    /// It never mentions `aws_cdk`: it is not parsed.
    NotCdk,
    Cdk,
    /// It could not be read.
    Failed,
}

/// The project facts a file holds, when it holds any.
struct Facts {
    tag_keys: Vec<String>,
    layers: Option<project::Layers>,
}

fn scan(path: &Path) -> (FirstRead, Option<Box<Facts>>) {
    let Ok(bytes) = read(path) else {
        return (FirstRead::Failed, None);
    };
    let facts = Facts {
        tag_keys: app_tag_keys(&String::from_utf8_lossy(&bytes)),
        layers: project::layers_in(&bytes),
    };
    let first = match mentions_cdk(&bytes) {
        true => FirstRead::Cdk,
        false => FirstRead::NotCdk,
    };
    let any = !facts.tag_keys.is_empty() || facts.layers.is_some();
    (first, any.then(|| Box::new(facts)))
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
    for (key, ids) in [
        ("select", &file.select),
        ("extend_select", &file.extend_select),
        ("ignore", &file.ignore),
    ] {
        if let (Some(e), Some(path)) = (unknown(ids.as_ref()), file_path) {
            let table = if path.file_name().is_some_and(|n| n == "pyproject.toml") {
                "[tool.cdkfix]: "
            } else {
                ""
            };
            return Err(format!("{}: {table}{key}: {e}", path.display()));
        }
    }
    for (flag, ids) in [
        ("--select", &args.select),
        ("--extend-select", &args.extend_select),
        ("--ignore", &args.ignore),
    ] {
        if let Some(e) = unknown(ids.as_ref()) {
            return Err(format!("{flag}: {e}"));
        }
    }
    let select = args.select.as_ref().or(file.select.as_ref());
    let ignore = args.ignore.as_ref().or(file.ignore.as_ref());
    // The flag and the file both extend: the file's list is the project's
    // standing choice, the flag one run's addition.
    let extend: Vec<&String> = args
        .extend_select
        .iter()
        .chain(&file.extend_select)
        .flatten()
        .collect();
    let named = |ids: Option<&Vec<String>>, e: &crate::catalogue::Entry| {
        ids.is_some_and(|s| s.iter().any(|id| e.matches(id)))
    };
    let enabled = catalogue
        .entries
        .iter()
        .map(|e| {
            let selected = match select {
                Some(_) => named(select, e),
                None => e.opt_in.is_none(),
            };
            (selected || extend.iter().any(|id| e.matches(id))) && !named(ignore, e)
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

/// Check, or with `fix` also fix (in memory: `--write` then writes it, see
/// `write::write_result`), one file. `Ok(None)` for a file
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
