//! keepalived's command line, parsed by hand (no argument crate: a flag table and getopt_long's rules).
//!
//! The rules are GNU getopt_long's, as keepalived uses it:
//! - short flags bundle (`-lnD`); a flag with a required value takes the rest of its word or the next
//!   word (`-fFILE`, `-f FILE`); a flag with an optional value takes it only when attached (`-gFILE`);
//! - long flags take `--opt=value` or `--opt value` (required values) and only `--opt=value`
//!   (optional values); a unique prefix of a long name is accepted (`--vers`);
//! - `--` ends the flags. Words that are not flags are an error (keepalived takes none).
//!
//! [`parse`] is pure: it turns words into an [`Action`] or a [`CliError`]; `main` does the rest.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

pub const DEFAULT_CONFIG: &str = "/etc/keepalived/keepalived.conf";
pub const DEFAULT_PID_FILE: &str = "/run/keepalived-rs.pid";
pub const DEFAULT_LOG_FILE: &str = "/tmp/keepalived.log";
pub const DEFAULT_CORE_PATTERN: &str = "core";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arg {
    None,
    Required,
    Optional,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // named after the flags: --config-id, --config-test, --config-fd
enum Id {
    UseFile,
    Vrrp,
    Check,
    NoBfd,
    All,
    LogConsole,
    LogDetail,
    LogFacility,
    LogFile,
    FlushLogFile,
    NoSyslog,
    Umask,
    ReleaseVips,
    DontReleaseVrrp,
    DontReleaseIpvs,
    DontRespawn,
    DontFork,
    DumpConf,
    Pid,
    VrrpPid,
    CheckersPid,
    BfdPid,
    Genhash,
    AddressMonitoring,
    Snmp,
    SnmpAgentSocket,
    Namespace,
    CoreDump,
    CoreDumpPattern,
    AllConfig,
    ConfigId,
    Signum,
    Status,
    ConfigTest,
    ConfigFd,
    IgnoreSigint,
    Perf,
    Debug,
    NoMemCheck,
    MemCheckLog,
    OpensslMemCheck,
    Version,
    Help,
}

/// One flag: its spellings, whether it takes a value, and its line in `--help`.
struct Flag {
    short: Option<char>,
    long: &'static str,
    arg: Arg,
    id: Id,
    value: &'static str,
    help: &'static str,
}

const fn f(
    short: Option<char>,
    long: &'static str,
    arg: Arg,
    id: Id,
    value: &'static str,
    help: &'static str,
) -> Flag {
    Flag {
        short,
        long,
        arg,
        id,
        value,
        help,
    }
}

/// Every flag of keepalived(8), in keepalived's `--help` order, plus the build-option flags.
static FLAGS: &[Flag] = &[
    f(
        Some('f'),
        "use-file",
        Arg::Required,
        Id::UseFile,
        "FILE",
        "Use the specified configuration file\n default '/etc/keepalived/keepalived.conf'",
    ),
    f(
        Some('P'),
        "vrrp",
        Arg::None,
        Id::Vrrp,
        "",
        "Only run the VRRP subsystem (and BFD unless -B)",
    ),
    f(
        Some('C'),
        "check",
        Arg::None,
        Id::Check,
        "",
        "Only run the health-checker subsystem (and BFD unless -B)",
    ),
    f(
        Some('B'),
        "no_bfd",
        Arg::None,
        Id::NoBfd,
        "",
        "Don't run the BFD subsystem",
    ),
    f(
        None,
        "all",
        Arg::None,
        Id::All,
        "",
        "Run all subsystems, even if they have no configuration",
    ),
    f(
        Some('l'),
        "log-console",
        Arg::None,
        Id::LogConsole,
        "",
        "Log messages to the local console (stderr)",
    ),
    f(
        Some('D'),
        "log-detail",
        Arg::None,
        Id::LogDetail,
        "",
        "Detailed log messages",
    ),
    f(
        Some('S'),
        "log-facility",
        Arg::Required,
        Id::LogFacility,
        "([0-7]|local[0-7]|user|daemon)",
        "Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)",
    ),
    f(
        Some('g'),
        "log-file",
        Arg::Optional,
        Id::LogFile,
        "FILE",
        "Also log to FILE (default /tmp/keepalived.log)",
    ),
    f(
        None,
        "flush-log-file",
        Arg::None,
        Id::FlushLogFile,
        "",
        "Flush the log file after each write (always done)",
    ),
    f(
        Some('G'),
        "no-syslog",
        Arg::None,
        Id::NoSyslog,
        "",
        "Don't log via syslog",
    ),
    f(
        Some('u'),
        "umask",
        Arg::Required,
        Id::Umask,
        "MASK",
        "umask for file creation (in numeric form)",
    ),
    f(
        Some('X'),
        "release-vips",
        Arg::None,
        Id::ReleaseVips,
        "",
        "Drop VIP on transition from signal.",
    ),
    f(
        Some('V'),
        "dont-release-vrrp",
        Arg::None,
        Id::DontReleaseVrrp,
        "",
        "Don't remove VRRP VIPs and VROUTEs on daemon stop",
    ),
    f(
        Some('I'),
        "dont-release-ipvs",
        Arg::None,
        Id::DontReleaseIpvs,
        "",
        "Don't remove IPVS topology on daemon stop",
    ),
    f(
        Some('R'),
        "dont-respawn",
        Arg::None,
        Id::DontRespawn,
        "",
        "Don't respawn child processes (keepalived-rs has none)",
    ),
    f(
        Some('n'),
        "dont-fork",
        Arg::None,
        Id::DontFork,
        "",
        "Don't fork the daemon process",
    ),
    f(
        Some('d'),
        "dump-conf",
        Arg::None,
        Id::DumpConf,
        "",
        "Dump the configuration data",
    ),
    f(
        Some('p'),
        "pid",
        Arg::Required,
        Id::Pid,
        "FILE",
        "Use specified pidfile (default /run/keepalived-rs.pid)",
    ),
    f(
        Some('r'),
        "vrrp_pid",
        Arg::Required,
        Id::VrrpPid,
        "FILE",
        "Also write the pid to FILE (keepalived's VRRP child pidfile)",
    ),
    f(
        Some('T'),
        "genhash",
        Arg::None,
        Id::Genhash,
        "",
        "Enter genhash utility mode (not supported)",
    ),
    f(
        Some('c'),
        "checkers_pid",
        Arg::Required,
        Id::CheckersPid,
        "FILE",
        "Also write the pid to FILE (keepalived's checker child pidfile)",
    ),
    f(
        Some('a'),
        "address-monitoring",
        Arg::None,
        Id::AddressMonitoring,
        "",
        "Report all address additions/deletions notified via netlink",
    ),
    f(
        Some('b'),
        "bfd_pid",
        Arg::Required,
        Id::BfdPid,
        "FILE",
        "Also write the pid to FILE (keepalived's BFD child pidfile)",
    ),
    f(
        Some('x'),
        "snmp",
        Arg::None,
        Id::Snmp,
        "",
        "Enable SNMP subsystem (the VRRP-MIB)",
    ),
    f(
        Some('A'),
        "snmp-agent-socket",
        Arg::Required,
        Id::SnmpAgentSocket,
        "FILE",
        "Use the specified socket for master agent",
    ),
    f(
        Some('s'),
        "namespace",
        Arg::Required,
        Id::Namespace,
        "NAME",
        "Run in network namespace NAME (overrides config)",
    ),
    f(
        Some('m'),
        "core-dump",
        Arg::None,
        Id::CoreDump,
        "",
        "Produce core dump if terminate abnormally",
    ),
    f(
        Some('M'),
        "core-dump-pattern",
        Arg::Optional,
        Id::CoreDumpPattern,
        "PATN",
        "Also set /proc/sys/kernel/core_pattern to PATN (default 'core')",
    ),
    f(
        Some('e'),
        "all-config",
        Arg::None,
        Id::AllConfig,
        "",
        "Error if any configuration file missing (same as includet)",
    ),
    f(
        Some('i'),
        "config-id",
        Arg::Required,
        Id::ConfigId,
        "id",
        "Skip any configuration lines beginning '@' that don't match id\n or any lines beginning @^ that do match.\n The config-id defaults to the node name if option not used",
    ),
    f(
        None,
        "signum",
        Arg::Required,
        Id::Signum,
        "SIGFUNC",
        "Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON",
    ),
    f(
        None,
        "status",
        Arg::None,
        Id::Status,
        "",
        "Print the live state of the running daemon (the one of -p's pid\n file) as JSON, read-only, over its root-only socket (keepalived-rs)",
    ),
    f(
        Some('t'),
        "config-test",
        Arg::Optional,
        Id::ConfigTest,
        "LOG_FILE",
        "Check the configuration for obvious errors, output to\n stderr by default",
    ),
    f(
        None,
        "config-fd",
        Arg::Required,
        Id::ConfigFd,
        "N",
        "Internal to keepalived (accepted, ignored)",
    ),
    f(
        None,
        "ignore-sigint",
        Arg::None,
        Id::IgnoreSigint,
        "",
        "Ignore SIGINT (for debuggers)",
    ),
    f(
        None,
        "perf",
        Arg::Optional,
        Id::Perf,
        "all|run|end",
        "keepalived build option (accepted, ignored)",
    ),
    f(
        None,
        "debug",
        Arg::Optional,
        Id::Debug,
        "OPTS",
        "keepalived build option (accepted, ignored)",
    ),
    f(
        None,
        "no-mem-check",
        Arg::None,
        Id::NoMemCheck,
        "",
        "keepalived build option (accepted, ignored)",
    ),
    f(
        Some('L'),
        "mem-check-log",
        Arg::None,
        Id::MemCheckLog,
        "",
        "keepalived build option (accepted, ignored)",
    ),
    f(
        None,
        "openssl-mem-check",
        Arg::None,
        Id::OpensslMemCheck,
        "",
        "keepalived build option (accepted, ignored)",
    ),
    f(
        Some('v'),
        "version",
        Arg::None,
        Id::Version,
        "",
        "Display the version number",
    ),
    f(
        Some('h'),
        "help",
        Arg::None,
        Id::Help,
        "",
        "Display this help message",
    ),
];

/// Which parts of the daemon run (keepalived's -P, -C, -B, --all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subsystems {
    pub vrrp: bool,
    pub check: bool,
    pub bfd: bool,
    /// Run them even without configuration for them.
    pub all: bool,
}

