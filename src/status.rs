//! The state socket that `--status` reads: a Unix stream socket beside the pid file, mode 0600.
//!
//! Protocol: the client connects and reads; the daemon writes the state as ONE line of JSON ended
//! by a newline, then closes. A reply without its final newline (or with a newline before the
//! end) is incomplete, and the client says so and fails.
//!
//! The daemon side never blocks the loop and never holds more than it can afford: each reply is
//! built once, buffered, and written on writable readiness; at most [`MAX_CLIENTS`] clients are
//! answered at a time (more wait in the listen backlog: the owner calls
//! [`StatusServer::on_listener`] again after each client event, which accepts them as slots free),
//! a reply is at most [`MAX_REPLY`] bytes, and a client that has not read all of it within
//! [`CLIENT_DEADLINE`] is dropped.

use std::io::{self, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use log::{debug, warn};
use mio::{Interest, Token};

use crate::reactor::Core;
use crate::reactor::conns::Conns;
use crate::time::Instant;

/// Clients answered at the same time.
pub const MAX_CLIENTS: usize = 16;
/// The largest reply (about 16,000 VRRP instances).
pub const MAX_REPLY: usize = 16 << 20;
/// How long a client may take to read its reply.
pub const CLIENT_DEADLINE: Duration = Duration::from_secs(5);

/// The state socket for a pid file: `<stem>.status.sock` beside it, which can never be the pid
/// file itself (a pid file's extension has no dot): `/run/keepalived-rs.pid` ->
/// `/run/keepalived-rs.status.sock`, `/x/k.sock` -> `/x/k.status.sock`.
pub fn socket_path(pid_file: &Path) -> PathBuf {
    let stem = pid_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    pid_file.with_file_name(format!("{stem}.status.sock"))
}

/// A client's reply and how much of it went.
struct Reply {
    bytes: Vec<u8>,
    sent: usize,
}

/// The listening socket and the clients being answered. `K` is the loop's owner key: `client`
/// for the clients' fds, `timer` for their deadlines.
pub struct StatusServer<K> {
    listener: UnixListener,
    path: PathBuf,
    clients: Conns<UnixStream, Reply, K>,
}

impl<K: Copy> StatusServer<K> {
    /// Binds the socket at `path` (mode 0600 through the umask at bind time; a leftover socket
    /// file is removed first, which the caller's pid file lock makes safe) and registers it
    /// with `listen_key`.
    pub fn open(
        path: PathBuf,
        core: &mut Core<K>,
        listen_key: K,
        client_key: K,
        timer_key: K,
    ) -> io::Result<StatusServer<K>> {
        // unlink(2) removes a symlink, never its target; bind(2) never follows one.
        let _ = std::fs::remove_file(&path);
        let old = crate::sys::umask(0o177);
        let bound = UnixListener::bind(&path);
        crate::sys::umask(old);
        let listener = bound?;
        listener.set_nonblocking(true)?;
        core.register_fd(&listener, Interest::READABLE, listen_key)?;
        Ok(StatusServer {
            listener,
            path,
            clients: Conns::new(client_key, timer_key),
        })
    }

    /// Accepts waiting clients while there are free slots and starts their replies (`reply()` is
    /// called once per client).
    pub fn on_listener(&mut self, core: &mut Core<K>, now: Instant, reply: impl Fn() -> String) {
        while self.clients.len() < MAX_CLIENTS {
            let stream = match self.listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    warn!("State socket accept: {e}");
                    return;
                }
            };
            let mut text = reply();
            debug_assert!(!text.contains('\n'), "the state is one line");
            text.push('\n');
            if text.len() > MAX_REPLY {
                warn!(
                    "--status: the state is {} bytes, over {MAX_REPLY}; not sent",
                    text.len()
                );
                continue;
            }
            if let Err(e) = stream.set_nonblocking(true) {
                debug!("--status client: {e}");
                continue;
            }
            let reply = Reply {
                bytes: text.into_bytes(),
                sent: 0,
            };
            match self.clients.add(
                core,
                stream,
                Interest::WRITABLE,
                now + CLIENT_DEADLINE,
                reply,
            ) {
                Ok(i) => self.write(core, i),
                Err(e) => warn!("--status client: {e}"),
            }
        }
    }

    /// A client's socket is writable (or closed): write what it takes.
    pub fn on_client(&mut self, core: &mut Core<K>, token: Token) {
        if let Some(i) = self.clients.find(token) {
            self.write(core, i);
        }
    }

    /// A deadline passed: drops the clients that are late.
    pub fn on_timer(&mut self, core: &mut Core<K>, now: Instant) {
        while let Some(i) = self.clients.late(now) {
            let r = &self.clients.get(i).state;
            debug!(
                "--status client did not read its reply within {CLIENT_DEADLINE:?} ({} of {} bytes): dropped",
                r.sent,
                r.bytes.len()
            );
            self.clients.close(core, i);
        }
    }

    /// Writes client `i` until done (then closes it), blocked (waits for readiness) or failed.
    fn write(&mut self, core: &mut Core<K>, i: usize) {
        let c = self.clients.get_mut(i);
        let r = &mut c.state;
        while r.sent < r.bytes.len() {
            match c.stream.write(&r.bytes[r.sent..]) {
                Ok(0) => break,
                Ok(n) => r.sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    debug!("--status client: {e}");
                    break;
                }
            }
        }
        self.clients.close(core, i);
    }

    /// Closes every client and the listener, and removes the socket file.
    pub fn shut(mut self, core: &mut Core<K>) {
        self.clients.close_all(core);
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Why `--status` got no state.
#[derive(Debug)]
pub enum ReadError {
    /// Nobody listens at the socket (no daemon, or not ours to read).
    Connect(PathBuf, io::Error),
    /// The answer stopped early or did not come in time.
    Incomplete { bytes: usize, why: String },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Connect(p, e) => {
                write!(f, "no running daemon answers: {}: {e}", p.display())
            }
            ReadError::Incomplete { bytes, why } => {
                write!(
                    f,
                    "the daemon's answer is incomplete ({bytes} bytes): {why}"
                )
            }
        }
    }
}

