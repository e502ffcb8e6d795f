//! `include PATTERN` and its variants: the checks, brace expansion, globbing.

use super::*;

impl<'a> Pre<'a> {
    /// Step 5: if `t` is `include PATTERN` (or a variant), reads the files and returns true.
    /// keepalived takes the whole rest of the line as the pattern, spaces and quotes included.
    pub(super) fn include(&mut self, f: &mut FileCtx, line_no: u32, t: &[Ch]) -> bool {
        let word_end = t.iter().position(|c| is_blank(c.c)).unwrap_or(t.len());
        let Some(variant) = Checks::of_keyword(&string_of(&t[..word_end])) else {
            return false;
        };
        let Some(start) = t[word_end..]
            .iter()
            .position(|c| !is_blank(c.c))
            .map(|p| p + word_end)
        else {
            return false; // a bare `include` is left to the grammar ("unknown keyword")
        };
        let pattern = string_of(&t[start..]);
        let loc = f.loc(line_no, t[start].col);
        let mut checks = f.checks.with(variant);
        if self.opts.all_config {
            checks = Checks::ALL;
        }
        self.include_pattern(f, &pattern, checks, loc);
        true
    }

    /// Expands braces, globs each alternative, reports what keepalived reports, reads the files.
    /// Files come in the order of the brace alternatives, each alternative's matches sorted.
    pub(super) fn include_pattern(
        &mut self,
        f: &mut FileCtx,
        pattern: &str,
        checks: Checks,
        loc: Loc,
    ) {
        if pattern.len() > MAX_PATTERN_BYTES {
            self.diags.push(
                severity(checks.has(Checks::READABLE)),
                Some(loc),
                format!("include pattern is longer than {MAX_PATTERN_BYTES} bytes - skipping"),
            );
            return;
        }
        let (alternatives, braces, truncated) = brace_expand(pattern);
        if truncated {
            self.diags.warn(
                loc,
                format!(
                    "include pattern expands to more than {MAX_BRACE_ALTERNATIVES} alternatives; \
                     the rest are ignored"
                ),
            );
        }
        let wild = alternatives.iter().any(|a| has_wildcard(a));
        let mut files = Vec::new();
        let mut missing = false;
        for alt in &alternatives {
            let found = if self.opts.read_includes {
                glob(&f.dir, alt)
            } else {
                Vec::new()
            };
            if found.is_empty() && !has_wildcard(alt) {
                missing = true;
            }
            files.extend(found);
        }
        let hint = format!("relative paths are resolved in {}", f.dir.display());
        if files.is_empty() {
            // keepalived 2.2.7's messages and checks; a wildcard that matches nothing is normal
            // for plain `include` (optional conf.d files), so keepalived says nothing: a note.
            let (sev, message) = if wild {
                let sev = if checks.has(Checks::WILDCARD) {
                    Severity::Fatal
                } else {
                    Severity::Note
                };
                (sev, format!("No config files matched '{pattern}'."))
            } else {
                let must = (!braces && checks.has(Checks::MATCH | Checks::WILDCARD))
                    || checks.has(Checks::BRACE);
                let sev = if must {
                    Severity::Fatal
                } else {
                    Severity::Warning
                };
                (sev, format!("Config files missing '{pattern}'."))
            };
            let d = self.diags.push(sev, Some(loc), message);
            if !pattern.starts_with('/') {
                d.hint(hint);
            }
            return;
        }
        if missing {
            let sev = severity(checks.has(Checks::BRACE));
            let d = self.diags.push(
                sev,
                Some(loc),
                format!("Some config files missing: \"{pattern}\"."),
            );
            if !pattern.starts_with('/') {
                d.hint(hint);
            }
        }
        for path in files {
            if self.stopped {
                break;
            }
            self.include_file(f, &path, checks, loc);
        }
    }

