//! A diagnostic that points into an inventory, stack or compose file:
//! file, line, column, the key, and a hint. Rendered by miette.

use std::io::Read;
use std::ops::Range;
use std::path::Path;

use miette::SourceSpan;

use super::excerpt::Excerpt;
use super::toml_redaction::redact_toml;
use super::yaml_redaction::redact_yaml;

/// A problem in one of the operator's files. Always exit code 2.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{location}: {message}")]
pub struct ConfigError {
    /// `path:line:column`, or just `path` when no position is known.
    pub location: String,
    pub message: String,
    #[source_code]
    source_code: Excerpt,
    #[label("{label}")]
    span: Option<SourceSpan>,
    label: String,
    #[help]
    pub help: Option<String>,
    /// File, line and column, for ordering (an error about the whole file
    /// comes after those at a line of it).
    file: String,
    line: usize,
    column: usize,
}

/// Larger inventories, stack files and compose files are refused unread.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// The text of one file, kept so that errors can point into it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
    /// What diagnostics show of the file: `text` with every secret value
    /// starred out, byte for byte (toml_redaction.rs, yaml_redaction.rs).
    shown: String,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: String) -> Self {
        let path = path.into();
        let shown = if path.ends_with(".yml") || path.ends_with(".yaml") {
            redact_yaml(&text)
        } else {
            redact_toml(&text)
        };
        SourceFile { path, text, shown }
    }

    /// Reads the file, refusing one larger than `MAX_FILE_BYTES` before
    /// any parser sees it.
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let display = path.display().to_string();
        let cannot_read = |err: std::io::Error| {
            ConfigError::whole_file(&display, format!("cannot read the file: {err}"), None)
        };
        let file = std::fs::File::open(path).map_err(cannot_read)?;
        let mut text = String::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(cannot_read)?;
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(ConfigError::whole_file(
                &display,
                format!("the file is larger than {} MiB", MAX_FILE_BYTES >> 20),
                Some("homectl reads inventories, stack.toml and compose files of up to that size; is this the right file?".into()),
            ));
        }
        Ok(SourceFile::new(display, text))
    }

    /// An error at a byte range of this file.
    pub fn error_at(
        &self,
        span: Range<usize>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> ConfigError {
        let message = clip(message.into());
        let span = clamp(span, &self.text);
        let (line, column) = line_column(&self.text, span.start);
        let (source_code, shown_span) = Excerpt::around(&self.path, &self.shown, span);
        ConfigError {
            location: format!("{}:{}:{}", self.path, line, column),
            label: short_label(&message),
            message,
            source_code,
            span: Some(shown_span.into()),
            help,
            file: self.path.clone(),
            line,
            column,
        }
    }

    /// An error at a value that may be a secret typed by mistake: the
    /// snippet shows `***` instead of the value (and anything after it on
    /// its line), so the error never echoes a password to a terminal or log.
    pub fn secret_error_at(
        &self,
        span: Range<usize>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> ConfigError {
        let span = clamp(span, &self.text);
        let line_start = self.text[..span.start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[span.start..]
            .find('\n')
            .map_or(self.text.len(), |i| span.start + i);
        // From just after the `=` of the key (or the span's start) to the end
        // of the line, or of the span if the value runs over several lines.
        let value_start = match self.text[line_start..span.start].rfind('=') {
            Some(eq) => {
                let after = line_start + eq + 1;
                after
                    + (self.text[after..span.start].len()
                        - self.text[after..span.start].trim_start().len())
            }
            None => span.start,
        };
        let value_end = line_end.max(span.end);
        // Keep the line breaks, so that line numbers in the snippet stay right.
        let breaks = self.text[value_start..value_end].matches('\n').count();
        let replace = |text: &str| {
            let mut text = text.to_string();
            text.replace_range(
                value_start..value_end,
                &format!("***{}", "\n".repeat(breaks)),
            );
            text
        };
        let redacted = SourceFile {
            path: self.path.clone(),
            text: replace(&self.text),
            shown: replace(&self.shown),
        };
        redacted.error_at(value_start..value_start + 3, message, help)
    }

    /// An error about the file as a whole (a missing table, say).
    pub fn error(&self, message: impl Into<String>, help: Option<String>) -> ConfigError {
        ConfigError::whole_file(&self.path, message.into(), help)
    }
}

impl ConfigError {
    /// (file, line, column) for ordering a list of errors.
    pub fn position(&self) -> (&str, usize, usize) {
        (&self.file, self.line, self.column)
    }

    /// `warning: file:line:col: message`, and the help below it.
    pub fn warning_text(&self) -> String {
        match &self.help {
            Some(help) => format!("warning: {self}\n  help: {help}"),
            None => format!("warning: {self}"),
        }
    }

    pub(super) fn whole_file(path: &str, message: String, help: Option<String>) -> Self {
        let message = clip(message);
        ConfigError {
            location: path.to_string(),
            label: String::new(),
            message,
            source_code: Excerpt::empty(path),
            span: None,
            help,
            file: path.to_string(),
            line: usize::MAX,
            column: 0,
        }
    }
}

/// The span within the text, on character boundaries (slicing elsewhere
/// must never panic on a stray offset).
fn clamp(span: Range<usize>, text: &str) -> Range<usize> {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(span.start);
    start..floor(span.end).max(start)
}

/// 1-based line and column of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    // An offset inside a multi-byte character counts as that character.
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Messages quote keys and values from the file: at most this many
/// characters of one are shown (a key path can be megabytes long).
const MAX_MESSAGE_CHARS: usize = 400;

fn clip(message: String) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message,
    }
}

fn short_label(message: &str) -> String {
    message.split(':').next().unwrap_or(message).to_string()
}
