//! The few places that call libc directly, each behind a safe function.
//!
//! Nothing here keeps state or knows about the daemon; callers get `io::Result`s. `EINTR` is retried
//! where a call can return it.

pub mod files;
pub mod inotify;
pub mod notify;
pub mod probe;
pub mod proc_events;
pub mod raw;
pub mod udp;

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

/// Turns a libc return value into an `io::Result`.
fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Retries a call while it fails with `EINTR`.
fn retry(mut f: impl FnMut() -> libc::c_int) -> io::Result<libc::c_int> {
    loop {
        match cvt(f()) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// 64 bits from the kernel's random pool, or from the clock and pid if that fails (early boot):
/// unpredictable enough for names and seeds, not for keys.
pub fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    // SAFETY: getrandom writes at most b.len() bytes into b.
    let n = unsafe { libc::getrandom(b.as_mut_ptr().cast(), b.len(), libc::GRND_NONBLOCK) };
    if n == 8 {
        u64::from_ne_bytes(b)
    } else {
        monotonic_nanos() ^ (u64::from(getpid().unsigned_abs()) << 32)
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds.
pub fn monotonic_nanos() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
}

/// A non-blocking `timerfd` on `CLOCK_MONOTONIC`, armed with absolute deadlines.
#[derive(Debug)]
pub struct TimerFd {
    fd: OwnedFd,
}

impl TimerFd {
    pub fn new() -> io::Result<TimerFd> {
        // SAFETY: plain syscall; the fd is owned below.
        let fd = cvt(unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        })?;
        // SAFETY: `fd` was just returned by the kernel and is ours.
        Ok(TimerFd {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Arms the timer for an absolute `CLOCK_MONOTONIC` time in nanoseconds, or disarms it with
    /// `None`. A deadline already past fires at once (the kernel treats 0 as "disarm", so it is
    /// clamped to 1 ns).
    pub fn set(&self, deadline_ns: Option<u64>) -> io::Result<()> {
        let value = match deadline_ns {
            Some(ns) => {
                let ns = ns.max(1);
                libc::timespec {
                    tv_sec: (ns / 1_000_000_000) as _,
                    tv_nsec: (ns % 1_000_000_000) as libc::c_long,
                }
            }
            None => libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
        };
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: value,
        };
        // SAFETY: valid pointers to initialised structs; old value not requested.
        cvt(unsafe {
            libc::timerfd_settime(
                self.fd.as_raw_fd(),
                libc::TFD_TIMER_ABSTIME,
                &spec,
                std::ptr::null_mut(),
            )
        })?;
        Ok(())
    }
}

impl AsRawFd for TimerFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Reaps `pid` if it has ended, without blocking: its raw wait status, or `None` while it runs.
///
/// Only our own children are waited for, by pid: `waitpid(-1)` would also steal the children of any
/// other code in the process (a test harness, `Command::output`).
pub fn try_reap(pid: i32) -> io::Result<Option<i32>> {
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer.
    match retry(|| unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) }) {
        Ok(0) => Ok(None),
        Ok(_) => Ok(Some(status)),
        Err(e) => Err(e),
    }
}

/// How a child ended, decoded from a wait status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Code(i32),
    Signal(i32),
}

impl ExitStatus {
    pub fn from_wait_status(status: i32) -> ExitStatus {
        if libc::WIFEXITED(status) {
            ExitStatus::Code(libc::WEXITSTATUS(status))
        } else {
            ExitStatus::Signal(libc::WTERMSIG(status))
        }
    }

    pub fn success(self) -> bool {
        self == ExitStatus::Code(0)
    }
}

/// Sends `sig` to a process (`pid` > 0) or a process group (`pid` < 0).
pub fn kill(pid: i32, sig: i32) -> io::Result<()> {
    // SAFETY: plain syscall.
    cvt(unsafe { libc::kill(pid, sig) }).map(drop)
}

/// The effective user id of the daemon.
pub fn geteuid() -> u32 {
    // SAFETY: always succeeds.
    unsafe { libc::geteuid() }
}

/// The effective user and group ids of the daemon.
pub fn own_ids() -> (u32, u32) {
    // SAFETY: always succeed.
    unsafe { (libc::geteuid(), libc::getegid()) }
}

