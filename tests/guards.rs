//! What `--write` refuses or survives, through the built binary: files with
//! uncommitted changes in git, read-only files, and SIGINT / SIGTERM in the
//! middle of a run (every file old or new, no temporary file left).

mod common;
use common::*;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const DIRTY: &str = "has uncommitted changes; commit or stash them, or pass --allow-dirty";

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
}

/// A git repository holding `files`, all committed.
fn repo(root: &Path, files: &[(&str, &str)]) {
    fs::create_dir_all(root).unwrap();
    write_files(root, files);
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "init"]);
}

fn read(path: PathBuf) -> String {
    fs::read_to_string(path).unwrap()
}

/// The text `--write` gives BUCKET (outside git, alone).
fn fixed_bucket() -> String {
    let dir = project(&[("stack.py", BUCKET)]);
    let out = cdkfix(dir.path(), &["--write", "stack.py"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let fixed = read(dir.path().join("stack.py"));
    assert_ne!(fixed, BUCKET);
    fixed
}

#[test]
fn files_with_uncommitted_changes_are_refused_and_their_repository_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("infra");
    repo(
        &root,
        &[
            ("app/clean.py", BUCKET),
            ("app/modified.py", BUCKET),
            ("app/staged.py", BUCKET),
            ("notes.txt", "x\n"),
        ],
    );
    let modified = format!("{BUCKET}# mine\n");
    write_files(
        &root,
        &[
            ("app/modified.py", &modified),
            ("app/staged.py", &modified),
            ("app/new/untracked.py", BUCKET),
        ],
    );
    git(&root, &["add", "app/staged.py"]);
    // Run from a folder below the repository's root.
    let out = cdkfix(&root.join("app"), &["--write", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    for name in ["modified.py", "staged.py", "new/untracked.py"] {
        assert!(err.contains(&format!("error: {name}: {DIRTY}")), "{err}");
    }
    assert!(!err.contains("clean.py"), "{err}");
    assert!(
        err.contains("nothing written in this repository: 3 files cdkfix would change have uncommitted changes"),
        "{err}"
    );
    // Nothing written in that repository, the clean file included.
    assert_eq!(read(root.join("app/clean.py")), BUCKET);
    assert_eq!(read(root.join("app/modified.py")), modified);
    assert_eq!(read(root.join("app/staged.py")), modified);
    assert_eq!(read(root.join("app/new/untracked.py")), BUCKET);

    // --allow-dirty writes them all.
    let out = cdkfix(&root.join("app"), &["--write", "--allow-dirty", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let fixed = fixed_bucket();
    assert_eq!(read(root.join("app/clean.py")), fixed);
    assert_eq!(read(root.join("app/new/untracked.py")), fixed);
    assert!(read(root.join("app/modified.py")).contains("BLOCK_ALL"));
}

#[test]
fn only_the_files_cdkfix_writes_must_be_clean() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    repo(
        &root,
        &[
            ("stack.py", BUCKET),
            ("helper.py", "X = 1\n"),
            (".gitignore", "generated/\n"),
        ],
    );
    // A dirty file cdkfix does not change, and an ignored one it does
    // (named on the command line): neither holds the write back.
    write_files(
        &root,
        &[
            ("helper.py", "X = 2\n"),
            ("scratch.txt", "x\n"),
            ("generated/gen.py", BUCKET),
        ],
    );
    let out = cdkfix(&root, &["--write", ".", "generated/gen.py"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let fixed = fixed_bucket();
    assert_eq!(read(root.join("stack.py")), fixed);
    assert_eq!(read(root.join("generated/gen.py")), fixed);
    assert_eq!(read(root.join("helper.py")), "X = 2\n");
}

#[test]
fn a_dirty_repository_does_not_hold_back_the_others_in_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    repo(&one, &[("stack.py", BUCKET)]);
    repo(&two, &[("stack.py", BUCKET), ("other.py", BUCKET)]);
    fs::write(two.join("other.py"), format!("{BUCKET}# wip\n")).unwrap();
    let outside = dir.path().join("loose");
    write_files(&outside, &[("stack.py", BUCKET)]);
    let out = cdkfix(dir.path(), &["--write", "one", "two", "loose"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("error: two/other.py: {DIRTY}")),
        "{err}"
    );
    let fixed = fixed_bucket();
    assert_eq!(read(one.join("stack.py")), fixed);
    assert_eq!(read(outside.join("stack.py")), fixed);
    assert_eq!(read(two.join("stack.py")), BUCKET);
    // The batch summary counts what was written.
    // (the dirty file's findings are not counted: it is an error).
    assert!(
        err.contains("two: 2 files, 2 findings, 0 files fixed, 1 error"),
        "{err}"
    );
    assert!(
        err.contains("note: two: nothing written in this repository: 1 file cdkfix would change has uncommitted changes"),
        "{err}"
    );
    assert!(
        err.contains("one: 1 file, 2 findings, 1 file fixed, 0 errors"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn read_only_files_are_not_rewritten() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(&[("ro.py", BUCKET), ("rw.py", BUCKET)]);
    let ro = dir.path().join("ro.py");
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o444)).unwrap();
    let out = as_unprivileged_user(dir.path(), &["--write", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("error: ro.py: cannot write: read-only file; file left unchanged"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read(ro.clone()), BUCKET);
    assert_eq!(
        fs::metadata(&ro).unwrap().permissions().mode() & 0o777,
        0o444
    );
    assert_eq!(read(dir.path().join("rw.py")), fixed_bucket());
    assert!(temp_files(dir.path()).is_empty());
}

/// Run cdkfix as a user whom permission bits bind. Root may write any file,
/// so a root test run hands the folder to `nobody` and drops to it (with
/// `setpriv`, from util-linux); the binary is copied where `nobody` can run it.
#[cfg(unix)]
fn as_unprivileged_user(dir: &Path, args: &[&str]) -> Output {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return cdkfix(dir, args);
    }
    const NOBODY: &str = "65534";
    let bin = dir.join("bin");
    fs::create_dir(&bin).unwrap();
    let exe = bin.join("cdkfix");
    fs::copy(env!("CARGO_BIN_EXE_cdkfix"), &exe).unwrap();
    let chown = Command::new("chown")
        .args(["-R", &format!("{NOBODY}:{NOBODY}")])
        .arg(dir)
        .status()
        .expect("chown runs");
    assert!(chown.success());
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new("setpriv")
        .args([
            &format!("--reuid={NOBODY}"),
            &format!("--regid={NOBODY}"),
            "--clear-groups",
        ])
        .arg(&exe)
        .args(args)
        .current_dir(dir)
        .output();
    out.expect("setpriv (util-linux) runs cdkfix as nobody")
}

/// `.cdkfix-*.tmp` files anywhere under `root`.
fn temp_files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if entry.file_name().to_string_lossy().starts_with(".cdkfix-") {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn a_normal_run_leaves_no_temporary_file() {
    let files: Vec<(String, &str)> = (0..50)
        .map(|i| (format!("d{}/s{i}.py", i % 5), BUCKET))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    let dir = project(&files);
    let out = cdkfix(dir.path(), &["--write", "--unsafe-fixes", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(temp_files(dir.path()).is_empty());
    assert!(read(dir.path().join("d0/s0.py")).contains("RETAIN"));
}

/// Files in the big tree the signal tests run over.
const MANY: usize = 1500;
const FOLDERS: usize = 15;

fn big_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in 0..FOLDERS {
        fs::create_dir_all(dir.path().join(format!("d{f}"))).unwrap();
    }
    for i in 0..MANY {
        fs::write(tree_file(dir.path(), i), BUCKET).unwrap();
    }
    dir
}

fn tree_file(root: &Path, i: usize) -> PathBuf {
    root.join(format!("d{}/s{i}.py", i % FOLDERS))
}

/// Whether a temporary file shows that writing has begun.
fn writing(root: &Path) -> bool {
    (0..FOLDERS).any(|f| {
        fs::read_dir(root.join(format!("d{f}")))
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".cdkfix-"))
    })
}

/// Run `--write` over the big tree and send `signal` once `when` says so;
/// then every file is the original or the fixed text, none is a temporary
/// file, and cdkfix exited with 130. Returns how many files were written.
#[cfg(unix)]
fn interrupted_write(signal: i32, when: &dyn Fn(&Path, Instant) -> bool) -> usize {
    let fixed = fixed_bucket();
    let dir = big_tree();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cdkfix"))
        .current_dir(dir.path())
        .args(["--write", "."])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("cdkfix finished ({status}) before the signal: make the tree bigger");
        }
        if when(dir.path(), start) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(300), "no write seen");
        std::thread::sleep(Duration::from_millis(1));
    }
    // SAFETY: plain kill(2) on our own child's pid.
    let sent = unsafe { libc::kill(child.id() as i32, signal) };
    assert_eq!(sent, 0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    assert_eq!(temp_files(dir.path()), Vec::<PathBuf>::new());
    let mut written = 0;
    for i in 0..MANY {
        let text = read(tree_file(dir.path(), i));
        if text == fixed {
            written += 1;
        } else {
            assert_eq!(text, BUCKET, "file {i} is neither old nor new");
        }
    }
    written
}

#[cfg(unix)]
#[test]
fn sigint_while_writing_leaves_every_file_old_or_new() {
    let written = interrupted_write(libc::SIGINT, &|root, _| writing(root));
    assert!(written < MANY, "the signal came after the last write");
}

#[cfg(unix)]
#[test]
fn sigterm_while_writing_leaves_every_file_old_or_new() {
    let written = interrupted_write(libc::SIGTERM, &|root, _| writing(root));
    assert!(written < MANY, "the signal came after the last write");
}

#[cfg(unix)]
#[test]
fn sigint_at_a_moment_picked_by_time_stops_the_run() {
    // Files are written as they are fixed, a window at a time: wherever the
    // signal lands, the files not reached yet stay as they were.
    let written = interrupted_write(libc::SIGINT, &|_, start| {
        start.elapsed() > Duration::from_millis(300)
    });
    assert!(written < MANY, "the signal came after the last write");
}
