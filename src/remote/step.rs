//! A step: a piece of POSIX shell run by the node's remote shell
//! (holder.sh), with the data frames it reads from stdin. Secrets travel
//! only as data frames; `Display` (used by `--dry-run`) shows them as `***`.

use std::fmt;

use crate::secrets::SecretValue;

/// What a step reads from stdin with `hc_data VAR`, in order.
#[derive(Debug, Clone)]
pub enum Payload {
    Plain(String),
    Secret(SecretValue),
}

#[derive(Debug, Clone)]
pub struct Step {
    /// A short name for progress lines and errors ("pull", "up").
    pub name: String,
    pub script: String,
    pub data: Vec<(String, Payload)>,
}

impl Step {
    pub fn new(name: impl Into<String>, script: impl Into<String>) -> Self {
        Step {
            name: name.into(),
            script: script.into(),
            data: Vec::new(),
        }
    }

    /// Adds a data frame that the script reads into `var` (its script must
    /// call `hc_data var` for each, in this order).
    pub fn with_data(mut self, var: &str, payload: Payload) -> Self {
        self.data.push((var.to_string(), payload));
        self
    }

    /// The bytes of this step's data frames' payloads (headers and script
    /// not counted), for the debug log of what a step sends: of a secret,
    /// only its length.
    pub fn data_bytes(&self) -> usize {
        self.data
            .iter()
            .map(|(_, payload)| match payload {
                Payload::Plain(text) => text.len(),
                Payload::Secret(value) => value.expose_for_channel().len(),
            })
            .sum()
    }

    /// The bytes sent on the remote shell's stdin: the step frame, then its
    /// data frames. The only place secret values are exposed (data_bytes
    /// reads their length).
    pub fn frames(&self) -> Vec<u8> {
        let mut out = Vec::new();
        push_frame(&mut out, "step", self.script.as_bytes());
        out.extend(self.data_frames());
        out
    }

    /// The data frames alone, for a script that is started another way
    /// (a one-off command's channel, `execution/one_off.rs`).
    pub fn data_frames(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (_, payload) in &self.data {
            let bytes = match payload {
                Payload::Plain(text) => text.as_bytes(),
                Payload::Secret(value) => value.expose_for_channel().as_bytes(),
            };
            push_frame(&mut out, "data", bytes);
        }
        out
    }
}

fn push_frame(out: &mut Vec<u8>, kind: &str, bytes: &[u8]) {
    out.extend_from_slice(format!("{kind} {}\n", bytes.len()).as_bytes());
    out.extend_from_slice(bytes);
}

impl fmt::Display for Step {
    /// For `--dry-run`: the script, then each data frame, secrets as `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "# step {}", self.name)?;
        for (var, payload) in &self.data {
            match payload {
                Payload::Plain(text) if text.len() <= 200 && !text.contains('\n') => {
                    writeln!(f, "# stdin → {var} = {text:?}")?
                }
                Payload::Plain(text) => writeln!(f, "# stdin → {var} = <{} bytes>", text.len())?,
                Payload::Secret(_) => writeln!(f, "# stdin → {var} = ***")?,
            }
        }
        write!(f, "{}", self.script.trim_end())
    }
}

/// Quotes a value for the remote POSIX shell: a hostile value is data.
pub fn quote(value: &str) -> String {
    // try_quote fails only on NUL bytes, which no name, tag or path here
    // can hold (the loaders refuse control characters); be safe anyway.
    shlex::try_quote(value)
        .map(|q| q.into_owned())
        .unwrap_or_else(|_| "''".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_length_prefixed() {
        let step = Step::new("t", "echo hi").with_data("x", Payload::Plain("a\nb".into()));
        assert_eq!(step.frames(), b"step 7\necho hidata 3\na\nb".to_vec());
    }

    #[test]
    fn data_bytes_count_the_payloads_only() {
        let step = Step::new("t", "echo hi")
            .with_data("x", Payload::Plain("a\nb".into()))
            .with_data("y", Payload::Plain("cd".into()));
        assert_eq!(step.data_bytes(), 5);
        assert_eq!(Step::new("t", "echo hi").data_bytes(), 0);
    }

    #[test]
    fn quoting_makes_hostile_values_data() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("$(touch x)"), "'$(touch x)'");
    }

    #[test]
    fn quoted_values_come_back_byte_exact_from_a_real_shell() {
        for value in [
            "it's",
            "a\"b",
            "$(touch /tmp/x)",
            "`id`",
            "a;b",
            "a\nb",
            "-rf",
            "é ü",
            "$HOME",
            "\\",
            "x=y z",
        ] {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("printf %s {}", quote(value)))
                .output()
                .unwrap();
            assert_eq!(String::from_utf8(out.stdout).unwrap(), value);
        }
    }
}
