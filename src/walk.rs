//! Which files a path stands for: a file as given, or the Python files below a
//! folder, honouring .gitignore (inside a git repository or not) and skipping
//! build output, virtualenvs and dependencies.

use ignore::WalkBuilder;
use ignore::overrides::OverrideBuilder;
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

/// The files to process under `root`, sorted, and the errors met on the way.
pub fn files(root: &Path, exclude: &[String]) -> (Vec<PathBuf>, Vec<String>) {
    if !root.exists() {
        return (
            Vec::new(),
            vec![format!("{}: no such file or directory", root.display())],
        );
    }
    if root.is_file() {
        return (vec![root.to_path_buf()], Vec::new());
    }
    let mut errors = Vec::new();
    let mut builder = WalkBuilder::new(root);
    builder
        .require_git(false)
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .filter_entry(|e| !(e.file_type().is_some_and(|t| t.is_dir()) && is_skipped_dir(e.path())));
    if !exclude.is_empty() {
        let mut overrides = OverrideBuilder::new(root);
        for pattern in exclude {
            if let Err(e) = overrides.add(&format!("!{pattern}")) {
                errors.push(format!("exclude pattern `{pattern}`: {e}"));
            }
        }
        match overrides.build() {
            Ok(o) => {
                builder.overrides(o);
            }
            Err(e) => errors.push(format!("exclude patterns: {e}")),
        }
    }
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