    /// Reads one included file, after keepalived's checks on it.
    pub(super) fn include_file(&mut self, f: &mut FileCtx, path: &Path, checks: Checks, loc: Loc) {
        let sev = severity(checks.has(Checks::READABLE));
        let shown = path.display();
        let problem = match fs::metadata(path) {
            Err(e) => Some(format!(
                "Configuration file '{shown}' open problem ({e}) - skipping"
            )),
            Ok(m) if m.is_dir() => Some(format!(
                "Configuration file '{shown}/' is a directory - skipping"
            )),
            Ok(m) if !m.is_file() || m.permissions().mode() & 0o111 != 0 => Some(format!(
                "Configuration file '{shown}' is not a regular non-executable file - skipping"
            )),
            Ok(m) if m.len() > MAX_FILE_BYTES => Some(format!(
                "Configuration file '{shown}' is larger than {MAX_FILE_BYTES} bytes - skipping"
            )),
            Ok(_) => None,
        };
        if let Some(message) = problem {
            self.diags.push(sev, Some(loc), message);
            return;
        }
        let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.reading.contains(&canonical) {
            self.diags
                .fatal(
                    loc,
                    format!("include cycle: '{shown}' is already being read - skipping"),
                )
                .hint(format!(
                    "include chain: {}",
                    self.reading
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(" -> ")
                ));
            return;
        }
        if self.reading.len() >= MAX_INCLUDE_DEPTH {
            self.diags.fatal(
                loc,
                format!("includes nest more than {MAX_INCLUDE_DEPTH} deep at '{shown}' - skipping"),
            );
            return;
        }
        let bytes = match fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                self.diags.push(
                    sev,
                    Some(loc),
                    format!("Configuration file '{shown}' open problem ({e}) - skipping"),
                );
                return;
            }
        };
        let id = self.sources.add(path);
        let mut child = FileCtx::new(id, dir_of(path), f.checks);
        self.reading.push(canonical);
        self.run(&mut child, &bytes);
        self.reading.pop();
    }
}

/// The include checks of keepalived's `include_check` (bits, combined with `|`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Checks(u8);

impl Checks {
    pub(super) const NONE: Checks = Checks(0);
    /// Every match must be a readable regular non-executable file.
    pub(super) const READABLE: u8 = 1;
    /// A pattern without wildcards must match.
    pub(super) const MATCH: u8 = 2;
    /// A pattern with wildcards must match too.
    pub(super) const WILDCARD: u8 = 4;
    /// Every brace alternative without wildcards must match.
    pub(super) const BRACE: u8 = 8;
    pub(super) const ALL: Checks = Checks(15);

    pub(super) fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    pub(super) fn with(self, other: Checks) -> Checks {
        Checks(self.0 | other.0)
    }

    /// The checks an include keyword adds; `None` if `word` is not one. keepalived: "match,
    /// wildcard_match and brace_match include the readable check".
    pub(super) fn of_keyword(word: &str) -> Option<Checks> {
        let r = Checks::READABLE;
        Some(Checks(match word {
            "include" => 0,
            "includer" => r,
            "includem" => r | Checks::MATCH,
            "includew" => r | Checks::WILDCARD,
            "includeb" => r | Checks::BRACE,
            "includea" => Checks::ALL.0,
            _ => return None,
        }))
    }

    /// `global_defs { include_check [OPTIONS] }`: no option means all; a bare option list sets the
    /// checks; `+opt` adds and `-opt` removes (the sign carries on to the following options).
    /// Unknown options are left for the typed parser to report.
    pub(super) fn apply(&mut self, options: &[String]) {
        if options.is_empty() {
            *self = Checks::ALL;
            return;
        }
        let mut sign: Option<bool> = None;
        let mut cleared = false;
        for opt in options {
            let name = if let Some(rest) = opt.strip_prefix('+') {
                sign = Some(true);
                rest
            } else if let Some(rest) = opt.strip_prefix('-') {
                sign = Some(false);
                rest
            } else {
                opt.as_str()
            };
            let bit = match name {
                "readable" => Checks::READABLE,
                "match" => Checks::MATCH,
                "wildcard_match" => Checks::WILDCARD,
                "brace_match" => Checks::BRACE,
                _ => continue,
            };
            let implied = if bit == Checks::READABLE {
                0
            } else {
                Checks::READABLE
            };
            match sign {
                None => {
                    if !cleared {
                        *self = Checks::NONE;
                        cleared = true;
                    }
                    self.0 |= bit | implied;
                }
                Some(true) => self.0 |= bit | implied,
                Some(false) => self.0 &= !bit,
            }
        }
    }
}