/// A syslog facility (`LOG_*` value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facility(pub i32);

impl Facility {
    pub const DAEMON: Facility = Facility(libc::LOG_DAEMON);

    /// keepalived's spellings: `0`..`7` and `local0`..`local7` (LOG_LOCALn), `user`, `daemon`.
    pub fn parse(s: &str) -> Option<Facility> {
        const LOCAL: [i32; 8] = [
            libc::LOG_LOCAL0,
            libc::LOG_LOCAL1,
            libc::LOG_LOCAL2,
            libc::LOG_LOCAL3,
            libc::LOG_LOCAL4,
            libc::LOG_LOCAL5,
            libc::LOG_LOCAL6,
            libc::LOG_LOCAL7,
        ];
        let n = s.strip_prefix("local").unwrap_or(s);
        if n.len() == 1
            && let Some(d) = n.chars().next().and_then(|c| c.to_digit(10))
            && d < 8
        {
            return Some(Facility(LOCAL[d as usize]));
        }
        match s {
            "user" => Some(Facility(libc::LOG_USER)),
            "daemon" => Some(Facility(libc::LOG_DAEMON)),
            _ => None,
        }
    }
}

/// Everything the command line says about a run of the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub config_file: PathBuf,
    pub subsystems: Subsystems,
    pub log_console: bool,
    pub log_detail: bool,
    pub log_facility: Facility,
    pub log_file: Option<PathBuf>,
    pub flush_log_file: bool,
    pub no_syslog: bool,
    pub umask: Option<u32>,
    pub release_vips: bool,
    pub dont_release_vrrp: bool,
    pub dont_release_ipvs: bool,
    pub dont_respawn: bool,
    pub dont_fork: bool,
    pub dump_conf: bool,
    pub pid_file: PathBuf,
    /// keepalived's child pid files: the one process writes its pid there too.
    pub extra_pid_files: Vec<PathBuf>,
    pub address_monitoring: bool,
    pub snmp: bool,
    pub snmp_agent_socket: Option<PathBuf>,
    pub namespace: Option<String>,
    pub core_dump: bool,
    pub core_dump_pattern: Option<String>,
    pub all_config: bool,
    pub config_id: Option<String>,
    /// `-t`: `Some(None)` reports to stderr, `Some(Some(file))` to a file.
    pub config_test: Option<Option<PathBuf>>,
    pub config_fd: Option<i32>,
    pub ignore_sigint: bool,
    /// Flags that only mean something to a keepalived build, accepted and warned about.
    pub ignored: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            config_file: PathBuf::from(DEFAULT_CONFIG),
            subsystems: Subsystems {
                vrrp: true,
                check: true,
                bfd: true,
                all: false,
            },
            log_console: false,
            log_detail: false,
            log_facility: Facility::DAEMON,
            log_file: None,
            flush_log_file: false,
            no_syslog: false,
            umask: None,
            release_vips: false,
            dont_release_vrrp: false,
            dont_release_ipvs: false,
            dont_respawn: false,
            dont_fork: false,
            dump_conf: false,
            pid_file: PathBuf::from(DEFAULT_PID_FILE),
            extra_pid_files: Vec::new(),
            address_monitoring: false,
            snmp: false,
            snmp_agent_socket: None,
            namespace: None,
            core_dump: false,
            core_dump_pattern: None,
            all_config: false,
            config_id: None,
            config_test: None,
            config_fd: None,
            ignore_sigint: false,
            ignored: Vec::new(),
        }
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Run(Box<Options>),
    Help,
    Version,
    /// `--signum=NAME`, the name as given.
    Signum(String),
    /// `--status`: ask the running daemon (found through the pid file's name) for its state.
    Status(Box<Options>),
    Genhash,
}

