//! End-to-end tests against the lab (`scripts/lab up`): real sshd, real
//! Docker engines, real Compose v1 and v2, a real authenticated registry.
//! They share the lab's nodes: run them one at a time
//! (`cargo test --test e2e -- --test-threads=1`; scripts/test does).

mod common;
mod credentials;
mod deploy;
mod faults;
mod folders;
mod framing;
mod hostile;
mod hostkeys;
mod one_off;
mod operate;
mod plan;
mod preflight;
mod preflight_disk;
mod preflight_folder;
mod prune;
mod realworld;
mod restart;
mod rig;
mod rolling;
mod safe_defaults;
mod secrets;
mod swarm;
mod swarm_common;
mod swarm_faults;
mod swarm_hooks;
mod swarm_ops;
mod swarm_plan;
