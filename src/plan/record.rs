//! The history record a deploy writes for one stack (docs/operations.md,
//! "History"): what was asked, how it ended, the images and the folder's
//! version that run afterwards. Pure: the caller masks the detail.

use std::collections::BTreeMap;
use std::time::Duration;

use super::history::{HistoryRecord, ImageRecord, RecordResult};
use super::node_plan::{StackPlan, Target};

/// How one stack's deploy ended.
pub struct Ending {
    pub result: RecordResult,
    pub detail: String,
    pub images: BTreeMap<String, ImageRecord>,
    pub took: Duration,
}

/// The record of `plan` on `node`, ended as `ending`, at `time`.
pub fn record_of(
    plan: &StackPlan,
    target: Target,
    asked_tag: &str,
    node: &str,
    operator: &str,
    time: String,
    ending: Ending,
) -> HistoryRecord {
    let deploy = &plan.deploy;
    // The services deployed; for a selection that starts nothing (all
    // above the scale), the selection, so it never reads as the whole stack.
    let services = match &plan.selected {
        None => Vec::new(),
        Some(_) if !deploy.services.is_empty() => deploy.services.clone(),
        Some(selected) => selected.clone(),
    };
    let result = ending.result;
    HistoryRecord {
        time,
        operator: operator.to_string(),
        node: node.to_string(),
        stack: deploy.stack.clone(),
        kind: target.kind(),
        services,
        tag: deploy
            .env
            .get("IMAGE_TAG")
            .cloned()
            .unwrap_or_else(|| asked_tag.to_string()),
        scale: deploy.scale,
        result: result.clone(),
        detail: ending.detail,
        images: ending.images,
        duration_ms: ending.took.as_millis() as u64,
        inputs: if result == RecordResult::Ok {
            plan.inputs.clone()
        } else {
            String::new()
        },
        values: if result == RecordResult::Ok {
            plan.values.clone()
        } else {
            BTreeMap::new()
        },
        files: match &result {
            RecordResult::Ok => deploy.version.clone(),
            RecordResult::RolledBack => deploy.back_version.clone(),
            _ => String::new(),
        },
    }
}
