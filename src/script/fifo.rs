//! Notify FIFOs: lines written in order, never waiting for a reader.
//!
//! A FIFO is created if missing and opened read-write and non-blocking (never through a symlink,
//! never anything but a FIFO), so the daemon never waits for a reader and the first lines are kept
//! in the pipe until one comes; when the pipe is full, lines wait in a queue (in order) and go out
//! with the next line. What the lines say is the caller's (VRRP: `vrrp_exec::notify`).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;

use log::{debug, error, warn};

/// One FIFO written to, and the lines waiting for room in it.
pub struct FifoOut {
    path: PathBuf,
    file: Option<File>,
    queue: VecDeque<Vec<u8>>,
}

impl FifoOut {
    pub fn open(path: PathBuf) -> FifoOut {
        let mut f = FifoOut {
            path,
            file: None,
            queue: VecDeque::new(),
        };
        f.reopen();
        f
    }

    /// Creates the FIFO if missing and opens it: never through a symlink, never anything but a
    /// FIFO (a user's link to a root file in `/tmp` must not receive the lines).
    fn reopen(&mut self) {
        use crate::sys::files;
        if let Err(e) = crate::sys::mkfifo(&self.path) {
            error!("Cannot create notify FIFO {}: {e}", self.path.display());
            return;
        }
        match files::open_checked(
            &self.path,
            std::fs::OpenOptions::new().read(true).write(true),
            0,
            files::MODE,
            files::Kind::Fifo,
        ) {
            Ok(f) => self.file = Some(f),
            Err(e) => error!("Cannot open notify FIFO {}: {e}", self.path.display()),
        }
    }

    pub fn write(&mut self, line: &str) {
        let mut l = line.as_bytes().to_vec();
        l.push(b'\n');
        self.queue.push_back(l);
        self.flush();
    }

    fn flush(&mut self) {
        let Some(f) = &mut self.file else { return };
        while let Some(l) = self.queue.front_mut() {
            match f.write(l) {
                Ok(n) if n == l.len() => {
                    self.queue.pop_front();
                }
                Ok(n) => {
                    l.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    debug!(
                        "notify FIFO {} full: {} line(s) wait",
                        self.path.display(),
                        self.queue.len()
                    );
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    warn!("notify FIFO {}: {e}", self.path.display());
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("krs-fifo-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// Lines written before any reader came wait in the pipe, in order.
    #[test]
    fn lines_wait_in_the_pipe_for_a_reader() {
        let d = temp_dir("order");
        let mut f = FifoOut::open(d.join("fifo"));
        f.write("INSTANCE \"VI_1\" BACKUP 100");
        f.write("INSTANCE \"VI_1\" MASTER 100");
        let mut r = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(d.join("fifo"))
            .unwrap();
        let mut buf = [0u8; 256];
        let n = r.read(&mut buf).unwrap();
        assert_eq!(
            &buf[..n],
            b"INSTANCE \"VI_1\" BACKUP 100\nINSTANCE \"VI_1\" MASTER 100\n"
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    /// A symlink where the FIFO should be is not followed: the file it points to gets nothing.
    #[test]
    fn a_symlink_is_not_written_through() {
        let d = temp_dir("link");
        std::fs::write(d.join("target"), b"").unwrap();
        std::os::unix::fs::symlink(d.join("target"), d.join("fifo")).unwrap();
        let mut f = FifoOut::open(d.join("fifo"));
        f.write("INSTANCE \"VI_1\" MASTER 100");
        assert_eq!(std::fs::read(d.join("target")).unwrap(), b"");
        let _ = std::fs::remove_dir_all(&d);
    }
}
