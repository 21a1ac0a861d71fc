//! The packaging tier: cdkfix as Python users get it. `maturin sdist` packs
//! the repository as `pyproject.toml` says, pip builds a wheel from that sdist
//! alone, and the wheel's `cdkfix` runs from a fresh virtualenv; pre-commit
//! installs this checkout as `.pre-commit-hooks.yaml` describes and runs both
//! hooks on a throwaway git repository.
//!
//! The tools (maturin, pre-commit) are pinned in `tests/wheel/requirements.txt`
//! and installed into `target/wheel/venv-tools/` on first use. Builds go to
//! `target/wheel/cargo/`, kept between runs, with release settings as cheap as
//! a debug build: this tier checks what the packages hold and that they run.
//! Without python3, its venv module or the package index the tier is skipped
//! with a message, except under `CI=true`, where that is a failure.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn work() -> PathBuf {
    repo().join("target/wheel")
}

fn bin_dir(venv: &Path) -> PathBuf {
    venv.join(if cfg!(windows) { "Scripts" } else { "bin" })
}

fn exe(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// Held while a test builds or installs: the tests share the tools and the
/// build directory, within one test binary and across `cargo test` runs.
fn lock() -> File {
    fs::create_dir_all(work()).unwrap();
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(work().join(".lock"))
        .unwrap();
    file.lock().unwrap();
    file
}

/// Runs `cmd`; its output when it succeeds, else what it said.
fn run(cmd: &mut Command) -> Result<Output, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{cmd:?} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn must(cmd: &mut Command) -> Output {
    run(cmd).unwrap_or_else(|e| panic!("{e}"))
}

/// The tools environment's bin folder, or why it cannot be had.
fn tools() -> Result<PathBuf, String> {
    static TOOLS: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    TOOLS.get_or_init(set_up_tools).clone()
}

/// Creates `target/wheel/venv-tools` unless it holds what the requirements
/// file lists now (a copy of the file is its stamp, written last).
fn set_up_tools() -> Result<PathBuf, String> {
    let _lock = lock();
    let venv = work().join("venv-tools");
    let bin = bin_dir(&venv);
    let requirements = repo().join("tests/wheel/requirements.txt");
    let wanted = fs::read(&requirements).unwrap();
    let stamp = venv.join("requirements.txt");
    if exe(&bin, "python").is_file() && fs::read(&stamp).ok() == Some(wanted.clone()) {
        return Ok(bin);
    }
    let _ = fs::remove_dir_all(&venv);
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
        .map_err(|e| format!("python3 cannot create a virtualenv: {e}"))?;
    run(Command::new(exe(&bin, "python"))
        .args(["-m", "pip", "install", "--disable-pip-version-check"])
        .args(["--no-input", "--quiet", "-r"])
        .arg(&requirements))
    .map_err(|e| format!("cannot install tests/wheel/requirements.txt: {e}"))?;
    fs::write(&stamp, wanted).unwrap();
    Ok(bin)
}

/// Says why a test does nothing, past the test harness's capture of
/// `eprintln!`, so a passing run shows it too.
fn skip(why: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{why}");
}

/// The tools' bin folder; `None` (after saying why) where the tier is
/// skipped, a failure under `CI=true`.
fn tools_or_skip() -> Option<PathBuf> {
    match tools() {
        Ok(bin) => Some(bin),
        Err(why) if std::env::var("CI").as_deref() != Ok("true") => {
            skip(&format!("packaging tier skipped: {why}"));
            None
        }
        Err(why) => panic!("packaging tier cannot run under CI: {why}"),
    }
}

/// Release builds (what pip and maturin make) at the cost of a debug build,
/// into the tier's own target folder: `cargo test` holds the lock on
/// `target/debug` while tests run, and release artifacts would not be shared
/// with it anyway. pip passes the environment through to maturin and cargo.
fn cheap_build(cmd: &mut Command) -> &mut Command {
    cmd.env("CARGO_TARGET_DIR", work().join("cargo"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "false")
}

/// `PATH` with the tools first: maturin's PEP 517 hooks run the `maturin`
/// they find there.
fn tools_path(tools: &Path) -> std::ffi::OsString {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(tools.to_path_buf()).chain(std::env::split_paths(&rest)))
        .unwrap()
}

/// Makes `to` hold exactly what `from` holds, leaving files whose bytes are
/// the same untouched: cargo judges freshness by modification times, so an
/// unchanged sdist costs no rebuild.
fn sync_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(to).unwrap() {
        let entry = entry.unwrap();
        let source = from.join(entry.file_name());
        let kept = if entry.file_type().unwrap().is_dir() {
            source.is_dir()
        } else {
            source.is_file()
        };
        if !kept {
            if entry.file_type().unwrap().is_dir() {
                fs::remove_dir_all(entry.path()).unwrap();
            } else {
                fs::remove_file(entry.path()).unwrap();
            }
        }
    }
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            sync_tree(&entry.path(), &target);
        } else if fs::read(&target).ok() != Some(fs::read(entry.path()).unwrap()) {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The one file in `dir` whose name ends with `suffix`.
fn only_file(dir: &Path, suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {suffix} expected in {dir:?}: {found:?}"
    );
    found.into_iter().next().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn wheel_built_from_the_sdist_installs_a_working_cdkfix() {
    let Some(tools) = tools_or_skip() else {
        return;
    };
    let _lock = lock();
    let dist = work().join("dist");
    let _ = fs::remove_dir_all(&dist);

    // The sdist: what the build reads, not the tests and their apps.
    must(
        Command::new(exe(&tools, "maturin"))
            .current_dir(repo())
            .args(["sdist", "--out"])
            .arg(&dist),
    );
    let sdist = only_file(&dist, ".tar.gz");
    assert_eq!(
        sdist.file_name().unwrap().to_string_lossy(),
        format!("cdkfix-{VERSION}.tar.gz")
    );
    let listing = text(&must(Command::new("tar").arg("-tzf").arg(&sdist)).stdout);
    let root = format!("cdkfix-{VERSION}/");
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "pyproject.toml",
        "README.md",
        "build.rs",
        "src/main.rs",
        "data/cdk_api.txt",
        "codemods/s3-bucket-public-access-not-blocked.toml",
    ] {
        assert!(
            listing.lines().any(|l| l == format!("{root}{needed}")),
            "the sdist lacks {needed}:\n{listing}"
        );
    }
    for left_out in ["fixtures/", "tests/", "target/", "scripts/"] {
        assert!(
            !listing
                .lines()
                .any(|l| l.starts_with(&format!("{root}{left_out}"))),
            "the sdist holds {left_out}"
        );
    }

    // A wheel from the unpacked sdist alone, through maturin's PEP 517 hooks
    // as pip calls them.
    let unpacked = tempfile::tempdir_in(work()).unwrap();
    must(
        Command::new("tar")
            .arg("-xzf")
            .arg(&sdist)
            .arg("-C")
            .arg(unpacked.path()),
    );
    let source = work().join("sdist");
    sync_tree(unpacked.path(), &source);
    let source = source.join(format!("cdkfix-{VERSION}"));
    must(
        cheap_build(&mut Command::new(exe(&tools, "python")))
            .env("PATH", tools_path(&tools))
            .args(["-m", "pip", "wheel", "--disable-pip-version-check"])
            .args([
                "--no-deps",
                "--no-build-isolation",
                "--quiet",
                "--wheel-dir",
            ])
            .arg(&dist)
            .arg(&source),
    );
    let wheel = only_file(&dist, ".whl");
    let wheel_name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        wheel_name.starts_with(&format!("cdkfix-{VERSION}-py3-none-")),
        "{wheel_name}"
    );

    // Installed into a fresh virtualenv, it puts `cdkfix` in the venv's bin.
    let venv = tempfile::tempdir_in(work()).unwrap();
    must(
        Command::new(exe(&tools, "python"))
            .args(["-m", "virtualenv", "--quiet"])
            .arg(venv.path()),
    );
    let venv_bin = bin_dir(venv.path());
    must(
        Command::new(exe(&venv_bin, "python"))
            .args(["-m", "pip", "install", "--disable-pip-version-check"])
            .args(["--no-index", "--quiet"])
            .arg(&wheel),
    );
    let cdkfix = exe(&venv_bin, "cdkfix");
    assert!(
        cdkfix.is_file() && !cdkfix.is_symlink(),
        "{cdkfix:?} missing"
    );
    let metadata = must(Command::new(exe(&venv_bin, "python")).args([
        "-c",
        "import importlib.metadata as m; print(m.version('cdkfix'))",
    ]));
    assert_eq!(text(&metadata.stdout).trim(), VERSION, "package version");

    // Found on PATH as an activated virtualenv puts it there.
    let on_path = |args: &[&str], dir: &Path| {
        Command::new("cdkfix")
            .current_dir(dir)
            .args(args)
            .env("PATH", &venv_bin)
            .env_remove("CLICOLOR_FORCE")
            .output()
            .unwrap()
    };
    let version = on_path(&["--version"], venv.path());
    assert!(version.status.success(), "{}", text(&version.stderr));
    assert_eq!(text(&version.stdout).trim(), format!("cdkfix {VERSION}"));

    let project = tempfile::tempdir().unwrap();
    let file = project.path().join("storage.py");
    let original =
        fs::read(repo().join("fixtures/s3-bucket-public-access-not-blocked/one_line_call.py"))
            .unwrap();
    fs::write(&file, &original).unwrap();
    let out = on_path(&["--dry-run", "storage.py"], project.path());
    let diff = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        diff.contains("--- a/storage.py\n+++ b/storage.py\n")
            && diff.contains("+            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,\n"),
        "{diff}"
    );
    assert_eq!(
        fs::read(&file).unwrap(),
        original,
        "--dry-run wrote the file"
    );
}

