//! Track files (`track_file`): the value a file holds (read as C's `strtol`), `init_file`, and
//! keepalived's path resolution. Watching them (inotify) is the runtime's (`run.rs`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use log::{error, info, warn};

pub(super) struct File {
    pub(super) name: String,
    pub(super) path: PathBuf,
    /// The directory watched and the file's name in it.
    pub(super) dir: PathBuf,
    pub(super) part: OsString,
    pub(super) wd: Option<i32>,
    pub(super) value: i32,
}

/// C's `strtol(s, NULL, 0)`: blanks, a sign, then hex (`0x`), octal (leading `0`) or decimal
/// digits, up to the first other character; nothing readable is 0. `None` when out of `i32`
/// (keepalived: "Invalid number ... - ignoring").
pub fn parse_c_long(s: &[u8]) -> Option<i32> {
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let (radix, start) = match (s.get(i), s.get(i + 1), s.get(i + 2)) {
        (Some(b'0'), Some(b'x' | b'X'), Some(c)) if c.is_ascii_hexdigit() => (16, i + 2),
        (Some(b'0'), _, _) => (8, i),
        _ => (10, i),
    };
    let mut v: i64 = 0;
    for &c in &s[start.min(s.len())..] {
        let Some(d) = (c as char).to_digit(radix) else {
            break;
        };
        v = v
            .saturating_mul(i64::from(radix))
            .saturating_add(i64::from(d));
    }
    let v = if neg { -v } else { v };
    i32::try_from(v).ok()
}

impl File {
    /// The file of `track_file` `f`, with its value now; `None` (logged) when neither it nor its
    /// directory exists.
    pub(super) fn open(f: &crate::config::vrrp::TrackFile) -> Option<File> {
        let Some((path, dir, part)) = resolve_track_file(Path::new(&f.file)) else {
            error!(
                "Track file directory for {} ({}) does not exist - removing",
                f.name, f.file
            );
            return None;
        };
        let mut file = File {
            name: f.name.clone(),
            path,
            dir,
            part,
            wd: None,
            value: 0,
        };
        file.value = file.read();
        Some(file)
    }

    /// Reads the value: a missing or unreadable file is 0; an out-of-range number keeps the old
    /// value.
    pub(super) fn read(&self) -> i32 {
        use std::io::Read;
        let mut buf = [0u8; 127];
        let n = match std::fs::File::open(&self.path) {
            Ok(mut f) => f.read(&mut buf).unwrap_or(0),
            Err(_) => return 0,
        };
        match parse_c_long(&buf[..n]) {
            Some(v) => v,
            None => {
                info!(
                    "Invalid number {:?} read from {} - ignoring",
                    String::from_utf8_lossy(&buf[..n]).trim(),
                    self.path.display()
                );
                self.value
            }
        }
    }
}

/// `init_file [VALUE] [overwrite]`: writes the value when the file is missing, or always with
/// `overwrite` (never over something that is not a regular file). Written in place, so the file
/// keeps the owner the scripts that update it need, but never through a symlink or into a file
/// with other links (`sys::files`).
pub(super) fn init_file(name: &str, path: &Path, init: crate::config::vrrp::InitFile) {
    use crate::sys::files;
    match std::fs::symlink_metadata(path) {
        Ok(_) if !init.overwrite => return,
        Ok(m) if !m.is_file() && !m.file_type().is_symlink() => {
            warn!("Cannot initialise track file {name} - it is not a regular file");
            return;
        }
        _ => {}
    }
    let written = files::open_checked(
        path,
        std::fs::OpenOptions::new().write(true).create(true),
        0,
        0o644,
        files::Kind::Regular,
    )
    .and_then(|mut f| {
        use std::io::Write as _;
        f.set_len(0)?;
        f.write_all(format!("{}\n", init.value).as_bytes())
    });
    if let Err(e) = written {
        warn!(
            "Unable to initialise track file {name} ({}): {e}",
            path.display()
        );
    }
}

/// keepalived's path resolution: the file itself when it exists, else its directory (which must
/// exist) and its name. `None` when neither resolves.
pub(super) fn resolve_track_file(path: &Path) -> Option<(PathBuf, PathBuf, OsString)> {
    let full = match std::fs::canonicalize(path) {
        Ok(p) => p,
        Err(_) => {
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let dir = std::fs::canonicalize(parent).ok()?;
            if !dir.is_dir() {
                return None;
            }
            dir.join(path.file_name()?)
        }
    };
    let dir = full.parent()?.to_path_buf();
    let part = full.file_name()?.to_os_string();
    Some((full, dir, part))
}

pub(super) fn set_value(f: &mut File, v: i32) -> bool {
    if f.value == v {
        return false;
    }
    info!(
        "track_file {} ({}): value {v} (was {})",
        f.name,
        f.path.display(),
        f.value
    );
    f.value = v;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_values_read_as_strtol() {
        assert_eq!(parse_c_long(b"42\n"), Some(42));
        assert_eq!(parse_c_long(b"  -7 apples"), Some(-7));
        assert_eq!(parse_c_long(b"+3"), Some(3));
        assert_eq!(parse_c_long(b"0x1f"), Some(31));
        assert_eq!(parse_c_long(b"010"), Some(8));
        assert_eq!(parse_c_long(b"09"), Some(0), "octal stops at 9");
        assert_eq!(parse_c_long(b"0x"), Some(0));
        assert_eq!(parse_c_long(b""), Some(0));
        assert_eq!(parse_c_long(b"abc"), Some(0));
        assert_eq!(parse_c_long(b"99999999999"), None);
        assert_eq!(parse_c_long(b"-2147483648"), Some(i32::MIN));
    }

    #[test]
    fn track_files_resolve_through_their_directory() {
        let dir = std::env::temp_dir().join(format!("krs-trk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (full, d, part) = resolve_track_file(&dir.join("missing")).unwrap();
        assert_eq!(part, "missing");
        assert_eq!(d, std::fs::canonicalize(&dir).unwrap());
        assert_eq!(full, d.join("missing"));
        assert!(resolve_track_file(&dir.join("no/such/dir/file")).is_none());
        let p = dir.join("init");
        init_file(
            "t",
            &p,
            crate::config::vrrp::InitFile {
                value: 7,
                overwrite: false,
            },
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "7\n");
        init_file(
            "t",
            &p,
            crate::config::vrrp::InitFile {
                value: 8,
                overwrite: false,
            },
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "7\n", "kept");
        init_file(
            "t",
            &p,
            crate::config::vrrp::InitFile {
                value: 9,
                overwrite: true,
            },
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "9\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
