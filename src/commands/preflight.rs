//! `homectl preflight`: placeholder while it is being built.
use crate::cli::{GlobalOptions, TargetArgs};
use crate::error::Result;

pub fn run(_global: &GlobalOptions, _args: &TargetArgs) -> Result<i32> {
    todo!()
}
