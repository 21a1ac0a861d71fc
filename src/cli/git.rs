//! The git guard of `--write`: like `cargo fix`, cdkfix does not rewrite a
//! file with uncommitted changes, so its edits never mix with a person's
//! unreviewed ones. One `git status` per repository, not per file: a batch
//! run covers many repositories and thousands of files.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the guard decides for one file cdkfix may write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Outside git, or clean in a repository where every file to write is.
    Write,
    /// The file has uncommitted changes (modified, staged or untracked).
    Dirty,
    /// Clean, but its repository is not written: another file there is
    /// dirty, or git could not say.
    Held,
}

#[derive(Debug, Default)]
pub(super) struct Guard {
    /// One per file asked about, in order.
    pub(super) verdicts: Vec<Verdict>,
    /// Repositories whose status git could not give (their files are held).
    pub(super) errors: Vec<String>,
    pub(super) notes: Vec<String>,
}

/// What git says of the files cdkfix may write: which repository each is
/// in and whether it has uncommitted changes. Asked before any file is
/// fixed, so that fixed files can be written as they come.
#[derive(Debug, Default)]
pub(super) struct Scan {
    /// Per file: its repository (an index into `repos`), if any.
    repo: Vec<Option<usize>>,
    /// Per file: uncommitted changes.
    pub(super) dirty: Vec<bool>,
    /// Per repository: as shown to the user, and why git could not tell.
    repos: Vec<(PathBuf, Option<String>)>,
    git_missing: bool,
}

