//! `keepalived-rs`: parse keepalived's command line, set up logging, run the daemon.

use std::process::ExitCode;

use keepalived_rs::cli::{self, Action};
use keepalived_rs::config;
use keepalived_rs::daemon::{self, exit};
use keepalived_rs::logging::{self, LogTargets};
use keepalived_rs::sys;

fn main() -> ExitCode {
    let prog = "keepalived-rs";
    let opts = match cli::parse(std::env::args_os().skip(1)) {
        Ok(Action::Run(o)) => *o,
        Ok(Action::Help) => {
            print!("{}", cli::usage(prog));
            return ExitCode::SUCCESS;
        }
        Ok(Action::Version) => {
            println!("{}", version_text());
            return ExitCode::SUCCESS;
        }
        Ok(Action::Signum(name)) => {
            return match cli::signum(&name) {
                Some(n) => {
                    println!("{n}");
                    ExitCode::SUCCESS
                }
                None => {
                    eprintln!("Unknown sigfunc {name}");
                    ExitCode::from(exit::FATAL as u8)
                }
            };
        }
        Ok(Action::Status(o)) => {
            return match keepalived_rs::daemon::read_status(&o.pid_file) {
                Ok(text) => {
                    println!("{}", text.trim_end());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("keepalived-rs: no running daemon answers: {e}");
                    ExitCode::from(1)
                }
            };
        }
        Ok(Action::Genhash) => {
            eprintln!("{prog}: genhash mode (-T) is not supported; use keepalived's genhash");
            return ExitCode::from(exit::FATAL as u8);
        }
        Err(e) => {
            eprintln!("{prog}: {e}");
            eprint!("{}", cli::usage(prog));
            return ExitCode::from(cli::EXIT_USAGE as u8);
        }
    };

    if let Some(ns) = &opts.namespace
        && let Err(e) = sys::enter_netns(&daemon::netns_path(ns))
    {
        eprintln!("{prog}: cannot enter network namespace {ns}: {e}");
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
        eprintln!("{prog}: cannot open log file: {e}");
        return ExitCode::from(exit::FATAL as u8);
    }
    let load = load_options(&opts);
    let loaded = config::load(&opts.config_file, &load);
    if opts.dump_conf {
        print!("{}", loaded.config.dump());
    }
    ExitCode::from(daemon::run(opts, load, loaded) as u8)
}

/// `-t`: read and check the configuration, report to stderr or `report`, exit with keepalived's
/// status. With `-d`, the canonical text of the model goes to stdout.
fn config_test(opts: &cli::Options, report: Option<&std::path::Path>) -> i32 {
    let loaded = config::load(&opts.config_file, &load_options(opts));
    let text = loaded.diags.render(&loaded.sources);
    match report {
        Some(file) => {
            if let Err(e) = std::fs::write(file, &text) {
                eprintln!("keepalived-rs: cannot write {}: {e}", file.display());
            }
        }
        None => eprint!("{text}"),
    }
    if opts.dump_conf {
        print!("{}", loaded.config.dump());
    }
    loaded.diags.exit_status()
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
