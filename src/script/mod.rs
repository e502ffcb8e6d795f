//! Scripts and notify FIFOs, for every subsystem (VRRP today; the checkers' MISC_CHECK,
//! notify_up/down and quorum_up/down next). Nothing here knows VRRP.
//!
//! - [`Spawn`]: a script's words, whom it runs as (its `user [group]`, else `script_user`, else
//!   `keepalived_script`, else root; with `enable_script_security`: no one) and the file it
//!   resolved to at load. [`Spawn::checked_command`] makes the one check of `config::scripts`
//!   right before every run, so a script that fails it never starts and a fix takes effect
//!   without a reload; [`Spawn::start`] hands the command to the reactor, which starts it in its
//!   own process group and, given a timeout, kills the group at the timeout ([`Core::spawn`]).
//! - [`Settings`]: the script settings of a loaded configuration, from which [`Spawn`]s are made.
//! - [`FifoOut`]: a notify FIFO, lines in order, the daemon never waiting for a reader.
//! - [`split_command`]: keepalived's word splitting of a command line.
//!
//! [`Core::spawn`]: crate::reactor::Core::spawn

mod fifo;
mod spawn;
mod split;

pub use fifo::FifoOut;
pub use spawn::{Settings, Spawn, default_script_user, refusal_line, script_ids};
pub use split::split_command;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_like_keepalived() {
        assert_eq!(split_command("/bin/x a  b"), ["/bin/x", "a", "b"]);
        assert_eq!(
            split_command("/bin/x 'a b' \"c d\""),
            ["/bin/x", "a b", "c d"]
        );
        assert_eq!(split_command("/bin/x a\\ b ''"), ["/bin/x", "a b", ""]);
        assert!(split_command("  ").is_empty());
    }
}