/// A command-line mistake. keepalived exits 1 on these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError(pub String);

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CliError {}

/// Writes `text` to standard output, whole, without panicking (`print!` panics when the reader
/// is gone).
pub fn print_out(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    o.write_all(text.as_bytes())?;
    o.flush()
}

/// Writes `text` to standard error if it can (a closed or broken stderr is not worth dying for).
pub fn print_err(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// The exit status for a command-line error, as keepalived's.
pub const EXIT_USAGE: i32 = 1;

fn err<T>(msg: impl Into<String>) -> Result<T, CliError> {
    Err(CliError(msg.into()))
}

/// Parses the words after the program name.
pub fn parse<I, S>(args: I) -> Result<Action, CliError>
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let words: Vec<String> = args
        .into_iter()
        .map(|a| {
            a.into()
                .into_string()
                .map_err(|a| CliError(format!("argument {a:?} is not valid UTF-8")))
        })
        .collect::<Result<_, _>>()?;
    let mut found: Vec<(Id, Option<String>)> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        if w == "--" {
            if let Some(extra) = words.get(i) {
                return err(format!("unexpected argument '{extra}'"));
            }
            break;
        }
        if let Some(body) = w.strip_prefix("--") {
            let (name, attached) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let flag = find_long(name)?;
            let value = match (flag.arg, attached) {
                (Arg::None, Some(_)) => {
                    return err(format!(
                        "option '--{}' doesn't allow an argument",
                        flag.long
                    ));
                }
                (Arg::None, None) => None,
                (Arg::Optional, v) => v,
                (Arg::Required, Some(v)) => Some(v),
                (Arg::Required, None) => match words.get(i) {
                    Some(v) => {
                        i += 1;
                        Some(v.clone())
                    }
                    None => return err(format!("Missing parameter for option --{}", flag.long)),
                },
            };
            found.push((flag.id, value));
        } else if let Some(cluster) = w.strip_prefix('-').filter(|c| !c.is_empty()) {
            for (pos, c) in cluster.char_indices() {
                let flag = FLAGS
                    .iter()
                    .find(|f| f.short == Some(c))
                    .ok_or_else(|| CliError(format!("Unknown option -{c}")))?;
                let rest = &cluster[pos + c.len_utf8()..];
                match flag.arg {
                    Arg::None => found.push((flag.id, None)),
                    Arg::Optional => {
                        found.push((flag.id, (!rest.is_empty()).then(|| rest.to_string())));
                        break;
                    }
                    Arg::Required => {
                        let value = if !rest.is_empty() {
                            rest.to_string()
                        } else if let Some(v) = words.get(i) {
                            i += 1;
                            v.clone()
                        } else {
                            return err(format!("Missing parameter for option -{c}"));
                        };
                        found.push((flag.id, Some(value)));
                        break;
                    }
                }
            }
        } else {
            return err(format!("unexpected argument '{w}'"));
        }
    }
    build(found)
}

