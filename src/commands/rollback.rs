//! `homectl rollback TARGET [NAME...] [--to T]`: back to the images that
//! ran before the last deploy of those services, by image id and digest
//! from each node's history; or to tag T. A deploy in every other respect.

use crate::cli::{DeployArgs, GlobalOptions, RollbackArgs, TargetArgs};
use crate::commands::deploy::run_with;
use crate::error::Result;
use crate::execution::node_deploy::Target;

pub fn run(global: &GlobalOptions, args: &RollbackArgs) -> Result<i32> {
    let deploy = DeployArgs {
        target: TargetArgs {
            target: Some(args.target.target.clone()),
            names: args.target.names.clone(),
            tag: args.to.clone(),
        },
        scale: None,
        dry_run: false,
        no_rollback: args.no_rollback,
        force: true,
    };
    let target = if args.to.is_some() {
        Target::RollbackToTag
    } else {
        Target::RollbackByHistory
    };
    run_with(global, &deploy, target)
}
