//! `keepalived-rs`: parse keepalived's command line, set up logging, run the daemon.
//!
//! Output never panics: stdout and stderr are written with [`cli::print_out`] and
//! [`cli::print_err`]. A reader that went away (`keepalived-rs --status | head`) ends the program
//! quietly with status 0, as `cat` into `head` does; another stdout failure is one line on stderr
//! and status 1; a stderr that cannot be written is ignored.

use std::ffi::OsString;
use std::process::ExitCode;

use keepalived_rs::cli::{self, Action};
use keepalived_rs::config;
use keepalived_rs::daemon::{self, exit};
use keepalived_rs::genhash;
use keepalived_rs::logging::{self, LogTargets};
use keepalived_rs::sys;

fn main() -> ExitCode {
    let prog = "keepalived-rs";
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    // genhash's options clash with the daemon's: its words are not read as the daemon's.
    if let Some(words) = genhash_args(&args) {
        return ExitCode::from(genhash::run(&words) as u8);
    }
    let opts = match cli::parse(args.iter().cloned()) {
        Ok(Action::Run(o)) => *o,
        Ok(Action::Help) => return output(&cli::usage(prog)),
        Ok(Action::Version) => return output(&format!("{}\n", version_text())),
        Ok(Action::Signum(name)) => {
            return match cli::signum(&name) {
                Some(n) => output(&format!("{n}\n")),
                None => {
                    cli::print_err(&format!("Unknown sigfunc {name}\n"));
                    ExitCode::from(exit::FATAL as u8)
                }
            };
        }
        Ok(Action::Status(o)) => {
            return match keepalived_rs::status::read(&o.pid_file) {
                Ok(text) => output(&text),
                Err(e) => {
                    cli::print_err(&format!("{prog}: {e}\n"));
                    ExitCode::from(1)
                }
            };
        }
        Ok(Action::Genhash) => {
            let words: Vec<String> = args
                .iter()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            return ExitCode::from(genhash::run(&words) as u8);
        }
        Err(e) => {
            cli::print_err(&format!("{prog}: {e}\n{}", cli::usage(prog)));
            return ExitCode::from(cli::EXIT_USAGE as u8);
        }
    };

    // Taken before `-s`: an abstract NOTIFY_SOCKET belongs to the namespace systemd is in.
    let notifier = daemon::notify::Notifier::open(sys::notify::take_env());
    if let Some(ns) = &opts.namespace
        && let Err(e) = sys::enter_netns(&daemon::netns_path(ns))
    {
        cli::print_err(&format!(
            "{prog}: cannot enter network namespace {ns}: {e}\n"
        ));
        return ExitCode::from(exit::FATAL as u8);
    }
    if let Some(mask) = opts.umask {
        sys::umask(mask);
    }

    if let Some(report) = &opts.config_test {
        return ExitCode::from(config_test(&opts, report.as_deref()) as u8);
    }

    let targets = LogTargets {
        syslog: (!opts.no_syslog).then_some(opts.log_facility.0),
        console: opts.log_console,
        file: opts.log_file.as_deref(),
        detail: opts.log_detail,
    };
    if let Err(e) = logging::init(&targets) {
        let file = opts.log_file.as_deref().unwrap_or(std::path::Path::new(""));
        cli::print_err(&format!(
            "{prog}: cannot open log file {}: {e}\n",
            file.display()
        ));
        return ExitCode::from(exit::FATAL as u8);
    }
    let load = load_options(&opts);
    let loaded = config::load(&opts.config_file, &load);
    if opts.dump_conf {
        // The daemon runs on whether anyone reads this or not.
        let _ = cli::print_out(&loaded.config.dump());
    }
    ExitCode::from(daemon::run(opts, load, loaded, notifier) as u8)
}

/// The words genhash reads when the line starts with `-T` or `--genhash` (keepalived: `-T` must
/// come first): the rest of the line, with what follows `T` in a cluster (`-Tv`) as options.
fn genhash_args(args: &[OsString]) -> Option<Vec<String>> {
    let first = args.first()?.to_str()?;
    let rest = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned());
    if !first.starts_with("--")
        && let Some(more) = first.strip_prefix("-T")
    {
        let more = (!more.is_empty()).then(|| format!("-{more}"));
        return Some(more.into_iter().chain(rest).collect());
    }
    (first.starts_with("--") && matches!(cli::parse([first]), Ok(Action::Genhash)))
        .then(|| rest.collect())
}

/// `-t`: read and check the configuration, report to stderr or `report`, exit with keepalived's
/// status. With `-d`, the canonical text of the model goes to stdout.
fn config_test(opts: &cli::Options, report: Option<&std::path::Path>) -> i32 {
    let mut loaded = config::load(&opts.config_file, &load_options(opts));
    keepalived_rs::executor::check::validate(&loaded.config, &mut loaded.diags);
    let text = loaded.diags.render(&loaded.sources);
    match report {
        Some(file) => {
            if let Err(e) = sys::files::replace(file, text.as_bytes(), sys::files::MODE) {
                cli::print_err(&format!(
                    "keepalived-rs: cannot write {}: {e}\n",
                    file.display()
                ));
            }
        }
        None => cli::print_err(&text),
    }
    if opts.dump_conf
        && let Err(e) = cli::print_out(&loaded.config.dump())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        cli::print_err(&format!(
            "keepalived-rs: cannot write the configuration: {e}\n"
        ));
    }
    loaded.diags.exit_status()
}

/// Writes `text` to stdout and gives the exit status: 0 when written or when the reader went
/// away, 1 (with one line on stderr) on another error.
fn output(text: &str) -> ExitCode {
    match cli::print_out(text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            cli::print_err(&format!(
                "keepalived-rs: cannot write to standard output: {e}\n"
            ));
            ExitCode::from(exit::FATAL as u8)
        }
    }
}

fn load_options(opts: &cli::Options) -> config::LoadOptions {
    config::LoadOptions {
        config_id: opts.config_id.clone().unwrap_or_else(sys::short_hostname),
        all_config: opts.all_config,
    }
}

fn version_text() -> String {
    format!(
        "keepalived-rs v{} (a reimplementation of Keepalived)\n\nRunning on {}\nC library signals: SIGRTMIN={} SIGRTMAX={}",
        env!("CARGO_PKG_VERSION"),
        sys::uname(),
        sys::sigrtmin(),
        sys::sigrtmax()
    )
}
