//! The configuration: keepalived.conf read into a typed, validated model.
//!
//! Data path: text --[`preprocess`]--> logical lines with origins --pest grammar ([`tree`])-->
//! statements and blocks --section parsers ([`global`], [`vrrp`], [`lvs`], [`bfd`])--> typed
//! [`Config`] --cross-section checks--> [`Diagnostics`]. Nothing downstream looks at text again.
//!
//! Section modules share one shape: `TOP` (the top-level keywords they own), `parse_top` (one
//! top-level statement), `check` (after everything is read, with the whole config at hand) and
//! `dump` (canonical text for `-d`).

pub mod bfd;
pub mod dump;
pub mod global;
pub mod lvs;
pub mod preprocess;
pub mod scripts;
pub mod source;
#[cfg(test)]
pub(crate) mod testutil;
pub mod tree;
pub mod value;
pub mod vrrp;

pub use source::{At, Diagnostic, Diagnostics, FileId, Loc, Preprocessed, Severity, SourceMap};

/// How to read the configuration (from the command line).
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-i`: the id `@ID` lines are matched against (default: the short host name).
    pub config_id: String,
    /// `-e`: a missing file is an error.
    pub all_config: bool,
}

/// The outcome of reading a configuration: the model, what was said about it, and the files read.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub diags: Diagnostics,
    pub sources: SourceMap,
}

/// Reads, preprocesses, parses and checks the configuration at `path`. Never fails: problems,
/// including a missing file, are diagnostics.
pub fn load(path: &std::path::Path, opts: &LoadOptions) -> Loaded {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::default();
    let mut popts = preprocess::Options::new(opts.config_id.clone());
    popts.all_config = opts.all_config;
    let pre = preprocess::preprocess(path, &popts, &mut sources, &mut diags);
    let config = Config::from_preprocessed(&pre, &mut diags);
    scripts::check(&config, &scripts::SystemEnv, &mut diags);
    Loaded {
        config,
        diags,
        sources,
    }
}

/// Everything keepalived.conf says, resolved and validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pub global: global::Global,
    pub vrrp: vrrp::Vrrp,
    /// Shared with the IPVS side, which keeps it for its dumps (40,000 real servers are
    /// 15 MB: a copy of them doubled the daemon's memory).
    pub lvs: std::rc::Rc<lvs::Lvs>,
    pub bfd: bfd::Bfd,
}

/// Every top-level keyword, for "did you mean" hints.
pub fn top_keywords() -> Vec<&'static str> {
    [global::TOP, vrrp::TOP, lvs::TOP, bfd::TOP].concat()
}

impl Config {
    /// Builds the model from preprocessed text. Each top-level statement goes into the model as
    /// soon as the tree builder has it, so the statement tree never exists whole; the diagnostics
    /// come in the order [`Config::from_nodes`] gives (the tree's first, then the sections').
    pub fn from_preprocessed(pre: &Preprocessed, d: &mut Diagnostics) -> Config {
        let mut cfg = Config::default();
        let top = top_keywords();
        let mut sections = Diagnostics::default();
        tree::parse_each(pre, d, |node| cfg.parse_top(&node, &top, &mut sections));
        d.absorb(sections);
        cfg.check(d);
        cfg
    }

    pub fn from_nodes(nodes: &[tree::Node], d: &mut Diagnostics) -> Config {
        let mut cfg = Config::default();
        let top = top_keywords();
        for node in nodes {
            cfg.parse_top(node, &top, d);
        }
        cfg.check(d);
        cfg
    }

    /// One top-level statement; `top` is [`top_keywords`].
    fn parse_top(&mut self, node: &tree::Node, top: &[&str], d: &mut Diagnostics) {
        let Some(kw) = node.words.first() else {
            return;
        };
        let k = kw.text.as_str();
        if global::TOP.contains(&k) {
            self.global.parse_top(node, d);
        } else if vrrp::TOP.contains(&k) {
            self.vrrp.parse_top(node, d);
        } else if lvs::TOP.contains(&k) {
            std::rc::Rc::make_mut(&mut self.lvs).parse_top(node, d);
        } else if bfd::TOP.contains(&k) {
            self.bfd.parse_top(node, d);
        } else {
            value::unknown(d, kw, top, "the top level");
        }
    }

    /// The checks that need the whole configuration, once everything is read.
    fn check(&self, d: &mut Diagnostics) {
        self.global.check(self, d);
        self.vrrp.check(self, d);
        self.lvs.check(self, d);
        self.bfd.check(self, d);
    }

    /// Builds the model from one text (tests, fuzzing, `-d` round trips): preprocessed as a file
    /// named `keepalived.conf` in the current directory, config id `test`.
    pub fn from_text(text: &str, d: &mut Diagnostics) -> Config {
        Config::from_text_limited(text, preprocess::MAX_OUT_LINES, d)
    }

    /// [`Config::from_text`] with a smaller expansion budget ([`preprocess::Options::max_lines`]):
    /// for the fuzzer, which must see a `~SEQ` over billions of values stop within its time limit.
    pub fn from_text_limited(text: &str, max_lines: usize, d: &mut Diagnostics) -> Config {
        let mut sources = SourceMap::new();
        let mut popts = preprocess::Options::new("test");
        popts.max_lines = max_lines;
        let pre = preprocess::preprocess_str(
            std::path::Path::new("keepalived.conf"),
            text,
            &popts,
            &mut sources,
            d,
        );
        Config::from_preprocessed(&pre, d)
    }

    /// Canonical keepalived.conf text of the whole model (`-d`).
    pub fn dump(&self) -> String {
        let mut w = dump::Writer::new();
        self.global.dump(&mut w);
        self.vrrp.dump(&mut w);
        self.lvs.dump(&mut w);
        self.bfd.dump(&mut w);
        w.finish()
    }
}
