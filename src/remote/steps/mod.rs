//! One module per remote script (`src/remote/scripts/<name>.sh`): each holds
//! the script (`include_str!`), builds its typed input with `StepInput`, and
//! parses its output into structs. Nothing outside `src/remote/` loads a
//! script (docs/architecture.md, "Steps").

pub mod container_of;
pub mod deployed;
pub mod down;
pub mod health;
pub mod history;
pub mod hooks;
pub mod lib;
pub mod logs;
pub mod one_off;
pub mod pin;
pub mod plan;
pub mod preflight;
pub mod prune;
pub mod pull;
pub mod record;
pub mod restart;
pub mod rollback;
pub mod round;
pub mod stage;
pub mod state;
pub mod status;
pub mod stray;
pub mod strays_of;
pub mod swarm_deploy;
pub mod swarm_deployed;
pub mod swarm_down;
pub mod swarm_ended;
pub mod swarm_hook;
pub mod swarm_info;
pub mod swarm_logs;
pub mod swarm_prune;
pub mod swarm_pull;
pub mod swarm_restart;
pub mod swarm_state;
pub mod swarm_task_of;
pub mod unlock;
pub mod unstage;
pub mod up;
pub mod verify;

use super::step::{quote, Payload, Step};
use crate::secrets::SecretValue;

/// What a script is told before it runs: shell lines set in front of its
/// body, and the data frames it reads. Every value is quoted; a secret or
/// a data frame is read by an `hc_data` line written by the same call that
/// pushes its frame, so lines and frames are always in the same order.
#[derive(Debug, Clone)]
pub struct StepInput {
    name: String,
    lines: String,
    data: Vec<(String, Payload)>,
}

impl StepInput {
    pub fn new(name: impl Into<String>) -> Self {
        StepInput {
            name: name.into(),
            lines: String::new(),
            data: Vec::new(),
        }
    }

    /// `NAME=value` (quoted).
    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.lines.push_str(&format!("{name}={}\n", quote(value)));
        self
    }

    /// `export NAME=value` (quoted): for Compose's interpolation.
    pub fn export(mut self, name: &str, value: &str) -> Self {
        self.lines
            .push_str(&format!("export {name}={}\n", quote(value)));
        self
    }

    /// `NAME` set to the items, one a line (a list, never space-joined).
    pub fn list<S: AsRef<str>>(self, name: &str, items: &[S]) -> Self {
        let joined: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
        self.var(name, &joined.join("\n"))
    }

    /// A secret read from stdin into `NAME` (`hc_data NAME`), its frame
    /// pushed in the same call. Never in the script's text.
    pub fn secret(mut self, name: &str, value: SecretValue) -> Self {
        self.lines.push_str(&format!("hc_data {name}\n"));
        self.data.push((name.to_string(), Payload::Secret(value)));
        self
    }

    /// A secret read into `NAME` and exported (to Compose, through the
    /// environment only).
    pub fn secret_env(mut self, name: &str, value: SecretValue) -> Self {
        self.lines
            .push_str(&format!("hc_data {name}; export {name}\n"));
        self.data.push((name.to_string(), Payload::Secret(value)));
        self
    }

    /// A plain data frame read into `NAME` (a file's text, a record).
    pub fn data(mut self, name: &str, text: String) -> Self {
        self.lines.push_str(&format!("hc_data {name}\n"));
        self.data.push((name.to_string(), Payload::Plain(text)));
        self
    }

    /// Data frames the script's body reads itself, in a loop (`stage.sh`
    /// reads one per file of its plan, as `hc_data VAR`).
    pub fn frames_read_by_body(mut self, var: &str, texts: Vec<String>) -> Self {
        for text in texts {
            self.data.push((var.to_string(), Payload::Plain(text)));
        }
        self
    }

    /// The positional parameters (`set -- ...`), each quoted: a command
    /// and its arguments, a list that keeps each item whole.
    pub fn args<S: AsRef<str>>(mut self, words: &[S]) -> Self {
        let quoted: Vec<String> = words.iter().map(|w| quote(w.as_ref())).collect();
        self.lines
            .push_str(&format!("set -- {}\n", quoted.join(" ")));
        self
    }

    /// Shell code homectl writes itself (lib.sh, a path built from a
    /// quoted part): never a value from outside unquoted.
    pub fn code(mut self, code: &str) -> Self {
        self.lines.push_str(code);
        self
    }

    /// The step: these lines, then `body`.
    pub fn step(self, body: &str) -> Step {
        let mut step = Step::new(self.name, format!("{}{body}", self.lines));
        step.data = self.data;
        step
    }
}

/// Output lines of one kind (`PREFIX rest`), the prefix taken off.
pub(crate) fn lines_of<'a>(output: &'a str, prefix: &'a str) -> impl Iterator<Item = &'a str> {
    output
        .lines()
        .filter_map(move |l| l.strip_prefix(prefix)?.strip_prefix(' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_writes_its_read_and_its_frame_together() {
        let step = StepInput::new("t")
            .var("A", "it's")
            .list("L", &["a", "b c"])
            .secret("P", SecretValue::new("pw".into()))
            .data("D", "text".into())
            .step("body\n");
        let script = "A=\"it's\"\nL='a\nb c'\nhc_data P\nhc_data D\nbody\n";
        assert_eq!(step.script, script);
        let frames = format!("step {}\n{script}data 2\npwdata 4\ntext", script.len());
        assert_eq!(step.frames(), frames.into_bytes());
        assert!(step.to_string().contains("P = ***"));
    }

    #[test]
    fn output_lines_are_picked_by_their_prefix() {
        let out = "REF a 1\nREFS x\nREF\nREF b 2\n";
        assert_eq!(lines_of(out, "REF").collect::<Vec<_>>(), ["a 1", "b 2"]);
    }
}