/// Gives the heap's free memory back to the system, after reading a configuration: its
/// statement tree (tens of MB for 40,000 real servers) is gone, but glibc's allocator keeps
/// the pages of a heap whose top is still in use (measured: 47 MB resident for a 2,000 x 20
/// configuration on the host). musl's allocator returns freed memory itself: nothing to do.
pub fn trim_heap() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// What /proc's numbers count in: clock ticks per second and the page size in bytes (for the
/// process metrics).
pub fn proc_units() -> (u64, u64) {
    // SAFETY: sysconf reads constants; -1 (unknown) becomes the usual values.
    let (tck, page) = unsafe {
        (
            libc::sysconf(libc::_SC_CLK_TCK),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    (
        u64::try_from(tck).ok().filter(|&t| t > 0).unwrap_or(100),
        u64::try_from(page).ok().filter(|&p| p > 0).unwrap_or(4096),
    )
}

/// The soft limit on open files (`None`: unlimited or unknown).
pub fn max_fds() -> Option<u64> {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct we own.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } == 0;
    (ok && r.rlim_cur != libc::RLIM_INFINITY).then_some(r.rlim_cur)
}

pub fn getpid() -> i32 {
    // SAFETY: always succeeds.
    unsafe { libc::getpid() }
}

/// Sets the file-creation mask, returning the old one.
pub fn umask(mask: u32) -> u32 {
    // SAFETY: always succeeds.
    unsafe { libc::umask(mask as libc::mode_t) as u32 }
}

/// `SIGRTMIN` of the C library this binary is linked with (34 on glibc, 35 on musl).
pub fn sigrtmin() -> i32 {
    libc::SIGRTMIN()
}

/// `SIGRTMAX` of the C library this binary is linked with.
pub fn sigrtmax() -> i32 {
    libc::SIGRTMAX()
}

/// Ignores a signal (`SIG_IGN`).
pub fn ignore_signal(sig: i32) -> io::Result<()> {
    // SAFETY: installing SIG_IGN is async-signal-safe and has no handler code.
    if unsafe { libc::signal(sig, libc::SIG_IGN) } == libc::SIG_ERR {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Holds an exclusive `flock` on a file for as long as the value lives.
#[derive(Debug)]
pub struct LockedFile {
    pub file: std::fs::File,
}

/// Outcome of trying to lock a file.
#[derive(Debug)]
pub enum LockAttempt {
    Locked(LockedFile),
    /// Somebody else holds the lock.
    Busy(std::fs::File),
}

/// Opens (creating with mode 0644) and tries to lock `path` without blocking.
///
/// Guards against the race with an owner that unlinks the file while we open it: after locking, the
/// path must still name the inode we locked, else we start over. The path is never followed as a
/// symlink, and a file with other links or another owner is refused ([`files`]): a pid file in a
/// directory users can write to is not theirs to redirect.
pub fn lock_file(path: &Path) -> io::Result<LockAttempt> {
    use std::os::unix::fs::MetadataExt;
    for _ in 0..16 {
        let file = files::open_checked(
            path,
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false),
            0,
            files::PID_MODE,
            files::Kind::Regular,
        )?;
        // SAFETY: plain syscall without arguments.
        let me = unsafe { libc::geteuid() };
        let owner = file.metadata()?.uid();
        if owner != me {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("is owned by uid {owner}, not {me}: refusing to use it"),
            ));
        }
        // SAFETY: plain syscall on an fd we own.
        match retry(|| unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(LockAttempt::Busy(file)),
            Err(e) => return Err(e),
        }
        let held = file.metadata()?;
        match std::fs::metadata(path) {
            Ok(now) if now.ino() == held.ino() && now.dev() == held.dev() => {
                return Ok(LockAttempt::Locked(LockedFile { file }));
            }
            _ => continue,
        }
    }
    Err(io::Error::other(
        "pid file keeps being replaced while locking it",
    ))
}

/// Where `fork` left us.
pub enum Forked {
    Parent { child: i32 },
    Child,
}

/// `fork(2)`. Only call while the process has a single thread.
pub fn fork() -> io::Result<Forked> {
    // SAFETY: the daemon is single-threaded when it forks (before the reactor exists), so the child
    // may run arbitrary code.
    match cvt(unsafe { libc::fork() })? {
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent { child: pid }),
    }
}

