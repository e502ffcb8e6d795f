//! Trackers: `vrrp_script`, `track_file`, `vrrp_track_process` and `track_bfd`, and what each
//! owner that tracks them gets from them. VRRP instances are the owners today; the checkers'
//! MISC_CHECK and FILE_CHECK will use the same parts. Nothing here knows VRRP: an owner is an
//! index in the order its executor gave ([`Owner`]), and the reactor keys are the executor's
//! ([`Io`]).
//!
//! # Shape
//! - Pure logic, tested without a reactor: [`weight`] (keepalived's weight arithmetic),
//!   [`script`] (rise/fall counting, `init_fail`), [`file`](mod@file) (a file's value, `init_file`, path
//!   resolution) and [`process`] (matching a process, the quorum).
//! - IO, in [`run`]: each script runs every `interval` (the first run at start), through the
//!   reactor (`Core::spawn`: its own process group, killed at `timeout`), as its `user`, else
//!   `script_user`, else `keepalived_script`, else root (with `enable_script_security`: no one;
//!   see `config::scripts`). Script security is checked right before every run
//!   (`script::Spawn::checked_command`); a refusal is logged once and the script counts for
//!   nothing until it passes. A run still going at the next tick skips that tick. Exit 0 is a
//!   success; a non-zero exit, a signal or the timeout a failure.
//! - Track files are read when inotify says their directory changed (a write closed, a rename in
//!   or out, a delete), so a file that is created or replaced later is followed too.
//! - Processes are counted from an initial `/proc` scan, then from the kernel's process connector
//!   (fork, exec, comm, exit); where the connector cannot be reached (a network namespace entered
//!   with `ip netns exec`), from a `/proc` scan every second.
//!
//! # What an owner gets
//! [`Trackers::contribution`] is the sum of the weights of its scripts, files and processes, and
//! whether any of them puts it in FAULT, computed as keepalived does (`vrrp_track.c`,
//! `track_file.c`):
//! - script or process with weight `W` and multiplier `M` (-1 with `reverse`, else 1): while OK,
//!   `W*M` if `W > 0`; while failed, `W*M` if `W < 0`; `W == 0`: FAULT while failed (with
//!   `reverse`: while OK);
//! - file holding `V`: `V*W*M` clamped to [-254, 253], where -254 is FAULT; `W == 0`: FAULT while
//!   `V != 0` (with `reverse`: while `V == 0`).
//!
//! A script that has not reported yet counts for nothing (keepalived holds a weight-0 tracker's
//! instance in INIT meanwhile; here it starts, and the first result, milliseconds later, decides).
//! `init_fail` makes it count as failed from the start.
//!
//! # Contract
//! Entry points return `true` when some owner's contribution may have changed; the executor
//! then recomputes and hands its machines the new values (VRRP: `Input::Tracking`, see
//! `executor/vrrp/run.rs`).

pub mod file;
pub mod process;
pub mod run;
pub mod script;
pub mod weight;

pub use file::parse_c_long;
pub use process::ProcMatch;
pub use run::{Io, Owner, PROC_POLL, TrackKey, Trackers};
pub use script::{Outcome, RiseFall};
