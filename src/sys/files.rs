//! Files the daemon writes as root, in places where a local user may write too (`/tmp` holds the
//! dumps by default; pid, log, FIFO and track files go wherever the configuration says).
//!
//! Invariants, for every file the daemon writes (CVE-2018-19044/19045/19046 are keepalived's
//! versions of breaking them):
//! - The final component of a path is never followed when it is a symlink (`O_NOFOLLOW`), so a
//!   user's link to `/etc/shadow` is never written through, whatever `fs.protected_symlinks` says.
//! - A whole file is replaced, never rewritten in place: written to a fresh file with an
//!   unpredictable name in the target's directory (`O_CREAT|O_EXCL|O_NOFOLLOW`, so nothing planted
//!   there is opened), then renamed over the target (a rename replaces a symlink or a user's file
//!   at the target name; it never follows it). A reader sees the old file or the new one.
//! - A file the daemon creates is mode 0600 whatever the umask (keepalived's mode), owned by the
//!   daemon's user.
//! - A file that must be opened in place (a log appended to, a track file that users' scripts also
//!   write, a FIFO) must be of the expected type and, when regular, have one link: a hard link to a
//!   root file planted by a user is refused.
//!
//! The directories on the way are trusted: the administrator chose them.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The mode of every file the daemon creates.
pub const MODE: u32 = 0o600;

/// The mode of pid files (keepalived's: scripts that are not root read them).
pub const PID_MODE: u32 = 0o644;

/// What an opened path must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Regular,
    Fifo,
    /// A regular file or a character device (a log on `/dev/console`: users cannot make
    /// device nodes, so one at the path was put there by root).
    RegularOrDevice,
}

/// Replaces `path` with `bytes` in one step (see the module doc), with `mode` (0600 for
/// everything but the pid files, which keepalived makes 0644 for scripts to read).
pub fn replace(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let (tmp, mut file) = create_beside(path, mode)?;
    // No fsync: readers need the rename to be atomic, not durable, and the loop must not wait
    // for a disk.
    let written = file.write_all(bytes);
    drop(file);
    written
        .and_then(|()| std::fs::rename(&tmp, path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
}

/// A fresh file in `path`'s directory, named `.NAME.XXXXXXXXXXXXXXXX` (64 random bits), created
/// exclusively, with exactly `mode` whatever the umask.
fn create_beside(path: &Path, mode: u32) -> io::Result<(PathBuf, File)> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let mut last = None;
    // A name that exists is a collision or a user's guess: take another.
    for _ in 0..8 {
        let tmp = path.with_file_name(format!(
            ".{}.{:016x}",
            name.to_string_lossy(),
            super::random_u64()
        ));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp)
        {
            Ok(f) => {
                // The umask may have taken bits away (or `-u 0` added none): set it exactly.
                f.set_permissions(std::fs::Permissions::from_mode(mode))?;
                return Ok((tmp, f));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temporary name")))
}

/// Opens `path` with `opts` and `flags` plus `O_NOFOLLOW` and `O_NONBLOCK` (a FIFO planted where
/// a regular file belongs must not block the open), then checks that it is a `kind` (and, if
/// regular, has a single link). Creation (if `opts` asks for it) uses `mode` (less the umask).
pub fn open_checked(
    path: &Path,
    opts: &mut OpenOptions,
    flags: i32,
    mode: u32,
    kind: Kind,
) -> io::Result<File> {
    let file = opts
        .mode(mode)
        .custom_flags(flags | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| {
            // O_NOFOLLOW says ELOOP, or EACCES with O_CREAT in a sticky directory.
            match std::fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_symlink() => io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "is a symbolic link: refusing to follow it",
                ),
                _ => e,
            }
        })?;
    check(&file, kind)?;
    Ok(file)
}

/// Fails unless the open file is a `kind` and, when regular, has exactly one link.
pub fn check(file: &File, kind: Kind) -> io::Result<()> {
    let m = file.metadata()?;
    let ft = m.file_type();
    let bad = |what: &str| {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            what.to_string(),
        ))
    };
    use std::os::unix::fs::FileTypeExt;
    match kind {
        Kind::RegularOrDevice if ft.is_char_device() => Ok(()),
        Kind::Regular | Kind::RegularOrDevice if !ft.is_file() => bad("is not a regular file"),
        Kind::Regular | Kind::RegularOrDevice if m.nlink() != 1 => {
            bad("has other hard links: refusing to write it")
        }
        Kind::Fifo if !ft.is_fifo() => bad("is not a FIFO"),
        _ => Ok(()),
    }
}

/// Opens a log file for appending (created 0600): never through a symlink, never a file with
/// other links. A file someone else owns is taken over (owner the daemon's, mode 0600), as
/// keepalived does with its log files. A character device is used as it is.
pub fn open_append(path: &Path) -> io::Result<File> {
    let file = open_checked(
        path,
        OpenOptions::new().append(true).create(true),
        0,
        MODE,
        Kind::RegularOrDevice,
    )?;
    let m = file.metadata()?;
    if !m.is_file() {
        return Ok(file);
    }
    // SAFETY: plain syscalls without arguments.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    if m.uid() != uid {
        std::os::unix::fs::fchown(&file, Some(uid), Some(gid))?;
    }
    if m.mode() & 0o7777 != MODE {
        file.set_permissions(std::fs::Permissions::from_mode(MODE))?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tmp(PathBuf);
    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    fn tmp(tag: &str) -> Tmp {
        let d = std::env::temp_dir().join(format!("krs-files-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Tmp(d)
    }

    #[test]
    fn replace_goes_around_a_symlink_and_leaves_nothing_behind() {
        let d = tmp("replace");
        let victim = d.0.join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let target = d.0.join("dump");
        std::os::unix::fs::symlink(&victim, &target).unwrap();
        replace(&target, b"new", MODE).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        let m = std::fs::symlink_metadata(&target).unwrap();
        assert!(m.is_file());
        assert_eq!(m.mode() & 0o7777, MODE);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(std::fs::read_dir(&d.0).unwrap().count(), 2);
    }

    #[test]
    fn open_checked_refuses_links_and_wrong_kinds() {
        let d = tmp("open");
        let victim = d.0.join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let link = d.0.join("link");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let e = open_append(&link).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        let hard = d.0.join("hard");
        std::fs::hard_link(&victim, &hard).unwrap();
        let e = open_append(&hard).unwrap_err();
        assert!(e.to_string().contains("hard links"), "{e}");
        let e =
            open_checked(&victim, OpenOptions::new().read(true), 0, MODE, Kind::Fifo).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        open_append(Path::new("/dev/null")).expect("a character device is a log target");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    }
}
