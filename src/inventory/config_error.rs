//! A diagnostic that points into an inventory, stack or compose file:
//! file, line, column, the key, and a hint. Rendered by miette.

use std::ops::Range;
use std::path::Path;

use miette::{NamedSource, SourceSpan};

/// A problem in one of the operator's files. Always exit code 2.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{location}: {message}")]
pub struct ConfigError {
    /// `path:line:column`, or just `path` when no position is known.
    pub location: String,
    pub message: String,
    #[source_code]
    source_code: NamedSource<String>,
    #[label("{label}")]
    span: Option<SourceSpan>,
    label: String,
    #[help]
    pub help: Option<String>,
}

/// The text of one file, kept so that errors can point into it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

impl SourceFile {
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let display = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(SourceFile { path: display, text }),
            Err(err) => Err(ConfigError::whole_file(
                &display,
                format!("cannot read the file: {err}"),
                None,
            )),
        }
    }

    /// An error at a byte range of this file.
    pub fn error_at(
        &self,
        span: Range<usize>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> ConfigError {
        let message = message.into();
        let span = clamp(span, self.text.len());
        let (line, column) = line_column(&self.text, span.start);
        ConfigError {
            location: format!("{}:{}:{}", self.path, line, column),
            label: short_label(&message),
            message,
            source_code: NamedSource::new(self.path.clone(), self.text.clone()),
            span: Some(span.into()),
            help,
        }
    }

    /// An error about the file as a whole (a missing key, say).
    pub fn error(&self, message: impl Into<String>, help: Option<String>) -> ConfigError {
        ConfigError::whole_file(&self.path, message.into(), help)
    }

    /// The byte offset of the first line mentioning `needle`, for errors about
    /// values that carry no span of their own (compose files).
    pub fn find(&self, needle: &str) -> Option<Range<usize>> {
        self.text.find(needle).map(|start| start..start + needle.len())
    }
}

impl ConfigError {
    fn whole_file(path: &str, message: String, help: Option<String>) -> Self {
        ConfigError {
            location: path.to_string(),
            label: String::new(),
            message,
            source_code: NamedSource::new(path.to_string(), String::new()),
            span: None,
            help,
        }
    }
}

fn clamp(span: Range<usize>, len: usize) -> Range<usize> {
    let start = span.start.min(len);
    let end = span.end.clamp(start, len);
    start..end
}

/// 1-based line and column of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn short_label(message: &str) -> String {
    message.split(':').next().unwrap_or(message).to_string()
}