pub fn setsid() -> io::Result<()> {
    // SAFETY: plain syscall.
    cvt(unsafe { libc::setsid() }).map(drop)
}

/// Points stdin, stdout and stderr at `/dev/null`.
pub fn stdio_to_devnull() -> io::Result<()> {
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    for fd in 0..=2 {
        // SAFETY: dup2 onto the standard descriptors; `null` stays open until the end of scope.
        cvt(unsafe { libc::dup2(null.as_raw_fd(), fd) })?;
    }
    Ok(())
}

/// `pipe2(O_CLOEXEC)`: (read end, write end).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: both descriptors were just created and are ours.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Leaves the process's network namespace for the one bind-mounted at `path` (`/run/netns/NAME`).
pub fn enter_netns(path: &Path) -> io::Result<()> {
    let f = std::fs::File::open(path)?;
    // The process connector only answers in the namespace we leave (see `proc_events`).
    proc_events::remember_launch_netns();
    // SAFETY: plain syscall on an fd we own.
    cvt(unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) }).map(drop)
}

/// Raises `RLIMIT_CORE` to unlimited.
pub fn unlimited_core() -> io::Result<()> {
    let lim = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: valid pointer to an initialised struct.
    cvt(unsafe { libc::setrlimit(libc::RLIMIT_CORE, &lim) }).map(drop)
}

/// The short host name (up to the first dot), keepalived's default config id.
pub fn short_hostname() -> String {
    hostname().split('.').next().unwrap_or_default().to_string()
}

/// The host name, whole (keepalived's default `router_id`, `smtp_helo_name` and the domain
/// of `notification_email_from`).
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates when it fits.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    if ok {
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        String::new()
    }
}

/// How many seconds east of UTC the local time zone is at Unix time `secs` (0 when unknown).
pub fn utc_offset(secs: i64) -> i32 {
    local_tm(secs).map_or(0, |tm| i32::try_from(tm.tm_gmtoff).unwrap_or(0))
}

/// `localtime_r(3)` of a Unix time.
fn local_tm(secs: i64) -> Option<libc::tm> {
    // Through a timespec, so that the width of time_t (musl is changing it) is never named.
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    ts.tv_sec = secs as _;
    // SAFETY: tm is plain old data; localtime_r fills it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointers.
    (!unsafe { libc::localtime_r(&ts.tv_sec, &mut tm) }.is_null()).then_some(tm)
}

/// `fnmatch(3)` with `FNM_PERIOD`, as `glob(3)` uses it on one path component: shell wildcards,
/// backslash escapes, and a leading `.` only matched explicitly. A NUL in either makes no match.
pub fn fnmatch(pattern: &[u8], name: &[u8]) -> bool {
    let (Ok(p), Ok(n)) = (
        std::ffi::CString::new(pattern),
        std::ffi::CString::new(name),
    ) else {
        return false;
    };
    // SAFETY: both are valid NUL-terminated strings that live across the call.
    unsafe { libc::fnmatch(p.as_ptr(), n.as_ptr(), libc::FNM_PERIOD) == 0 }
}

