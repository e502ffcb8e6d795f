//! The pid file, held with an `flock(2)` lock for the life of the daemon.
//!
//! keepalived decides whether a pid file is stale by `kill(pid, 0)`, which goes wrong when the pid has
//! been reused (after `kill -9`, 2.2.7 refuses to start every other time). A lock cannot go wrong that
//! way: the kernel drops it when its holder dies, however it dies. So:
//! - lock taken: any content is stale; it is replaced by our pid;
//! - lock busy: a live instance holds it; we refuse to start and name its pid.
//!
//! On an orderly exit the file is removed while still locked. A starter racing with that removal
//! re-opens the path after locking if the inode it locked is no longer the one at the path
//! ([`crate::sys::lock_file`]).

use std::fmt;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::sys::{self, LockAttempt, LockedFile};

#[derive(Debug)]
pub enum PidFileError {
    /// Another instance holds the lock.
    Running {
        path: PathBuf,
        pid: Option<i32>,
    },
    Io {
        path: PathBuf,
        err: io::Error,
    },
}

impl fmt::Display for PidFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PidFileError::Running {
                path,
                pid: Some(pid),
            } => write!(
                f,
                "keepalived-rs is already running (pid {pid}, pid file {}); stop it first or use another -p",
                path.display()
            ),
            PidFileError::Running { path, pid: None } => write!(
                f,
                "keepalived-rs is already running (pid file {} is locked); stop it first or use another -p",
                path.display()
            ),
            PidFileError::Io { path, err } => {
                write!(f, "cannot write pid file {}: {err}", path.display())
            }
        }
    }
}

impl std::error::Error for PidFileError {}

/// A held pid file. Dropping it removes the file (and the extra copies).
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
    _lock: LockedFile,
    extra: Vec<PathBuf>,
    /// The pid a previous, dead instance left behind, if any.
    pub stale_pid: Option<i32>,
}

fn parse_pid(text: &str) -> Option<i32> {
    text.trim().parse().ok().filter(|&p: &i32| p > 0)
}

impl PidFile {
    /// Locks `path` and writes our pid into it and into every `extra` file (keepalived's child pid
    /// files, for scripts that read them).
    pub fn acquire(path: &Path, extra: &[PathBuf]) -> Result<PidFile, PidFileError> {
        let io_err = |err| PidFileError::Io {
            path: path.to_path_buf(),
            err,
        };
        match sys::lock_file(path).map_err(io_err)? {
            LockAttempt::Busy(mut file) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                Err(PidFileError::Running {
                    path: path.to_path_buf(),
                    pid: parse_pid(&text),
                })
            }
            LockAttempt::Locked(mut lock) => {
                let mut old = String::new();
                let _ = lock.file.read_to_string(&mut old);
                let me = sys::getpid();
                let stale_pid = parse_pid(&old).filter(|&p| p != me);
                let line = format!("{me}\n");
                lock.file.set_len(0).map_err(io_err)?;
                lock.file.rewind().map_err(io_err)?;
                lock.file.write_all(line.as_bytes()).map_err(io_err)?;
                for p in extra {
                    sys::files::replace(p, line.as_bytes(), sys::files::PID_MODE).map_err(
                        |err| PidFileError::Io {
                            path: p.clone(),
                            err,
                        },
                    )?;
                }
                Ok(PidFile {
                    path: path.to_path_buf(),
                    _lock: lock,
                    extra: extra.to_vec(),
                    stale_pid,
                })
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        // Unlink while the lock is still held (the lock goes when the fd closes, after this).
        let _ = std::fs::remove_file(&self.path);
        for p in &self.extra {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pid file path in a fresh directory, removed when the guard drops.
    struct Tmp(PathBuf);
    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    fn tmp(name: &str) -> (Tmp, PathBuf) {
        let dir = std::env::temp_dir().join(format!("krs-pid-{}-{name}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        (Tmp(dir.clone()), dir.join("k.pid"))
    }

    #[test]
    fn second_acquire_is_refused_with_pid_and_stale_is_replaced() {
        let (_guard, path) = tmp("a");
        std::fs::write(&path, "999999\n").unwrap();
        let held = PidFile::acquire(&path, &[]).unwrap();
        assert_eq!(held.stale_pid, Some(999_999));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{}\n", std::process::id())
        );
        // flock locks belong to the open file description, so a second open in this process
        // conflicts just like another process would.
        match PidFile::acquire(&path, &[]) {
            Err(PidFileError::Running { pid, .. }) => {
                assert_eq!(pid, Some(std::process::id() as i32))
            }
            other => panic!("expected refusal, got {other:?}"),
        }
        drop(held);
        assert!(!path.exists(), "removed at drop");
        let again = PidFile::acquire(&path, &[]).unwrap();
        assert_eq!(again.stale_pid, None);
    }

    #[test]
    fn extra_files_get_the_pid_and_go_away() {
        let (_guard, path) = tmp("b");
        let extra = path.with_file_name("vrrp.pid");
        let held = PidFile::acquire(&path, std::slice::from_ref(&extra)).unwrap();
        assert_eq!(
            std::fs::read_to_string(&extra).unwrap(),
            format!("{}\n", std::process::id())
        );
        drop(held);
        assert!(!extra.exists());
    }

    #[test]
    fn missing_directory_is_a_clear_error() {
        let err = PidFile::acquire(Path::new("/nonexistent-dir-krs/k.pid"), &[]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot write pid file /nonexistent-dir-krs/k.pid: "),
            "{err}"
        );
    }
}
