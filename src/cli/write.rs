//! Writing fixed files (`--write`): the guards (uncommitted changes,
//! read-only files), atomic replacement, and what happens on Ctrl-C.

use super::FileResult;
use super::git::Verdict;
use crate::engine::FileError;
use std::io::Write;
use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard};

/// Write one fixed file, as the git guard decided (see `git::decide`): a
/// file that is not written gets its error, or (held back with its
/// repository) its findings as they are on disk.
pub(super) fn write_result(r: &mut FileResult, verdict: &Verdict) {
    let Ok(Some((src, o))) = &mut r.outcome else {
        return;
    };
    let Some(fixed) = &o.fixed else { return };
    match verdict {
        Verdict::Write => {}
        Verdict::Dirty => {
            r.outcome = Err(FileError::Dirty);
            return;
        }
        Verdict::Held => {
            o.fixed = None;
            o.applied.clear();
            o.remaining = o.findings.clone();
            return;
        }
    }
    let bytes = crate::source::SourceText {
        text: fixed.clone(),
        ..src.clone()
    }
    .to_bytes();
    if let Err(e) = write_atomic(&r.path, &bytes) {
        r.outcome = Err(FileError::Write(e.to_string()));
    }
}

/// Write through a temporary file in the same folder and rename it over the
/// original, so a crash or a full disk never leaves a half-written file. A
/// read-only file is left alone: replacing it by rename would succeed (the
/// folder is writable) and silently override its owner's choice.
pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path)?;
    let dir = target.parent().unwrap_or(Path::new("."));
    let permissions = std::fs::metadata(&target)?.permissions();
    if !may_write(&target, &permissions) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "read-only file",
        ));
    }
    // Declared before the temporary file, so dropped after it: the file is
    // gone before an interrupt may end the process.
    let _slot = WriteSlot::take()?;
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

/// Whether the user running cdkfix may write `path` in place, as `access(2)`
/// says: the rename must not bypass what an in-place write would be refused
/// (for root, whom permission bits do not stop, only a read-only file system
/// refuses).
#[cfg(unix)]
fn may_write(path: &Path, _: &std::fs::Permissions) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path; access only reads it.
    unsafe { libc::access(c_path.as_ptr(), libc::W_OK) == 0 }
}

#[cfg(not(unix))]
fn may_write(_: &Path, permissions: &std::fs::Permissions) -> bool {
    !permissions.readonly()
}

/// Writes in flight, and whether an interrupt asked the run to stop.
struct Writes {
    in_flight: usize,
    interrupted: bool,
}

static WRITES: Mutex<Writes> = Mutex::new(Writes {
    in_flight: 0,
    interrupted: false,
});
static WRITE_DONE: Condvar = Condvar::new();

fn writes() -> MutexGuard<'static, Writes> {
    // A panicking writer leaves the count right (its slot's drop runs), so
    // a poisoned lock holds nothing wrong.
    WRITES.lock().unwrap_or_else(|e| e.into_inner())
}

/// A write in progress; an interrupt waits until every slot is given back.
struct WriteSlot;

impl WriteSlot {
    fn take() -> std::io::Result<WriteSlot> {
        let mut w = writes();
        if w.interrupted {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "interrupted",
            ));
        }
        w.in_flight += 1;
        Ok(WriteSlot)
    }
}

impl Drop for WriteSlot {
    fn drop(&mut self) {
        let mut w = writes();
        w.in_flight -= 1;
        WRITE_DONE.notify_all();
    }
}

/// On SIGINT, SIGTERM or SIGHUP (Ctrl-C on Windows) during `--write`: start
/// no new write, let those in flight finish (each ends renamed or with its
/// temporary file removed), then exit with 130. Every file is then either as
/// it was or fully fixed, and no temporary file is left. The handler runs on
/// its own thread, not in signal context, so it may lock and wait.
pub(super) fn stop_cleanly_on_interrupt() {
    let installed = ctrlc::set_handler(|| {
        let mut w = writes();
        w.interrupted = true;
        while w.in_flight > 0 {
            w = WRITE_DONE.wait(w).unwrap_or_else(|e| e.into_inner());
        }
        eprintln!("cdkfix: interrupted; files not yet written are unchanged");
        std::process::exit(130);
    });
    if let Err(e) = installed {
        eprintln!(
            "note: cannot catch interrupts ({e}); an interrupted run may leave a temporary .cdkfix-*.tmp file"
        );
    }
}

/// Whether an interrupt arrived (the handler is then ending the process).
pub(super) fn interrupted() -> bool {
    writes().interrupted
}