/// One `git status` per repository of `files`.
pub(super) fn scan(files: &[&Path]) -> Scan {
    let mut scan = Scan {
        repo: vec![None; files.len()],
        dirty: vec![false; files.len()],
        ..Scan::default()
    };
    let mut roots = RepoRoots::default();
    // Sorted, so notes come in a stable order.
    let mut repos: BTreeMap<PathBuf, Vec<(usize, PathBuf)>> = BTreeMap::new();
    for (i, file) in files.iter().enumerate() {
        let Ok(file) = std::fs::canonicalize(file) else {
            continue;
        };
        let Some(root) = file.parent().and_then(|d| roots.of(d)) else {
            continue;
        };
        let relative = file.strip_prefix(&root).unwrap_or(&file).to_path_buf();
        repos.entry(root).or_default().push((i, relative));
    }
    let cwd = std::env::current_dir().and_then(std::fs::canonicalize).ok();
    for (root, members) in repos {
        // Shown as the user would write it: relative to where cdkfix runs.
        let shown = match cwd.as_deref().and_then(|c| root.strip_prefix(c).ok()) {
            Some(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
            Some(rel) => rel.to_path_buf(),
            None => root.clone(),
        };
        let failed = match status(&root) {
            Ok(dirty) => {
                for (i, rel) in &members {
                    scan.dirty[*i] = dirty.iter().any(|d| rel.starts_with(d));
                }
                None
            }
            Err(Status::GitMissing) => {
                // No git here: no other repository can be checked either.
                scan.git_missing = true;
                scan.repo.iter_mut().for_each(|r| *r = None);
                scan.dirty.iter_mut().for_each(|d| *d = false);
                return scan;
            }
            Err(Status::Failed(why)) => Some(why),
        };
        for (i, _) in &members {
            scan.repo[*i] = Some(scan.repos.len());
        }
        scan.repos.push((shown, failed));
    }
    scan
}

/// Decide, for each file scanned, whether it may be written, given which
/// of them the fixes change: a repository where a file to change has
/// uncommitted changes is not written at all.
pub(super) fn decide(scan: &Scan, changes: &[bool]) -> Guard {
    let mut guard = Guard {
        verdicts: vec![Verdict::Write; scan.repo.len()],
        ..Guard::default()
    };
    if scan.git_missing {
        guard.notes.push(
            "git not found: files in git repositories are written without checking for uncommitted changes".into(),
        );
        return guard;
    }
    for (r, (shown, failed)) in scan.repos.iter().enumerate() {
        let members: Vec<usize> = (0..scan.repo.len())
            .filter(|&i| scan.repo[i] == Some(r))
            .collect();
        if let Some(why) = failed {
            if !members.iter().any(|&i| changes[i]) {
                continue;
            }
            for &i in &members {
                guard.verdicts[i] = Verdict::Held;
            }
            guard.errors.push(format!(
                "{}: cannot tell which files have uncommitted changes ({why}); nothing written in this repository (--allow-dirty writes anyway)",
                shown.display()
            ));
            continue;
        }
        let count = members
            .iter()
            .filter(|&&i| scan.dirty[i] && changes[i])
            .count();
        if count == 0 {
            continue;
        }
        for &i in &members {
            guard.verdicts[i] = match scan.dirty[i] && changes[i] {
                true => Verdict::Dirty,
                false => Verdict::Held,
            };
        }
        guard.notes.push(format!(
            "{}: nothing written in this repository: {} cdkfix would change {} uncommitted changes",
            shown.display(),
            match count {
                1 => "1 file".to_string(),
                n => format!("{n} files"),
            },
            if count == 1 { "has" } else { "have" },
        ));
    }
    guard
}

/// The repository each folder belongs to: the nearest folder at or above it
/// holding `.git` (a folder, or a file in a worktree or submodule),
/// remembered per folder.
#[derive(Default)]
struct RepoRoots {
    by_dir: HashMap<PathBuf, Option<PathBuf>>,
}

impl RepoRoots {
    fn of(&mut self, dir: &Path) -> Option<PathBuf> {
        if let Some(found) = self.by_dir.get(dir) {
            return found.clone();
        }
        let found = if dir.join(".git").exists() {
            Some(dir.to_path_buf())
        } else {
            dir.parent().and_then(|up| self.of(up))
        };
        self.by_dir.insert(dir.to_path_buf(), found.clone());
        found
    }
}

enum Status {
    GitMissing,
    Failed(String),
}

/// The paths, relative to `root`, that `git status` lists: modified, staged
/// and untracked files (an untracked folder is listed once, as a prefix of
/// every file in it). Ignored files are not listed.
fn status(root: &Path) -> Result<HashSet<PathBuf>, Status> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "status",
            "--porcelain=v1",
            "-z",
            // A configuration hiding untracked files must not hide them here.
            "--untracked-files=normal",
            "--ignored=no",
        ])
        // The repository found above decides, not one a hook points at.
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Status::GitMissing),
        Err(e) => return Err(Status::Failed(format!("cannot run git: {e}"))),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or("").trim();
        return Err(Status::Failed(format!("git status failed: {first}")));
    }
    Ok(parse_porcelain(&output.stdout))
}

/// Entries of `git status --porcelain=v1 -z`: `XY path\0`, and for a rename
/// or copy a second field, the path it came from, which is not a file in the
/// work tree any more.
fn parse_porcelain(out: &[u8]) -> HashSet<PathBuf> {
    let mut paths = HashSet::new();
    let mut fields = out.split(|&b| b == 0).filter(|f| !f.is_empty());
    while let Some(field) = fields.next() {
        if field.len() < 4 {
            continue;
        }
        let (xy, path) = (&field[..2], &field[3..]);
        paths.insert(path_from_bytes(path));
        if xy.iter().any(|c| matches!(c, b'R' | b'C')) {
            fields.next();
        }
    }
    paths
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_entries_renames_and_untracked_folders() {
        let out = b" M app/stack.py\0A  new.py\0R  moved.py\0old.py\0?? scratch/\0";
        let paths = parse_porcelain(out);
        let want: HashSet<PathBuf> = ["app/stack.py", "new.py", "moved.py", "scratch/"]
            .into_iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(paths, want);
        // A file in an untracked folder is dirty through its folder.
        assert!(Path::new("scratch/a.py").starts_with("scratch/"));
        assert!(!Path::new("scratchy.py").starts_with("scratch/"));
    }
}
