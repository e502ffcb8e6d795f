//! The Prometheus text exposition format, version 0.0.4 (pure): families of samples, each
//! family's `# HELP` and `# TYPE` lines written before its first sample (a family without
//! samples writes nothing), label values and help text escaped as the format requires.
//!
//! Invariant: the callers give each family's samples together, once per family, with static
//! metric and label names that follow `[a-zA-Z_:][a-zA-Z0-9_:]*` (the unit tests check those
//! of the daemon's families).

use std::fmt::Write as _;

/// The `Content-Type` of the answer.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A family's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
}

/// The text being built.
#[derive(Debug, Default)]
pub struct Expo {
    out: String,
    name: &'static str,
    /// The header of the current family, written with its first sample.
    pending: Option<(Kind, &'static str)>,
}

impl Expo {
    pub fn new() -> Expo {
        Expo::default()
    }

    /// Starts family `name` (a counter's name ends in `_total`).
    pub fn family(&mut self, name: &'static str, kind: Kind, help: &'static str) {
        debug_assert!(kind == Kind::Gauge || name.ends_with("_total"), "{name}");
        self.name = name;
        self.pending = Some((kind, help));
    }

    /// One sample of the current family with an integer value.
    pub fn int(&mut self, labels: &[(&str, &str)], value: u64) {
        self.head(labels);
        let _ = writeln!(self.out, " {value}");
    }

    /// One sample of the current family; NaN and the infinities as the format spells them.
    pub fn float(&mut self, labels: &[(&str, &str)], value: f64) {
        self.head(labels);
        if value.is_nan() {
            self.out.push_str(" NaN\n");
        } else if value.is_infinite() {
            self.out
                .push_str(if value > 0.0 { " +Inf\n" } else { " -Inf\n" });
        } else {
            let _ = writeln!(self.out, " {value}");
        }
    }

    /// The family's header when this is its first sample, then `name{labels}`.
    fn head(&mut self, labels: &[(&str, &str)]) {
        if let Some((kind, help)) = self.pending.take() {
            let _ = write!(self.out, "# HELP {} ", self.name);
            for c in help.chars() {
                match c {
                    '\\' => self.out.push_str("\\\\"),
                    '\n' => self.out.push_str("\\n"),
                    c => self.out.push(c),
                }
            }
            let t = match kind {
                Kind::Counter => "counter",
                Kind::Gauge => "gauge",
            };
            let _ = writeln!(self.out, "\n# TYPE {} {t}", self.name);
        }
        self.out.push_str(self.name);
        if labels.is_empty() {
            return;
        }
        self.out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_label(&mut self.out, v);
            self.out.push('"');
        }
        self.out.push('}');
    }

    /// The text.
    pub fn finish(self) -> String {
        self.out
    }
}

/// A label value: backslash, double quote and line feed escaped (format 0.0.4).
fn escape_label(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Whether `name` is a valid metric or label name.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_labels_and_escapes() {
        let mut e = Expo::new();
        e.family("x_up", Kind::Gauge, "Up.\nA \\ line");
        e.int(&[], 1);
        e.family("x_empty_total", Kind::Counter, "Never sampled.");
        e.family("x_sent_total", Kind::Counter, "Sent.");
        e.int(&[("iname", "VI \"1\"\n\\x"), ("vrid", "51")], 7);
        e.int(&[("iname", "é"), ("vrid", "52")], u64::MAX);
        e.family("x_latency_seconds", Kind::Gauge, "Latency.");
        e.float(&[], 0.0015);
        e.float(&[("a", "nan")], f64::NAN);
        e.float(&[("a", "inf")], f64::INFINITY);
        e.float(&[("a", "-inf")], f64::NEG_INFINITY);
        e.float(&[("a", "int")], 3.0);
        assert_eq!(
            e.finish(),
            concat!(
                "# HELP x_up Up.\\nA \\\\ line\n# TYPE x_up gauge\nx_up 1\n",
                "# HELP x_sent_total Sent.\n# TYPE x_sent_total counter\n",
                "x_sent_total{iname=\"VI \\\"1\\\"\\n\\\\x\",vrid=\"51\"} 7\n",
                "x_sent_total{iname=\"é\",vrid=\"52\"} 18446744073709551615\n",
                "# HELP x_latency_seconds Latency.\n# TYPE x_latency_seconds gauge\n",
                "x_latency_seconds 0.0015\n",
                "x_latency_seconds{a=\"nan\"} NaN\n",
                "x_latency_seconds{a=\"inf\"} +Inf\n",
                "x_latency_seconds{a=\"-inf\"} -Inf\n",
                "x_latency_seconds{a=\"int\"} 3\n",
            )
        );
    }

    #[test]
    fn names() {
        for ok in ["a", "_a", "a:b_c9", "keepalived_vrrp_state"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "9a", "a-b", "a b", "é"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
