//! The service manager's notification socket (`$NOTIFY_SOCKET`, the protocol of sd_notify(3),
//! without libsystemd): the environment taken once at start, one unbound, non-blocking,
//! close-on-exec unix datagram socket, one datagram per message.
//!
//! What the messages say lives in the daemon (`daemon::notify`); nothing here knows them.

use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// The variables a service manager sets for a notifying service, read once.
#[derive(Debug, Default)]
pub struct NotifyEnv {
    /// `NOTIFY_SOCKET`: where to send (a path, or `@name` for the abstract namespace).
    pub socket: Option<String>,
    /// `WATCHDOG_USEC`: the watchdog period, in microseconds.
    pub watchdog_usec: Option<String>,
    /// `WATCHDOG_PID`: the process the watchdog is meant for.
    pub watchdog_pid: Option<String>,
}

const VARS: [&str; 3] = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"];

/// Reads the variables and removes them from the environment, so that the scripts the daemon
/// runs do not inherit them (what sd_notify(3)'s `unset_environment` does; keepalived unsets
/// `NOTIFY_SOCKET` in its children). Call it at start, before anything runs beside `main`.
pub fn take_env() -> NotifyEnv {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let env = NotifyEnv {
        socket: get(VARS[0]),
        watchdog_usec: get(VARS[1]),
        watchdog_pid: get(VARS[2]),
    };
    for k in VARS {
        if std::env::var_os(k).is_some() {
            // SAFETY: called from `main` before the daemon starts anything; the process has one
            // thread then, so no other thread reads the environment meanwhile.
            unsafe { std::env::remove_var(k) };
        }
    }
    env
}

/// The socket the messages go out of, and where they go.
#[derive(Debug)]
pub struct NotifySocket {
    sock: UnixDatagram,
    to: SocketAddr,
}

impl NotifySocket {
    /// A socket for `address` as `NOTIFY_SOCKET` gives it: an absolute path, or `@name` (the
    /// abstract namespace, resolved in the network namespace the socket is made in). Anything
    /// else (systemd 254's `vsock:`) is `InvalidInput`. Nothing is sent yet, so an address with
    /// no listener is no error here.
    pub fn open(address: &str) -> io::Result<NotifySocket> {
        let to = if let Some(name) = address.strip_prefix('@') {
            SocketAddr::from_abstract_name(name.as_bytes())?
        } else if address.starts_with('/') {
            SocketAddr::from_pathname(address)?
        } else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "neither a path nor an @abstract name",
            ));
        };
        let sock = UnixDatagram::unbound()?;
        sock.set_nonblocking(true)?;
        Ok(NotifySocket { sock, to })
    }

    /// Sends `msg` as one datagram; never waits (a full queue is `WouldBlock`). `EINTR` is
    /// retried.
    pub fn send(&self, msg: &str) -> io::Result<()> {
        loop {
            match self.sock.send_to_addr(msg.as_bytes(), &self.to) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
                Ok(n) if n == msg.len() => return Ok(()),
                Ok(_) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            }
        }
    }
}

/// A socket bound at a path in a fresh directory named after `tag` (removed on drop), for
/// tests that play the service manager.
#[cfg(test)]
pub(crate) struct Listener {
    dir: std::path::PathBuf,
    pub path: String,
    pub sock: UnixDatagram,
}

#[cfg(test)]
impl Listener {
    pub fn new(tag: &str) -> Listener {
        let dir = std::env::temp_dir().join(format!("krs-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify").to_string_lossy().into_owned();
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_nonblocking(true).unwrap();
        Listener { dir, path, sock }
    }
}

#[cfg(test)]
impl Drop for Listener {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_and_abstract_addresses_receive() {
        let l = Listener::new("notify");
        let (rx, path) = (&l.sock, &l.path);
        let tx = NotifySocket::open(path).unwrap();
        tx.send("READY=1").unwrap();
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
        // Nobody listens any more: an error, returned at once.
        drop(l);
        assert!(tx.send("WATCHDOG=1").is_err());

        let name = format!("krs-notify-test-{}", std::process::id());
        let rx = UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap())
            .unwrap();
        let tx = NotifySocket::open(&format!("@{name}")).unwrap();
        tx.send("STOPPING=1").unwrap();
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1");
    }

    #[test]
    fn other_addresses_are_refused() {
        for a in ["vsock:2:1234", "relative/path", ""] {
            let e = NotifySocket::open(a).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{a}");
        }
    }

    #[test]
    fn a_full_queue_never_blocks() {
        let l = Listener::new("notify-full");
        let tx = NotifySocket::open(&l.path).unwrap();
        // The receiver never reads: the queue fills and a send returns WouldBlock.
        let mut blocked = false;
        for _ in 0..100_000 {
            if let Err(e) = tx.send("WATCHDOG=1") {
                assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
                blocked = true;
                break;
            }
        }
        assert!(blocked);
    }
}
