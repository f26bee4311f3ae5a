//! Stage 3 of the flow: the shell a plan becomes on a node. Pure text
//! building, tested without SSH: `holder.sh` (the per-node remote shell)
//! and the steps it runs.

pub mod step;
#[cfg(test)]
mod step_snapshots;
pub mod steps;

pub use step::{quote, Payload, Step};

/// The remote shell that runs steps (see the comments in the file).
pub const HOLDER_SCRIPT: &str =
    concat!(include_str!("scripts/frames.sh"), include_str!("holder.sh"));

/// The functions that read frames from stdin (`hc_frame`, `hc_data`).
pub const FRAMES: &str = include_str!("scripts/frames.sh");
