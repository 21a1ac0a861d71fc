//! Which files a path stands for: a file as given, or the Python files below a
//! folder, honouring .gitignore (inside a git repository or not) and skipping
//! build output, virtualenvs and dependencies.

use ignore::WalkBuilder;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::path::{Path, PathBuf};

/// Folder names that never hold a project's own CDK source.
const SKIPPED_DIRS: &[&str] = &[
    "cdk.out",
    "node_modules",
    "__pycache__",
    "site-packages",
    "venv",
    ".venv",
];

fn is_skipped_dir(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| SKIPPED_DIRS.contains(&n))
        // A virtualenv under any name.
        || path.join("pyvenv.cfg").is_file()
}

/// `path` made absolute against the current folder, with `.` and `..`
/// resolved by name (symbolic links are not followed), so the same place is
/// spelled one way wherever the path came from.
pub fn absolute(path: &Path) -> PathBuf {
    use std::path::Component;
    let joined = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The `exclude` patterns of one configuration, matched relative to the folder
/// of the file that defines them (so `sub/**` means the same thing whichever
/// path is given on the command line).
#[derive(Clone)]
pub struct Exclude {
    base: PathBuf,
    matcher: Gitignore,
}

impl Exclude {
    /// `patterns` (gitignore syntax) relative to the folder `base`, and the
    /// errors of the patterns that do not parse.
    pub fn new(base: &Path, patterns: &[String]) -> (Exclude, Vec<String>) {
        let base = absolute(base);
        let mut builder = GitignoreBuilder::new(&base);
        let mut errors = Vec::new();
        for pattern in patterns {
            if let Err(e) = builder.add_line(None, pattern) {
                errors.push(format!("exclude pattern `{pattern}`: {e}"));
            }
        }
        let matcher = builder.build().unwrap_or_else(|e| {
            errors.push(format!("exclude patterns: {e}"));
            Gitignore::empty()
        });
        (Exclude { base, matcher }, errors)
    }

    /// No patterns.
    pub fn none() -> Exclude {
        Exclude {
            base: PathBuf::new(),
            matcher: Gitignore::empty(),
        }
    }

    /// Whether `path`, or a folder it is in, matches a pattern. A path outside
    /// the configuration's folder never does.
    pub fn excludes(&self, path: &Path, is_dir: bool) -> bool {
        if self.matcher.is_empty() {
            return false;
        }
        let path = absolute(path);
        let Ok(relative) = path.strip_prefix(&self.base) else {
            return false;
        };
        !relative.as_os_str().is_empty()
            && self
                .matcher
                .matched_path_or_any_parents(relative, is_dir)
                .is_ignore()
    }
}

/// The files to process under `root`, sorted, and the errors met on the way.
/// A file named as `root` is processed even when gitignored (it was asked
/// for), but not when `exclude` matches it: a configured exclusion holds for
/// file names passed by hooks too.
pub fn files(root: &Path, exclude: &Exclude) -> (Vec<PathBuf>, Vec<String>) {
    if !root.exists() {
        return (
            Vec::new(),
            vec![format!("{}: no such file or directory", root.display())],
        );
    }
    if root.is_file() {
        if exclude.excludes(root, false) {
            return (Vec::new(), Vec::new());
        }
        return (vec![root.to_path_buf()], Vec::new());
    }
    if exclude.excludes(root, true) {
        return (Vec::new(), Vec::new());
    }
    let mut errors = Vec::new();
    let mut builder = WalkBuilder::new(root);
    let exclude = exclude.clone();
    builder
        .require_git(false)
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .filter_entry(move |e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            let skipped = is_dir && is_skipped_dir(e.path());
            !skipped && !exclude.excludes(e.path(), is_dir)
        });
    let mut files = Vec::new();
    for entry in builder.build() {
        match entry {
            Ok(e) => {
                let is_py = e.path().extension().is_some_and(|x| x == "py");
                if is_py && e.file_type().is_some_and(|t| t.is_file()) {
                    files.push(e.into_path());
                }
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    files.sort();
    (files, errors)
}
