//! The configuration corpus (../shared/corpus, real-world files and keepalived's samples, each with
//! the verdict of Debian's keepalived 2.2.7 `-t`): our `-t` must agree, parse every file without a
//! crash, and `-d` of every file must parse back to an equal model.
//!
//! Agreement (corpus README): accept=yes -> we exit 0; accept=no -> we exit non-zero; `-`
//! (machine-dependent) -> we parse it and say what we think. Where keepalived is wrong, the file is
//! listed in `KEEPALIVED_WRONG` with the reason, and the man page says so too.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{bin, require, shared_dir};
use keepalived_rs::config::{self, Config, Diagnostics, LoadOptions};

/// Files where we deliberately disagree with keepalived 2.2.7, and why.
const KEEPALIVED_WRONG: &[(&str, &str)] = &[];

struct Row {
    file: String,
    accept: String,
    first_diagnostic: String,
}

fn rows(corpus: &Path) -> Vec<Row> {
    let tsv = std::fs::read_to_string(corpus.join("verdicts.tsv")).unwrap();
    tsv.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 2).then(|| Row {
                file: f[0].to_string(),
                accept: f[1].to_string(),
                first_diagnostic: f.get(5).unwrap_or(&"").to_string(),
            })
        })
        .collect()
}

fn corpus_dir() -> Option<PathBuf> {
    let c = shared_dir().join("corpus");
    let ok = c.join("verdicts.tsv").exists();
    require(ok, &format!("corpus {} not found", c.display())).then_some(c)
}

#[test]
fn verdicts_agree_with_keepalived() {
    let Some(corpus) = corpus_dir() else { return };
    let mut disagreements = Vec::new();
    let mut table = String::new();
    let (mut agree, mut scored) = (0, 0);
    for row in rows(&corpus) {
        let path = corpus.join(&row.file);
        let out = Command::new(bin())
            .args(["-t", "-f"])
            .arg(&path)
            .current_dir(path.parent().unwrap())
            .output()
            .unwrap();
        let code = out.status.code();
        assert!(
            matches!(code, Some(0 | 2 | 5 | 6)),
            "{}: crashed or odd exit {:?}",
            row.file,
            out.status
        );
        let ours_accept = code == Some(0);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().next().unwrap_or_default().to_string();
        table.push_str(&format!(
            "{:<6} {:<3} {:<60} {}\n",
            row.accept,
            code.unwrap_or(-1),
            row.file,
            first
        ));
        let expected = match row.accept.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        if let Some(exp) = expected {
            scored += 1;
            if exp == ours_accept {
                agree += 1;
            } else if !KEEPALIVED_WRONG.iter().any(|(f, _)| *f == row.file) {
                disagreements.push(format!(
                    "{}: keepalived {} ({}), ours exit {:?}: {}",
                    row.file,
                    if exp { "accepts" } else { "rejects" },
                    row.first_diagnostic,
                    code,
                    first
                ));
            }
        }
    }
    println!("corpus verdicts: {agree}/{scored} scored files agree\n{table}");
    assert!(
        disagreements.is_empty(),
        "{} disagreement(s):\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

#[test]
fn dump_round_trips_on_every_file() {
    let Some(corpus) = corpus_dir() else { return };
    let opts = LoadOptions {
        config_id: "corpus".into(),
        all_config: false,
    };
    let mut checked = 0;
    for row in rows(&corpus) {
        let path = corpus.join(&row.file);
        let loaded = config::load(&path, &opts);
        let text = loaded.config.dump();
        let mut d = Diagnostics::default();
        let again = Config::from_text(&text, &mut d);
        assert_eq!(
            again, loaded.config,
            "{}: -d output parses to a different model:\n{text}",
            row.file
        );
        checked += 1;
    }
    println!("round trip: {checked} files");
}

/// Our own configurations (conformance/configs/: @id lines, $VAR definitions, ~SEQ, includes, BFD,
/// checkers: what the corpus lacks) load clean, round-trip, and real keepalived accepts them too
/// (run in a throw-away namespace holding the interfaces each file names in its
/// `# interfaces:` header).
#[test]
fn our_configs_load_clean_and_keepalived_agrees() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/configs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    files.sort();
    assert!(files.len() >= 4);
    let keepalived = Path::new("/usr/sbin/keepalived").exists();
    let peer = require(
        common::is_root() && common::have("ip", "-V") && keepalived,
        "keepalived cross-check needs root, iproute2 and Debian's keepalived",
    );
    for file in &files {
        let out = Command::new(bin())
            .args(["-t", "-i", "lb1", "-f"])
            .arg(file)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let opts = LoadOptions {
            config_id: "lb1".into(),
            all_config: true,
        };
        let loaded = config::load(file, &opts);
        let mut d = Diagnostics::default();
        let again = Config::from_text(&loaded.config.dump(), &mut d);
        assert_eq!(again, loaded.config, "{}: round trip", file.display());
        if !peer {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let ifaces: Vec<&str> = text
            .lines()
            .find_map(|l| l.strip_prefix("# interfaces:"))
            .map(|l| l.split_whitespace().collect())
            .unwrap_or_default();
        let ns = common::Netns::new("cfg");
        for (i, ifname) in ifaces.iter().enumerate() {
            let peer_name = format!("p{i}");
            let ok = Command::new("ip")
                .args([
                    "-n", &ns.0, "link", "add", ifname, "type", "veth", "peer", "name", &peer_name,
                ])
                .status()
                .unwrap()
                .success();
            assert!(ok, "veth {ifname} in {}", ns.0);
        }
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &ns.0,
                "keepalived",
                "-t",
                "-l",
                "-n",
                "-i",
                "lb1",
                "-f",
            ])
            .arg(file)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "keepalived rejects our {}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
