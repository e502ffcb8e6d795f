//! The documentation agrees with the binary and with keepalived(8):
//! - `--help` lists every flag of keepalived(8) as the reference's section 1.8 gives them;
//! - man/keepalived-rs.8 renders without a groff warning and documents every flag we parse.

mod common;

use std::process::Command;

use common::{bin, require, shared_dir};

/// The flags named in the first column of the reference's section 1.8 table: `-f`, `--use-file`...
fn reference_flags(md: &str) -> Vec<String> {
    let start = md.find("### 1.8").expect("section 1.8 in the reference");
    let section = &md[start..];
    let end = section[4..].find("\n## ").map_or(section.len(), |e| e + 4);
    let mut flags = Vec::new();
    for line in section[..end].lines() {
        let Some(row) = line.strip_prefix('|') else {
            continue;
        };
        let first = row.split('|').next().unwrap_or_default();
        // Only the back-quoted parts name flags.
        for (i, part) in first.split('`').enumerate() {
            if i % 2 == 0 {
                continue;
            }
            for word in part.split([' ', ',', '=', '[']) {
                let word = word.trim();
                if word.starts_with('-') && word.len() > 1 && !word.starts_with("---") {
                    flags.push(word.to_string());
                }
            }
        }
    }
    flags
}

#[test]
fn help_lists_every_keepalived_flag() {
    let path = shared_dir().join("reference").join("keepalived.md");
    if !require(
        path.exists(),
        &format!("reference {} not found", path.display()),
    ) {
        return;
    }
    let md = std::fs::read_to_string(&path).unwrap();
    let flags = reference_flags(&md);
    assert!(flags.len() >= 50, "the table parses: {flags:?}");
    let out = Command::new(bin()).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let missing: Vec<&String> = flags
        .iter()
        .filter(|f| {
            // A whole word in the help: `-f,` `--use-file=` `--all ` but not `--all` inside `--all-config`.
            !help
                .split(|c: char| c.is_whitespace() || c == ',' || c == '=' || c == '[')
                .any(|w| w == f.as_str())
        })
        .collect();
    assert!(
        missing.is_empty(),
        "flags of keepalived(8) missing from --help: {missing:?}\n{help}"
    );
}

/// groff's ASCII output with overstriking (bold, underline) removed.
fn render(page: &str) -> Option<(String, String)> {
    let out = Command::new("groff")
        .args(["-man", "-Tascii", "-ww", page])
        .output()
        .ok()?;
    let raw = String::from_utf8_lossy(&out.stdout);
    let mut text = String::new();
    for c in raw.chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    Some((text, String::from_utf8_lossy(&out.stderr).into_owned()))
}

fn groff_present() -> bool {
    Command::new("groff")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn man_pages_render_without_warnings() {
    if !require(groff_present(), "groff not installed") {
        return;
    }
    let page = concat!(env!("CARGO_MANIFEST_DIR"), "/man/keepalived-rs.8");
    for device in ["-Tutf8", "-Tascii"] {
        let out = Command::new("groff")
            .args(["-man", device, "-ww", page])
            .output()
            .unwrap();
        assert!(out.status.success());
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(warnings.is_empty(), "groff {device} warnings:\n{warnings}");
    }
}

#[test]
fn man_page_documents_every_flag_and_signal() {
    if !require(groff_present(), "groff not installed") {
        return;
    }
    let (text, _) = render(concat!(env!("CARGO_MANIFEST_DIR"), "/man/keepalived-rs.8")).unwrap();
    // Rendered text hyphenates long words at line ends; join them back.
    let text = text.replace("-\n", "-");
    for long in keepalived_rs::cli::long_flags() {
        assert!(
            text.contains(&format!("--{long}")),
            "man page lacks --{long}"
        );
    }
    for sig in [
        "SIGHUP",
        "SIGTERM",
        "SIGINT",
        "SIGUSR1",
        "SIGUSR2",
        "SIGRTMIN+2",
        "SIGRTMAX-1",
        "SIGCHLD",
    ] {
        assert!(text.contains(sig), "man page lacks {sig}");
    }
    for section in [
        "SIGNALS",
        "FILES",
        "EXIT STATUS",
        "DIFFERENCES FROM KEEPALIVED",
    ] {
        assert!(text.contains(section), "man page lacks section {section}");
    }
}
