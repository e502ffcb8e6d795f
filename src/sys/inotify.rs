//! inotify(7): a non-blocking watch descriptor set, and a safe parser of the events it reads.
//!
//! The fd is edge-triggered in the reactor like every other: read until `WouldBlock`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

use super::cvt;

/// A file was written and closed.
pub const IN_CLOSE_WRITE: u32 = libc::IN_CLOSE_WRITE;
/// A name was moved out of the watched directory.
pub const IN_MOVED_FROM: u32 = libc::IN_MOVED_FROM;
/// A name was moved into the watched directory.
pub const IN_MOVED_TO: u32 = libc::IN_MOVED_TO;
/// A name was deleted from the watched directory.
pub const IN_DELETE: u32 = libc::IN_DELETE;
/// The event is about a directory.
pub const IN_ISDIR: u32 = libc::IN_ISDIR;
/// The kernel's event queue overflowed: events were lost.
pub const IN_Q_OVERFLOW: u32 = libc::IN_Q_OVERFLOW;

/// The size of `struct inotify_event` without its name.
const HEADER: usize = 16;

/// An inotify instance (`IN_NONBLOCK | IN_CLOEXEC`).
#[derive(Debug)]
pub struct Inotify {
    fd: OwnedFd,
}

impl Inotify {
    pub fn new() -> io::Result<Inotify> {
        // SAFETY: plain syscall.
        let fd = cvt(unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) })?;
        // SAFETY: a new fd that nothing else owns.
        Ok(Inotify {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Watches `path` for `mask`; returns the watch descriptor (the same one again for a path
    /// already watched).
    pub fn add_watch(&self, path: &Path, mask: u32) -> io::Result<i32> {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in path"))?;
        // SAFETY: a valid C string that lives across the call.
        cvt(unsafe { libc::inotify_add_watch(self.fd.as_raw_fd(), c.as_ptr(), mask) })
    }

    /// Reads a batch of events into `buf` (`WouldBlock` when there are none). `EINTR` is retried.
    /// `buf` must hold at least one event with the longest name (`16 + NAME_MAX + 1` bytes).
    pub fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            // SAFETY: the buffer is valid for its length.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}

impl AsRawFd for Inotify {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// One event: the watch, what happened, and the name inside a watched directory (empty for the
/// watched object itself), without its NUL padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    pub wd: i32,
    pub mask: u32,
    pub name: &'a [u8],
}

/// The events in a buffer [`Inotify::read`] filled. A truncated tail is ignored (the kernel never
/// writes one).
pub fn events(buf: &[u8]) -> impl Iterator<Item = Event<'_>> {
    let mut rest = buf;
    std::iter::from_fn(move || {
        let h = rest.get(..HEADER)?;
        let word = |i: usize| [h[i], h[i + 1], h[i + 2], h[i + 3]];
        let wd = i32::from_ne_bytes(word(0));
        let mask = u32::from_ne_bytes(word(4));
        let len = u32::from_ne_bytes(word(12)) as usize;
        let name = rest.get(HEADER..HEADER + len)?;
        rest = &rest[HEADER + len..];
        let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        Some(Event {
            wd,
            mask,
            name: &name[..end],
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(wd: i32, mask: u32, name: &[u8], padded: usize) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&wd.to_ne_bytes());
        v.extend_from_slice(&mask.to_ne_bytes());
        v.extend_from_slice(&0u32.to_ne_bytes());
        v.extend_from_slice(&(padded as u32).to_ne_bytes());
        let mut n = name.to_vec();
        n.resize(padded, 0);
        v.extend_from_slice(&n);
        v
    }

    #[test]
    fn parses_a_batch_with_padding_and_ignores_a_cut_tail() {
        let mut b = raw(1, IN_CLOSE_WRITE, b"prio", 16);
        b.extend(raw(2, IN_DELETE | IN_ISDIR, b"", 0));
        b.extend(raw(1, IN_MOVED_TO, b"a-much-longer-name", 32));
        let cut = raw(3, IN_DELETE, b"x", 16);
        b.extend_from_slice(&cut[..20]);
        let ev: Vec<Event> = events(&b).collect();
        assert_eq!(
            ev,
            [
                Event {
                    wd: 1,
                    mask: IN_CLOSE_WRITE,
                    name: b"prio"
                },
                Event {
                    wd: 2,
                    mask: IN_DELETE | IN_ISDIR,
                    name: b""
                },
                Event {
                    wd: 1,
                    mask: IN_MOVED_TO,
                    name: b"a-much-longer-name"
                },
            ]
        );
    }

    #[test]
    fn a_write_in_a_watched_directory_is_seen() {
        let dir = std::env::temp_dir().join(format!("krs-inotify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ino = Inotify::new().unwrap();
        let wd = ino
            .add_watch(
                &dir,
                IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO,
            )
            .unwrap();
        let mut buf = vec![0u8; 4096];
        assert_eq!(
            ino.read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        std::fs::write(dir.join("value"), "7\n").unwrap();
        std::fs::remove_file(dir.join("value")).unwrap();
        let n = ino.read(&mut buf).unwrap();
        let got: Vec<(i32, u32, Vec<u8>)> = events(&buf[..n])
            .map(|e| (e.wd, e.mask, e.name.to_vec()))
            .collect();
        assert_eq!(
            got,
            [
                (wd, IN_CLOSE_WRITE, b"value".to_vec()),
                (wd, IN_DELETE, b"value".to_vec())
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