/// `--status`: the running daemon's state (one line of JSON, with its newline), read whole.
pub fn read(pid_file: &Path) -> Result<String, ReadError> {
    let path = socket_path(pid_file);
    let mut s = UnixStream::connect(&path).map_err(|e| ReadError::Connect(path.clone(), e))?;
    let mut out = Vec::new();
    let incomplete = |out: &Vec<u8>, why: String| ReadError::Incomplete {
        bytes: out.len(),
        why,
    };
    // The daemon answers within CLIENT_DEADLINE once it takes us, which may wait for as long
    // for a slot.
    let end = std::time::Instant::now() + CLIENT_DEADLINE * 2 + Duration::from_secs(1);
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let left = end.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(incomplete(&out, "timed out".into()));
        }
        let _ = s.set_read_timeout(Some(left));
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(incomplete(&out, e.to_string())),
        }
    }
    let newlines = out.iter().filter(|&&b| b == b'\n').count();
    if out.last() != Some(&b'\n') || newlines != 1 {
        return Err(incomplete(&out, "cut short".into()));
    }
    String::from_utf8(out).map_err(|e| ReadError::Incomplete {
        bytes: e.as_bytes().len(),
        why: "not UTF-8".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_is_never_the_pid_file() {
        for (pid, sock) in [
            ("/run/keepalived-rs.pid", "/run/keepalived-rs.status.sock"),
            ("/run/keepalived.pid", "/run/keepalived.status.sock"),
            ("/x/k.sock", "/x/k.status.sock"),
            ("/x/k.status.sock", "/x/k.status.status.sock"),
            ("/x/k", "/x/k.status.sock"),
            ("/x/.sock", "/x/.sock.status.sock"),
        ] {
            assert_eq!(socket_path(Path::new(pid)), Path::new(sock), "{pid}");
            assert_ne!(socket_path(Path::new(pid)), Path::new(pid));
        }
    }
}