fn find_long(name: &str) -> Result<&'static Flag, CliError> {
    if let Some(f) = FLAGS.iter().find(|f| f.long == name) {
        return Ok(f);
    }
    let matches: Vec<&Flag> = if name.is_empty() {
        Vec::new()
    } else {
        FLAGS.iter().filter(|f| f.long.starts_with(name)).collect()
    };
    match matches.as_slice() {
        [one] => Ok(one),
        [] => err(format!("Unknown option --{name}")),
        many => err(format!(
            "option '--{name}' is ambiguous; possibilities: {}",
            many.iter()
                .map(|f| format!("'--{}'", f.long))
                .collect::<Vec<_>>()
                .join(" ")
        )),
    }
}

/// `strtoul(s, &end, 0)` as keepalived reads -u: `0x` hex, leading `0` octal, else decimal.
fn parse_umask(s: &str) -> Option<u32> {
    let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()?
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8).ok()?
    } else {
        s.parse().ok()?
    };
    (v <= 0o777).then_some(v)
}

fn build(found: Vec<(Id, Option<String>)>) -> Result<Action, CliError> {
    // keepalived: -T must come first and switches the whole program to genhash.
    if found.first().map(|f| f.0) == Some(Id::Genhash) {
        return Ok(Action::Genhash);
    }
    let mut o = Options::default();
    let (mut only_vrrp, mut only_check) = (false, false);
    let mut action = None;
    let mut status = false;
    for (id, value) in found {
        let v = value.unwrap_or_default();
        match id {
            Id::UseFile => o.config_file = PathBuf::from(v),
            Id::Vrrp => only_vrrp = true,
            Id::Check => only_check = true,
            Id::NoBfd => o.subsystems.bfd = false,
            Id::All => o.subsystems.all = true,
            Id::LogConsole => o.log_console = true,
            Id::LogDetail => o.log_detail = true,
            Id::LogFacility => {
                o.log_facility = Facility::parse(&v)
                    .ok_or_else(|| CliError(format!("Invalid log facility '{v}'")))?
            }
            Id::LogFile => {
                o.log_file = Some(PathBuf::from(if v.is_empty() {
                    DEFAULT_LOG_FILE
                } else {
                    &v
                }))
            }
            Id::FlushLogFile => o.flush_log_file = true,
            Id::NoSyslog => o.no_syslog = true,
            Id::Umask => {
                o.umask = Some(
                    parse_umask(&v)
                        .ok_or_else(|| CliError(format!("Invalid --umask option {v}")))?,
                )
            }
            Id::ReleaseVips => o.release_vips = true,
            Id::DontReleaseVrrp => o.dont_release_vrrp = true,
            Id::DontReleaseIpvs => o.dont_release_ipvs = true,
            Id::DontRespawn => o.dont_respawn = true,
            Id::DontFork => o.dont_fork = true,
            Id::DumpConf => o.dump_conf = true,
            Id::Pid => o.pid_file = PathBuf::from(v),
            Id::VrrpPid | Id::CheckersPid | Id::BfdPid => o.extra_pid_files.push(PathBuf::from(v)),
            Id::Genhash => return err("-T/--genhash must be the first option"),
            Id::AddressMonitoring => o.address_monitoring = true,
            Id::Snmp => o.snmp = true,
            Id::SnmpAgentSocket => o.snmp_agent_socket = Some(PathBuf::from(v)),
            Id::Namespace => {
                if v.is_empty() || v.contains('/') {
                    return err(format!("Invalid namespace name '{v}'"));
                }
                o.namespace = Some(v)
            }
            Id::CoreDump => o.core_dump = true,
            Id::CoreDumpPattern => {
                o.core_dump = true;
                o.core_dump_pattern = Some(if v.is_empty() {
                    DEFAULT_CORE_PATTERN.to_string()
                } else {
                    v
                });
            }
            Id::AllConfig => o.all_config = true,
            Id::ConfigId => o.config_id = Some(v),
            Id::Signum => action = action.or(Some(Action::Signum(v))),
            Id::Status => status = true,
            Id::ConfigTest => o.config_test = Some((!v.is_empty()).then(|| PathBuf::from(v))),
            Id::ConfigFd => {
                o.config_fd = Some(
                    v.parse()
                        .map_err(|_| CliError(format!("Invalid --config-fd option {v}")))?,
                )
            }
            Id::IgnoreSigint => o.ignore_sigint = true,
            Id::Perf | Id::Debug | Id::NoMemCheck | Id::MemCheckLog | Id::OpensslMemCheck => {
                let name = FLAGS.iter().find(|f| f.id == id).map_or("", |f| f.long);
                o.ignored.push(format!("--{name}"));
            }
            Id::Version => action = action.or(Some(Action::Version)),
            Id::Help => action = action.or(Some(Action::Help)),
        }
    }
    if only_vrrp || only_check {
        o.subsystems.vrrp = only_vrrp;
        o.subsystems.check = only_check;
    }
    if status && action.is_none() {
        return Ok(Action::Status(Box::new(o)));
    }
    Ok(action.unwrap_or(Action::Run(Box::new(o))))
}

