//! Target `history`: the nodes' history lines (they come back over SSH).

use homectl::plan;

/// `HISTORY <json>` lines as the state step prints them, then the scale
/// and rollback decisions made from them.
pub fn check_history(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let records = homectl::remote::steps::history::parse(&text);
    let mut stacks: Vec<&str> = records.iter().map(|r| r.stack.as_str()).collect();
    stacks.push("core");
    stacks.dedup();
    for stack in stacks.into_iter().take(8) {
        let _ = plan::history::current_scale(&records, stack);
        let services: Vec<String> = records
            .iter()
            .flat_map(|r| r.services.iter().cloned())
            .take(4)
            .collect();
        let _ = plan::rollback_plan::rollback_target(&records, stack, &[]);
        let _ = plan::rollback_plan::rollback_target(&records, stack, &services);
    }
}
