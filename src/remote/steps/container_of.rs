//! `scripts/container_of.sh`: the running container of one replica of a
//! service (`homectl exec`), found by the holder.

use super::{lines_of, StepInput};
use crate::remote::step::Step;

const CONTAINER_OF: &str = include_str!("../scripts/container_of.sh");

pub fn step(project: &str, service: &str, replica: u32) -> Step {
    StepInput::new(format!("find {service}"))
        .var("HC_PROJECT", project)
        .var("HC_SERVICE", service)
        .var("HC_REPLICA", &replica.to_string())
        .step(CONTAINER_OF)
}

/// The container id of the `CONTAINER id` line: letters and digits only,
/// since it reaches a command line.
pub fn parse(output: &str) -> Option<String> {
    lines_of(output, "CONTAINER")
        .map(str::trim)
        .find(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_container_id_is_read_from_the_step_output() {
        assert_eq!(
            parse("CONTAINER 3f2c1d0abc\n").as_deref(),
            Some("3f2c1d0abc")
        );
        assert_eq!(parse("CONTAINER $(rm -rf /)"), None);
        assert_eq!(parse("no running container"), None);
    }
}