/// csh brace expansion, left to right: `a{b,c{d,e}}f` gives `abf acdf acef`. `{}` and braces
/// without a match stay literal; `\` escapes. Returns the alternatives, whether there were braces,
/// and whether [`MAX_BRACE_ALTERNATIVES`] cut the list short.
pub(super) fn brace_expand(pattern: &str) -> (Vec<String>, bool, bool) {
    let mut out = Vec::new();
    let mut had_braces = false;
    let mut stack = vec![pattern.to_string()];
    while let Some(p) = stack.pop() {
        match find_brace(&p) {
            None => {
                out.push(p);
                // Every pattern left on the stack gives at least one more alternative.
                if out.len() >= MAX_BRACE_ALTERNATIVES && !stack.is_empty() {
                    return (out, had_braces, true);
                }
            }
            Some((open, close, commas)) => {
                had_braces = true;
                let mut bounds = vec![open];
                bounds.extend(commas);
                bounds.push(close);
                // Pushed in reverse so that they come off the stack in order.
                for w in bounds.windows(2).rev() {
                    stack.push(format!(
                        "{}{}{}",
                        &p[..open],
                        &p[w[0] + 1..w[1]],
                        &p[close + 1..]
                    ));
                }
            }
        }
    }
    (out, had_braces, false)
}

/// The first expandable `{...}` of `p`: byte offsets of `{`, `}` and its top-level commas.
pub(super) fn find_brace(p: &str) -> Option<(usize, usize, Vec<usize>)> {
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'{' => {
                let mut depth = 0usize;
                let mut commas = Vec::new();
                let mut j = i;
                while j < b.len() {
                    match b[j] {
                        b'\\' => j += 1,
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        b',' if depth == 1 => commas.push(j),
                        _ => {}
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return None; // no matching `}`: the rest is literal
                }
                if j == i + 1 {
                    i += 2; // `{}` is literal
                    continue;
                }
                return Some((i, j, commas));
            }
            _ => i += 1,
        }
    }
    None
}

/// Whether a glob pattern has an unescaped `*`, `?` or `[`.
pub(super) fn has_wildcard(p: &str) -> bool {
    let mut escaped = false;
    for c in p.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if matches!(c, '*' | '?' | '[') {
            return true;
        }
    }
    false
}

/// `glob(3)` of one brace-free pattern, relative to `dir`: the existing paths it names, sorted.
/// Wildcards work in any component; `*` and `?` do not match a leading `.`.
pub(super) fn glob(dir: &Path, pattern: &str) -> Vec<PathBuf> {
    let (mut found, rest) = match pattern.strip_prefix('/') {
        Some(rest) => (vec![PathBuf::from("/")], rest),
        None => (vec![dir.to_path_buf()], pattern),
    };
    for comp in rest.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        if has_wildcard(comp) {
            for base in &found {
                let Ok(entries) = fs::read_dir(base) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let name = entry.file_name();
                    if crate::sys::fnmatch(comp.as_bytes(), name.as_bytes()) {
                        next.push(base.join(&name));
                    }
                }
            }
        } else {
            let literal = unescape(comp);
            next.extend(found.iter().map(|base| base.join(&literal)));
        }
        found = next;
        if found.is_empty() {
            break;
        }
    }
    found.retain(|p| fs::symlink_metadata(p).is_ok());
    found.sort_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
    found
}

/// A glob component without wildcards, its backslash escapes removed.
pub(super) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The absolute directory of a file (`${_PWD}`); symlinks resolved where it exists, as
/// keepalived's `getcwd()` after `chdir()` does.
pub(super) fn dir_of(path: &Path) -> PathBuf {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let absolute = if parent.is_absolute() {
        parent
    } else {
        std::env::current_dir().map_or(parent.clone(), |cwd| cwd.join(&parent))
    };
    fs::canonicalize(&absolute).unwrap_or(absolute)
}