/// A stack with one bucket that neither blocks public access nor says how it
/// is encrypted: two safe fixes.
const STACK: &str = "from aws_cdk import Stack, aws_s3 as s3
from constructs import Construct


class StorageStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        s3.Bucket(self, \"B\")
";

/// Only the two safe S3 entries, so a fixed file has nothing left; the
/// `generated/` folder is excluded even when pre-commit names its files.
const CONFIG: &str =
    "select = [\"s3-bucket-public-access-not-blocked\", \"s3-bucket-encryption-implicit\"]
exclude = [\"generated/**\"]
";

fn git(dir: &Path, args: &[&str]) -> Output {
    must(
        Command::new("git")
            .current_dir(dir)
            .args(args)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env("GIT_AUTHOR_NAME", "cdkfix tests")
            .env("GIT_AUTHOR_EMAIL", "tests@cdkfix.invalid")
            .env("GIT_COMMITTER_NAME", "cdkfix tests")
            .env("GIT_COMMITTER_EMAIL", "tests@cdkfix.invalid"),
    )
}

/// `pre-commit try-repo <this checkout> --files ...` in `dir`, which runs
/// every hook the checkout declares: exit code and output. try-repo takes the checkout's HEAD plus the changes to
/// its tracked files, and installs the hooks in a store of its own each time
/// (`PRE_COMMIT_HOME` only keeps pre-commit's other state out of the home
/// folder), so each call builds the wheel; the shared target folder keeps
/// that to compiling cdkfix itself.
fn try_repo(tools: &Path, dir: &Path, files: &[&str]) -> (i32, String) {
    let mut cmd = Command::new(exe(tools, "pre-commit"));
    cmd.current_dir(dir)
        .args(["try-repo", "--color", "never", "--verbose"])
        .arg(repo())
        .arg("--files")
        .args(files)
        .env("PATH", tools_path(tools))
        .env("PRE_COMMIT_HOME", work().join("pre-commit"))
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    let out = cheap_build(&mut cmd).output().unwrap();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    (out.status.code().unwrap_or(-1), all)
}

#[test]
fn pre_commit_hooks_check_then_fix() {
    let Some(tools) = tools_or_skip() else {
        return;
    };
    if let Err(why) = run(Command::new("git")
        .current_dir(repo())
        .args(["rev-parse", "HEAD"]))
    {
        if std::env::var("CI").as_deref() != Ok("true") {
            skip(&format!(
                "pre-commit hooks skipped: this checkout is no git repository: {why}"
            ));
            return;
        }
        panic!("pre-commit hooks cannot run under CI: {why}");
    }
    let _lock = lock();
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    fs::write(dir.join("stack.py"), STACK).unwrap();
    fs::create_dir_all(dir.join("generated")).unwrap();
    fs::write(dir.join("generated/stack.py"), STACK).unwrap();
    fs::write(dir.join("cdkfix.toml"), CONFIG).unwrap();
    git(dir, &["init", "--quiet"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "--quiet", "-m", "stack"]);
    let files = ["stack.py", "generated/stack.py"];

    // Both hooks, in id order: the check sees the findings, the fix then
    // rewrites the file and fails because it did.
    let (code, output) = try_repo(&tools, dir, &files);
    assert_eq!(code, 1, "{output}");
    let check = output
        .split("\ncdkfix (fix)")
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        check.contains("Failed")
            && check.contains("stack.py:8:9: s3-bucket-public-access-not-blocked")
            && check.contains("stack.py:8:9: s3-bucket-encryption-implicit"),
        "the check hook should fail with the findings:\n{output}"
    );
    assert!(
        !output.contains("generated/stack.py:8"),
        "an excluded file was checked:\n{output}"
    );
    assert!(
        output.contains("files were modified by this hook"),
        "the fix hook should fail for having changed a file:\n{output}"
    );
    let fixed = fs::read_to_string(dir.join("stack.py")).unwrap();
    assert!(
        fixed.contains("block_public_access=s3.BlockPublicAccess.BLOCK_ALL")
            && fixed.contains("encryption=s3.BucketEncryption.S3_MANAGED"),
        "{fixed}"
    );
    assert_eq!(
        fs::read_to_string(dir.join("generated/stack.py")).unwrap(),
        STACK,
        "the fix hook rewrote an excluded file"
    );

    // A second run of both passes and changes nothing.
    let (code, output) = try_repo(&tools, dir, &files);
    assert_eq!(code, 0, "a second run should pass:\n{output}");
    assert_eq!(output.matches("Passed").count(), 2, "{output}");
    assert_eq!(fs::read_to_string(dir.join("stack.py")).unwrap(), fixed);
}
