//! Stage 2 of the flow: from the checked project and the command line to
//! what should happen: which nodes, stacks and services, at which tag.

pub mod deploy_plan;
pub mod effective_config;
pub mod environment;
pub mod fingerprint;
pub mod folder_changes;
pub mod health_rollback;
pub mod history;
pub mod moved_stacks;
pub mod node_needs;
pub mod node_plan;
pub mod node_state;
pub mod plan_changes;
pub mod prune;
pub mod prune_swarm;
pub mod record;
pub mod rollback_plan;
pub mod rolling;
pub mod selection;
pub mod service_target;
pub mod strays;
pub mod swarm_changes;
pub mod swarm_dry_run;
pub mod swarm_hooks;
pub mod swarm_members;
pub mod swarm_plan;
pub mod swarm_stalled;
pub mod swarm_state;
pub mod tag;
pub mod unchanged;

pub use selection::{select, SelectedNode, SelectedStack, Selection};
pub use tag::resolve_tag;
