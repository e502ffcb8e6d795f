//! The configuration: keepalived.conf read into a typed, validated model.
//!
//! Data path: text --[`preprocess`]--> logical lines with origins --pest grammar--> tree of
//! statements and blocks --section parsers--> typed [`Config`] --checks--> diagnostics.
//! Nothing downstream looks at text again.

pub mod preprocess;
pub mod source;

pub use source::{Diagnostic, Diagnostics, FileId, Loc, Preprocessed, Severity, SourceMap};