/// Kernel release and version, for the start-up log line.
pub fn uname() -> String {
    // SAFETY: utsname is plain old data; zeroed is a valid value.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: valid out-pointer.
    if unsafe { libc::uname(&mut u) } != 0 {
        return "Linux (unknown)".into();
    }
    let field = |f: &[libc::c_char]| {
        // SAFETY: uname NUL-terminates every field.
        unsafe { CStr::from_ptr(f.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    };
    format!(
        "{} {} {}",
        field(&u.sysname),
        field(&u.release),
        field(&u.version)
    )
}

/// Formats a Unix time as keepalived's console timestamp, in local time:
/// `Tue Nov 24 09:08:22 2026`.
pub fn format_local_time(secs: i64) -> String {
    let Some(tm) = local_tm(secs) else {
        return secs.to_string();
    };
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        DAYS[(tm.tm_wday.rem_euclid(7)) as usize],
        MONTHS[(tm.tm_mon.rem_euclid(12)) as usize],
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        tm.tm_year + 1900
    )
}

/// The syslog connection. `openlog` keeps the ident pointer, so it is a `'static` C string.
pub mod syslog {
    use std::ffi::CString;

    static IDENT: &std::ffi::CStr = c"keepalived-rs";

    pub fn open(facility: i32) {
        // SAFETY: IDENT is 'static; flags and facility are plain integers.
        unsafe { libc::openlog(IDENT.as_ptr(), libc::LOG_PID | libc::LOG_NDELAY, facility) };
    }

    pub fn send(priority: i32, msg: &str) {
        let msg = CString::new(msg.replace('\0', " ")).unwrap_or_default();
        // SAFETY: constant "%s" format with one C string argument.
        unsafe { libc::syslog(priority, c"%s".as_ptr(), msg.as_ptr()) };
    }
}

/// The uid of a user name, through the C library (so NSS users count too).
pub fn user_uid(name: &str) -> Option<u32> {
    user_ids(name).map(|(uid, _)| uid)
}

/// The uid and primary gid of user `name` (getpwnam_r).
pub fn user_ids(name: &str) -> Option<(u32, u32)> {
    let cname = std::ffi::CString::new(name).ok()?;
    // SAFETY: passwd is plain data; getpwnam_r writes into our buffers only.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; the buffer length is its real length.
    let rc = unsafe {
        libc::getpwnam_r(
            cname.as_ptr(),
            &mut pw,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    (rc == 0 && !result.is_null()).then_some((pw.pw_uid, pw.pw_gid))
}

/// The gid of group `name` (getgrnam_r).
pub fn group_gid(name: &str) -> Option<u32> {
    let cname = std::ffi::CString::new(name).ok()?;
    // SAFETY: group is plain data; getgrnam_r writes into our buffers only.
    let mut gr: libc::group = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16384];
    let mut result: *mut libc::group = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; the buffer length is its real length.
    let rc = unsafe {
        libc::getgrnam_r(
            cname.as_ptr(),
            &mut gr,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    (rc == 0 && !result.is_null()).then_some(gr.gr_gid)
}

/// Creates FIFO `path` with mode 0600 (`EEXIST` is not an error).
pub fn mkfifo(path: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in path"))?;
    // SAFETY: c is a valid C string.
    match cvt(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }) {
        Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(()),
        other => other.map(drop),
    }
}

/// What [`netlink_recv`] read: the datagram's full length, who sent it, and whether it was cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NlDatagram {
    /// Bytes copied into the buffer (at most its length).
    pub len: usize,
    /// The sender's netlink port id: 0 is the kernel.
    pub sender: u32,
    /// The datagram was longer than the buffer; the rest is lost.
    pub truncated: bool,
}

/// Receives one netlink datagram without blocking (the socket is non-blocking), with the sender's
/// port id, which neli's `NlSocket::recv` does not return. `EINTR` is retried.
pub fn netlink_recv(fd: RawFd, buf: &mut [u8]) -> io::Result<NlDatagram> {
    // SAFETY: sockaddr_nl is plain data; zeroed is a valid value.
    let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    let mut addr_len = std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
    loop {
        // SAFETY: the buffer and the address are valid for the lengths given; with MSG_TRUNC the
        // kernel still copies at most `buf.len()` bytes and returns the datagram's real length.
        let n = unsafe {
            libc::recvfrom(
                fd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_TRUNC,
                (&mut addr as *mut libc::sockaddr_nl).cast(),
                &mut addr_len,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        let n = n as usize;
        return Ok(NlDatagram {
            len: n.min(buf.len()),
            sender: addr.nl_pid,
            truncated: n > buf.len(),
        });
    }
}

/// `setsockopt(2)` with an `int` value.
fn setsockopt_int(
    fd: RawFd,
    level: libc::c_int,
    opt: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: a valid pointer to an int and its size.
    cvt(unsafe {
        libc::setsockopt(
            fd,
            level,
            opt,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// Sets an integer `SOL_NETLINK` socket option (`NETLINK_CAP_ACK`, `NETLINK_EXT_ACK`, ...).
pub fn netlink_setsockopt(fd: RawFd, opt: libc::c_int, value: libc::c_int) -> io::Result<()> {
    setsockopt_int(fd, libc::SOL_NETLINK, opt, value)
}

/// Sets a socket's receive buffer, past `net.core.rmem_max` when we have `CAP_NET_ADMIN`
/// (`SO_RCVBUFFORCE`), else as far as `SO_RCVBUF` allows.
pub fn set_rcvbuf(fd: RawFd, bytes: usize) -> io::Result<()> {
    let value = bytes.min(i32::MAX as usize) as libc::c_int;
    setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, value)
        .or_else(|_| setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, value))
}

/// The datagrams the kernel dropped on socket `fd` since it was made, before any `recvmsg`:
/// a full receive buffer, a failed `IPV6_CHECKSUM` verification, a socket filter. The
/// socket's `sk_drops` as `SO_MEMINFO` reports it (Linux 4.12 and later; `None` before, or
/// on error). A 32-bit counter in the kernel: it wraps.
pub fn socket_drops(fd: RawFd) -> Option<u32> {
    const N: usize = libc::SK_MEMINFO_DROPS as usize + 1;
    let mut info = [0u32; N];
    let mut len = std::mem::size_of_val(&info) as libc::socklen_t;
    // SAFETY: `info` is a live buffer of `len` bytes; the kernel writes at most that much.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_MEMINFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    (r == 0 && len as usize >= std::mem::size_of_val(&info)).then_some(info[N - 1])
}

/// The kernel's drops ([`socket_drops`]) summed over an executor's receiving sockets, counted
/// from the last [`KernelDrops::from_now`] (a clear of the statistics). The sockets must live as
/// long as the daemon, so that the sum never goes back.
#[derive(Debug, Default, Clone, Copy)]
pub struct KernelDrops {
    base: u64,
}

impl KernelDrops {
    fn total(fds: impl IntoIterator<Item = RawFd>) -> u64 {
        fds.into_iter()
            .filter_map(socket_drops)
            .map(u64::from)
            .sum()
    }

    /// The drops on `fds` since the last reset.
    pub fn since_reset(&self, fds: impl IntoIterator<Item = RawFd>) -> u64 {
        Self::total(fds).saturating_sub(self.base)
    }

    /// A count of the drops on `fds` from now on.
    pub fn from_now(fds: impl IntoIterator<Item = RawFd>) -> KernelDrops {
        KernelDrops {
            base: Self::total(fds),
        }
    }
}

/// `if_nametoindex(3)`: the index of the interface `name` in the calling thread's network
/// namespace, or `None` if there is none (or the name cannot be a C string).
pub fn if_nametoindex(name: &str) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: a valid NUL-terminated string that lives across the call.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (index != 0).then_some(index)
}

/// `setpriority(PRIO_PROCESS, 0, nice)`.
pub fn set_nice(nice: i32) -> io::Result<()> {
    // SAFETY: plain syscall on this process.
    cvt(unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) }).map(drop)
}

/// The EEVDF scheduler's slice for this process (`sched_setattr` with SCHED_OTHER and
/// `sched_runtime`, Linux 6.12 and later; the kernel clamps it to 0.1..100 ms), its nice value
/// kept. A task with a shorter slice than the busy ones beside it gets an earlier virtual
/// deadline and preempts them when it wakes: wake-up latency without real-time priority.
/// Older kernels take the call and ignore the runtime.
pub fn set_sched_slice(ns: u64) -> io::Result<()> {
    /// `struct sched_attr`, SCHED_ATTR_SIZE_VER0.
    #[repr(C)]
    struct SchedAttr {
        size: u32,
        policy: u32,
        flags: u64,
        nice: i32,
        priority: u32,
        runtime: u64,
        deadline: u64,
        period: u64,
    }
    // SAFETY: plain syscall on this process. (-1 is also a valid nice value: a failure is
    // told by errno, which the kernel never sets on success; a nice of -1 set again is right.)
    let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
    let attr = SchedAttr {
        size: std::mem::size_of::<SchedAttr>() as u32,
        policy: libc::SCHED_OTHER as u32,
        flags: 0,
        nice,
        priority: 0,
        runtime: ns,
        deadline: 0,
        period: 0,
    };
    // SAFETY: attr is a live, initialised sched_attr of the size it says.
    cvt(unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const SchedAttr, 0) } as i32)
        .map(drop)
}

/// SCHED_RR at `prio` for this process, with RLIMIT_RTTIME `rttime_us` (microseconds of CPU
/// without a blocking call before the kernel sends SIGXCPU, whose default action ends the
/// process: the guard against a real-time loop that spins). Only the soft limit is set (at most
/// the hard one, which stays as it is): [`lift_rttime`] can then lift it for a reload without
/// CAP_SYS_RESOURCE (containers often lack it). The daemon never catches SIGXCPU, so the hard
/// limit's SIGKILL is not needed as a backstop.
pub fn set_realtime(prio: i32, rttime_us: u64) -> io::Result<()> {
    let hard = rttime_hard()?;
    let lim = libc::rlimit {
        rlim_cur: (rttime_us as libc::rlim_t).min(hard),
        rlim_max: hard,
    };
    // SAFETY: lim is a live rlimit.
    cvt(unsafe { libc::setrlimit(libc::RLIMIT_RTTIME, &lim) })?;
    // (musl's sched_param has more fields than glibc's: zeroed, then the priority.)
    // SAFETY: sched_param is plain data; all-zero is valid.
    let mut param: libc::sched_param = unsafe { std::mem::zeroed() };
    param.sched_priority = prio;
    // SAFETY: param is a live sched_param.
    cvt(unsafe { libc::sched_setscheduler(0, libc::SCHED_RR, &param) }).map(drop)
}

/// The hard RLIMIT_RTTIME of this process.
fn rttime_hard() -> io::Result<libc::rlim_t> {
    // SAFETY: rlimit is plain data; getrlimit fills it.
    let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: lim is a live rlimit.
    cvt(unsafe { libc::getrlimit(libc::RLIMIT_RTTIME, &mut lim) })?;
    Ok(lim.rlim_max)
}

/// Whether [`lift_rttime`] can work: the hard RLIMIT_RTTIME is unlimited.
pub fn rttime_liftable() -> bool {
    rttime_hard().is_ok_and(|h| h == libc::RLIM_INFINITY)
}

/// The soft RLIMIT_RTTIME unlimited, for a reload at SCHED_RR ([`set_realtime`] sets it again);
/// refused unless [`rttime_liftable`]. While the soft limit is unlimited the kernel does not
/// count the real-time ticks (kernel/sched/rt.c `watchdog`), so setting it again after a long
/// reload does not fire it.
pub fn lift_rttime() -> io::Result<()> {
    if !rttime_liftable() {
        return Err(io::Error::from_raw_os_error(libc::EPERM));
    }
    let lim = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: lim is a live rlimit.
    cvt(unsafe { libc::setrlimit(libc::RLIMIT_RTTIME, &lim) }).map(drop)
}

/// `mlockall(MCL_CURRENT | MCL_FUTURE)`.
pub fn lock_memory() -> io::Result<()> {
    // SAFETY: plain syscall.
    cvt(unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) }).map(drop)
}

/// Pins this process to `cpus`.
pub fn set_affinity(cpus: &[u16]) -> io::Result<()> {
    // SAFETY: cpu_set_t is plain data; CPU_ZERO/CPU_SET write inside it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &c in cpus {
        // CPU_SET writes past the set for a CPU beyond its size: checked first.
        if usize::from(c) < 8 * std::mem::size_of::<libc::cpu_set_t>() {
            // SAFETY: `c` is inside the set (checked above).
            unsafe { libc::CPU_SET(usize::from(c), &mut set) };
        }
    }
    // SAFETY: set is a live cpu_set_t of the size given.
    cvt(unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) })
        .map(drop)
}

/// Back to SCHED_OTHER (for work that may take longer than RLIMIT_RTTIME, like a reload).
pub fn set_normal_sched() -> io::Result<()> {
    // SAFETY: sched_param is plain data; all-zero (priority 0) is what SCHED_OTHER takes.
    let param: libc::sched_param = unsafe { std::mem::zeroed() };
    // SAFETY: param is a live sched_param.
    cvt(unsafe { libc::sched_setscheduler(0, libc::SCHED_OTHER, &param) }).map(drop)
}
