//! Every mistake `check` found in the operator's files at once (up to
//! `MAX_ERRORS`), ordered by file then line (docs/inventory.md, "What check
//! verifies"), and the warnings found beside them.

use std::fmt;

use super::config_error::ConfigError;

/// More errors than this are counted, not shown.
pub const MAX_ERRORS: usize = 50;

/// One or more errors (never none), sorted and capped.
#[derive(Debug)]
pub struct ConfigErrors {
    errors: Vec<ConfigError>,
    /// How many were found beyond `MAX_ERRORS`.
    left_out: usize,
    pub warnings: Vec<ConfigError>,
}

impl ConfigErrors {
    /// `errors` sorted by file, line and column, the first `MAX_ERRORS`
    /// kept. `None` if there are none.
    pub fn new(mut errors: Vec<ConfigError>, warnings: Vec<ConfigError>) -> Option<Self> {
        if errors.is_empty() {
            return None;
        }
        sort(&mut errors);
        let left_out = errors.len().saturating_sub(MAX_ERRORS);
        errors.truncate(MAX_ERRORS);
        Some(ConfigErrors {
            errors,
            left_out,
            warnings,
        })
    }

    pub fn one(error: ConfigError) -> Self {
        ConfigErrors {
            errors: vec![error],
            left_out: 0,
            warnings: Vec::new(),
        }
    }

    /// The first error, by file and line.
    pub fn first(&self) -> &ConfigError {
        &self.errors[0]
    }

    pub fn errors(&self) -> &[ConfigError] {
        &self.errors
    }

    pub fn into_errors(self) -> Vec<ConfigError> {
        self.errors
    }

    /// How many errors were found beyond the ones kept.
    pub fn left_out(&self) -> usize {
        self.left_out
    }

    /// How many errors were found in all.
    pub fn total(&self) -> usize {
        self.errors.len() + self.left_out
    }
}

/// By file, then line, then column; an error about a whole file after
/// those at a line of it.
pub fn sort(list: &mut [ConfigError]) {
    list.sort_by(|a, b| a.position().cmp(&b.position()));
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.first())?;
        match self.total() {
            1 => Ok(()),
            2 => write!(f, " (and 1 more error)"),
            n => write!(f, " (and {} more errors)", n - 1),
        }
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(error: ConfigError) -> Self {
        ConfigErrors::one(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::SourceFile;

    #[test]
    fn errors_are_sorted_by_file_then_line_and_capped() {
        let b = SourceFile::new("b.toml", "x = 1\ny = 2\n".into());
        let a = SourceFile::new("a.toml", "x = 1\ny = 2\n".into());
        let mut errors = vec![
            b.error_at(6..7, "b2", None),
            b.error_at(0..1, "b1", None),
            a.error_at(6..7, "a2", None),
            a.error("a0", None),
        ];
        for _ in 0..MAX_ERRORS {
            errors.push(b.error_at(6..7, "more", None));
        }
        let all = ConfigErrors::new(errors, Vec::new()).unwrap();
        let messages: Vec<&str> = all.errors()[..4]
            .iter()
            .map(|e| e.message.as_str())
            .collect();
        assert_eq!(messages, ["a2", "a0", "b1", "b2"]);
        assert_eq!(all.errors().len(), MAX_ERRORS);
        assert_eq!(all.left_out(), 4);
        assert!(all.to_string().ends_with("(and 53 more errors)"), "{all}");
        assert!(ConfigErrors::new(Vec::new(), Vec::new()).is_none());
    }
}