/// The `--help` text, generated from the flag table.
pub fn usage(prog: &str) -> String {
    let mut s = format!("Usage: {prog} [OPTION...]\n");
    for flag in FLAGS {
        let mut left = match flag.short {
            Some(c) => format!("  -{c}, --{}", flag.long),
            None => format!("      --{}", flag.long),
        };
        match flag.arg {
            Arg::None => {}
            Arg::Required if flag.value == "id" => left.push_str(&format!(" {}", flag.value)),
            Arg::Required => left.push_str(&format!("={}", flag.value)),
            Arg::Optional => left.push_str(&format!("[={}]", flag.value)),
        }
        let mut lines = flag.help.lines();
        let first = lines.next().unwrap_or_default();
        if left.len() < 31 {
            s.push_str(&format!("{left:<31}{first}\n"));
        } else {
            s.push_str(&format!("{left}\n{:31}{first}\n", ""));
        }
        for more in lines {
            s.push_str(&format!("{:31}{more}\n", ""));
        }
    }
    s
}

/// The signal numbers `--signum` knows, for this binary's C library.
pub fn signum(name: &str) -> Option<i32> {
    use crate::reactor::Signal;
    Some(match name {
        "STOP" => libc::SIGTERM,
        "RELOAD" => Signal::Reload.number(),
        "DATA" => Signal::Data.number(),
        "STATS" => Signal::Stats.number(),
        "STATS_CLEAR" => Signal::StatsClear.number(),
        "JSON" => Signal::Json.number(),
        _ => return None,
    })
}

