//! Notify FIFOs: lines written in order, never waiting for a reader.
//!
//! A FIFO is created if missing and opened read-write and non-blocking (never through a symlink,
//! never anything but a FIFO), so the daemon never waits for a reader and the first lines are kept
//! in the pipe until one comes; when the pipe is full, lines wait in a queue (in order) and go out
//! with the next line. What the lines say is the caller's (VRRP: `vrrpd::notify`).

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
