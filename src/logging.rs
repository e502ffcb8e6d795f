//! Logging: the `log` crate, fanned out to syslog, the console and a log file.
//!
//! - syslog (ident `keepalived-rs`, facility from `-S`), unless `-G`;
//! - the console (stderr) with `-l`, in keepalived's format `Tue Nov 24 09:08:22 2026: message`;
//! - a file with `-g[FILE]`, same format, each line written with one `write(2)`.
//!
//! The level filter is env_logger's: `KEEPALIVED_RS_LOG` in its syntax (`debug`,
//! `keepalived_rs::reactor=trace,info`); without it `info`, or `debug` with `-D`.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use log::{Level, Log, Metadata, Record};

use crate::sys;

/// The environment variable holding the level filter.
pub const ENV_FILTER: &str = "KEEPALIVED_RS_LOG";

/// Where log lines go.
#[derive(Debug, Clone, Default)]
pub struct LogTargets<'a> {
    pub syslog: Option<i32>,
    pub console: bool,
    pub file: Option<&'a Path>,
    pub detail: bool,
}

struct Logger {
    /// Only its filter is used; the sinks are ours.
    filter: env_logger::Logger,
    syslog: bool,
    console: bool,
    file: Option<Mutex<File>>,
}

fn syslog_priority(level: Level) -> i32 {
    match level {
        Level::Error => libc::LOG_ERR,
        Level::Warn => libc::LOG_WARNING,
        Level::Info => libc::LOG_INFO,
        Level::Debug | Level::Trace => libc::LOG_DEBUG,
    }
}

/// keepalived's console line; warnings and errors carry their level, as keepalived's do in words.
fn format_line(record: &Record<'_>) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let prefix = match record.level() {
        Level::Error => "ERROR: ",
        Level::Warn => "WARNING: ",
        _ => "",
    };
    format!(
        "{}: {prefix}{}\n",
        sys::format_local_time(secs),
        record.args()
    )
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        Log::enabled(&self.filter, metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if !self.filter.matches(record) {
            return;
        }
        if self.syslog {
            let msg = match record.level() {
                Level::Error => format!("ERROR: {}", record.args()),
                Level::Warn => format!("WARNING: {}", record.args()),
                _ => record.args().to_string(),
            };
            sys::syslog::send(syslog_priority(record.level()), &msg);
        }
        if self.console || self.file.is_some() {
            let line = format_line(record);
            if self.console {
                // One write for the whole line; a closed stderr is not worth dying for.
                let _ = std::io::stderr().lock().write_all(line.as_bytes());
            }
            if let Some(file) = &self.file
                && let Ok(mut f) = file.lock()
            {
                let _ = f.write_all(line.as_bytes());
            }
        }
    }

    fn flush(&self) {}
}

/// Installs the logger. Call once, before anything logs; a second call is ignored.
pub fn init(targets: &LogTargets<'_>) -> std::io::Result<()> {
    let mut fb = env_logger::Builder::new();
    match std::env::var(ENV_FILTER) {
        Ok(spec) if !spec.trim().is_empty() => {
            fb.parse_filters(&spec);
        }
        _ => {
            fb.filter_level(if targets.detail {
                log::LevelFilter::Debug
            } else {
                log::LevelFilter::Info
            });
        }
    }
    let filter = fb.build();
    let file = match targets.file {
        Some(path) => Some(Mutex::new(sys::files::open_append(path)?)),
        None => None,
    };
    if let Some(facility) = targets.syslog {
        sys::syslog::open(facility);
    }
    let max = filter.filter();
    let logger = Logger {
        filter,
        syslog: targets.syslog.is_some(),
        console: targets.console,
        file,
    };
    if log::set_boxed_logger(Box::new(logger)).is_ok() {
        log::set_max_level(max);
    }
    Ok(())
}