/// Every long flag name (for the documentation tests).
pub fn long_flags() -> impl Iterator<Item = &'static str> {
    FLAGS.iter().map(|f| f.long)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Options {
        match parse(args.iter().copied()) {
            Ok(Action::Run(o)) => *o,
            other => panic!("{args:?} gave {other:?}"),
        }
    }

    fn fails(args: &[&str]) -> String {
        match parse(args.iter().copied()) {
            Err(CliError(m)) => m,
            other => panic!("{args:?} should fail, gave {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let o = run(&[]);
        assert_eq!(o, Options::default());
        assert_eq!(o.config_file, PathBuf::from(DEFAULT_CONFIG));
        assert_eq!(o.pid_file, PathBuf::from(DEFAULT_PID_FILE));
        assert!(o.subsystems.vrrp && o.subsystems.check && o.subsystems.bfd);
    }

    #[test]
    fn value_forms_table() {
        let file = |o: Options| o.config_file.to_string_lossy().into_owned();
        for args in [
            &["-f", "/x.conf"][..],
            &["-f/x.conf"],
            &["--use-file=/x.conf"],
            &["--use-file", "/x.conf"],
            &["--use=/x.conf"],
            &["--use-f", "/x.conf"],
            &["-nlf/x.conf"],
            &["-nlf", "/x.conf"],
        ] {
            assert_eq!(file(run(args)), "/x.conf", "{args:?}");
        }
    }

    #[test]
    fn bundling_table() {
        let o = run(&["-lnD"]);
        assert!(o.log_console && o.dont_fork && o.log_detail);
        let o = run(&["-lnDGXVIRdaemx"]);
        assert!(o.no_syslog && o.release_vips && o.dont_release_vrrp && o.dont_release_ipvs);
        assert!(
            o.dont_respawn
                && o.dump_conf
                && o.address_monitoring
                && o.all_config
                && o.core_dump
                && o.snmp
        );
        // -p inside a bundle takes the rest of the word.
        let o = run(&["-np/run/a.pid"]);
        assert_eq!(o.pid_file, PathBuf::from("/run/a.pid"));
        // An optional value is taken only when attached.
        let o = run(&["-lg"]);
        assert_eq!(o.log_file, Some(PathBuf::from(DEFAULT_LOG_FILE)));
        let o = run(&["-ng/tmp/k.log"]);
        assert_eq!(o.log_file, Some(PathBuf::from("/tmp/k.log")));
        let o = run(&["--log-file=/tmp/k.log"]);
        assert_eq!(o.log_file, Some(PathBuf::from("/tmp/k.log")));
        assert_eq!(
            fails(&["-g", "/tmp/k.log"]),
            "unexpected argument '/tmp/k.log'"
        );
    }

    #[test]
    fn every_value_flag_table() {
        let o = run(&[
            "-S", "local3", "-u", "022", "-p", "p", "-r", "r", "-c", "c", "-b", "b", "-s", "ns1",
        ]);
        assert_eq!(o.log_facility, Facility(libc::LOG_LOCAL3));
        assert_eq!(o.umask, Some(0o22));
        assert_eq!(
            o.extra_pid_files,
            vec![PathBuf::from("r"), PathBuf::from("c"), PathBuf::from("b")]
        );
        assert_eq!(o.namespace.as_deref(), Some("ns1"));
        let o = run(&[
            "-i",
            "lb1",
            "-A",
            "/s",
            "--config-fd=7",
            "-M",
            "--ignore-sigint",
        ]);
        assert_eq!(o.config_id.as_deref(), Some("lb1"));
        assert_eq!(o.snmp_agent_socket, Some(PathBuf::from("/s")));
        assert_eq!(o.config_fd, Some(7));
        assert_eq!(o.core_dump_pattern.as_deref(), Some(DEFAULT_CORE_PATTERN));
        assert!(o.core_dump && o.ignore_sigint);
        assert_eq!(
            run(&["-Mcore.%p"]).core_dump_pattern.as_deref(),
            Some("core.%p")
        );
        assert_eq!(run(&["-t"]).config_test, Some(None));
        assert_eq!(
            run(&["-t/tmp/t.log"]).config_test,
            Some(Some(PathBuf::from("/tmp/t.log")))
        );
        assert_eq!(
            run(&["--config-test=/tmp/t.log"]).config_test,
            Some(Some(PathBuf::from("/tmp/t.log")))
        );
        assert_eq!(
            run(&["--perf", "--debug=D", "-L"]).ignored,
            vec!["--perf", "--debug", "--mem-check-log"]
        );
    }

    #[test]
    fn facilities_table() {
        for (s, v) in [
            ("0", libc::LOG_LOCAL0),
            ("7", libc::LOG_LOCAL7),
            ("local0", libc::LOG_LOCAL0),
            ("local5", libc::LOG_LOCAL5),
            ("user", libc::LOG_USER),
            ("daemon", libc::LOG_DAEMON),
        ] {
            assert_eq!(Facility::parse(s), Some(Facility(v)), "{s}");
        }
        for s in ["8", "local8", "kern", "", "local", "07"] {
            assert_eq!(Facility::parse(s), None, "{s}");
        }
    }

    #[test]
    fn umask_table() {
        for (s, v) in [
            ("022", Some(0o22)),
            ("18", Some(18)),
            ("0x12", Some(0x12)),
            ("0", Some(0)),
            ("0777", Some(0o777)),
        ] {
            assert_eq!(parse_umask(s), v, "{s}");
        }
        for s in ["9x", "", "0999", "01000", "-1", "0x"] {
            assert_eq!(parse_umask(s), None, "{s}");
        }
    }

    #[test]
    fn subsystems_table() {
        let s = |args: &[&str]| run(args).subsystems;
        assert_eq!(
            s(&[]),
            Subsystems {
                vrrp: true,
                check: true,
                bfd: true,
                all: false
            }
        );
        assert_eq!(
            s(&["-P"]),
            Subsystems {
                vrrp: true,
                check: false,
                bfd: true,
                all: false
            }
        );
        assert_eq!(
            s(&["-C"]),
            Subsystems {
                vrrp: false,
                check: true,
                bfd: true,
                all: false
            }
        );
        assert_eq!(
            s(&["-PC"]),
            Subsystems {
                vrrp: true,
                check: true,
                bfd: true,
                all: false
            }
        );
        assert_eq!(
            s(&["-PB"]),
            Subsystems {
                vrrp: true,
                check: false,
                bfd: false,
                all: false
            }
        );
        assert_eq!(
            s(&["--all"]),
            Subsystems {
                vrrp: true,
                check: true,
                bfd: true,
                all: true
            }
        );
    }

    #[test]
    fn actions_table() {
        for (args, want) in [
            (&["-h"][..], Action::Help),
            (&["--help"], Action::Help),
            (&["--he"], Action::Help),
            (&["-v"], Action::Version),
            (&["--version"], Action::Version),
            (&["-nv"], Action::Version),
            (&["--signum=JSON"], Action::Signum("JSON".into())),
            (&["--signum", "STOP"], Action::Signum("STOP".into())),
            (&["-T"], Action::Genhash),
        ] {
            assert_eq!(parse(args.iter().copied()), Ok(want), "{args:?}");
        }
    }

    #[test]
    fn error_paths_table() {
        for (args, msg) in [
            (&["--bogus"][..], "Unknown option --bogus"),
            (&["-z"], "Unknown option -z"),
            (&["-lz"], "Unknown option -z"),
            (&["-f"], "Missing parameter for option -f"),
            (&["--use-file"], "Missing parameter for option --use-file"),
            (&["-nf"], "Missing parameter for option -f"),
            (&["--signum"], "Missing parameter for option --signum"),
            (
                &["--dont-fork=yes"],
                "option '--dont-fork' doesn't allow an argument",
            ),
            (
                &["--log"],
                "option '--log' is ambiguous; possibilities: '--log-console' '--log-detail' '--log-facility' '--log-file'",
            ),
            (
                &["--dont-re"],
                "option '--dont-re' is ambiguous; possibilities: '--dont-release-vrrp' '--dont-release-ipvs' '--dont-respawn'",
            ),
            (&["extra"], "unexpected argument 'extra'"),
            (&["-n", "--", "x"], "unexpected argument 'x'"),
            (&["-S", "9"], "Invalid log facility '9'"),
            (&["--log-facility=kern"], "Invalid log facility 'kern'"),
            (&["-u", "9x"], "Invalid --umask option 9x"),
            (&["--config-fd=x"], "Invalid --config-fd option x"),
            (&["-s", "a/b"], "Invalid namespace name 'a/b'"),
            (&["-n", "-T"], "-T/--genhash must be the first option"),
            (&["--"], ""),
        ] {
            match parse(args.iter().copied()) {
                Err(CliError(m)) => assert_eq!(m, msg, "{args:?}"),
                Ok(a) if msg.is_empty() => assert!(matches!(a, Action::Run(_))),
                Ok(a) => panic!("{args:?} should fail with {msg:?}, gave {a:?}"),
            }
        }
        // "-" alone is not a flag.
        assert_eq!(fails(&["-"]), "unexpected argument '-'");
    }

    #[test]
    fn all_wins_over_prefix_of_all_config() {
        assert!(run(&["--all"]).subsystems.all);
        assert!(!run(&["--all"]).all_config);
        assert!(run(&["--all-c"]).all_config);
    }

    #[test]
    fn signum_names() {
        assert_eq!(signum("STOP"), Some(15));
        assert_eq!(signum("RELOAD"), Some(1));
        assert_eq!(signum("DATA"), Some(10));
        assert_eq!(signum("STATS"), Some(12));
        assert_eq!(signum("STATS_CLEAR"), Some(libc::SIGRTMAX() - 1));
        assert_eq!(signum("JSON"), Some(libc::SIGRTMIN() + 2));
        assert_eq!(signum("TDUMP"), None);
        assert_eq!(signum("json"), None);
    }

    #[test]
    fn usage_lists_every_flag() {
        let u = usage("keepalived-rs");
        for flag in FLAGS {
            assert!(u.contains(&format!("--{}", flag.long)), "{}", flag.long);
            if let Some(c) = flag.short {
                assert!(u.contains(&format!("-{c}, --{}", flag.long)), "-{c}");
            }
        }
    }
}
