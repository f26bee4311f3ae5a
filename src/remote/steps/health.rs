//! `scripts/health.sh`: waits for the deployed services (and the url), and
//! prints the image each runs (`IMAGE service id digests config_hash`).

use std::collections::BTreeMap;

use super::lib::LIB;
use super::{lines_of, StepInput};
use crate::plan::deploy_plan::StackDeploy;
use crate::plan::history::ImageRecord;
use crate::remote::step::Step;

const HEALTH: &str = include_str!("../scripts/health.sh");

pub fn step(deploy: &StackDeploy, url: Option<&str>, timeout_secs: u64) -> Step {
    StepInput::new(format!("health {}", deploy.stack))
        .code(LIB)
        .var("HC_PROJECT", &deploy.project)
        .list("HC_WAIT", &deploy.services)
        .list("HC_REPORT", &deploy.services)
        .var("HC_URL", url.unwrap_or(""))
        .var("HC_TIMEOUT", &timeout_secs.to_string())
        .step(HEALTH)
}

/// Service → the image it runs, from the `IMAGE` lines.
pub fn parse(output: &str) -> BTreeMap<String, ImageRecord> {
    lines_of(output, "IMAGE")
        .filter_map(|l| {
            let mut parts = l.split(' ');
            let service = parts.next()?.to_string();
            let id = parts.next()?.to_string();
            let digests = parts
                .next()
                .unwrap_or("")
                .split(',')
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect();
            let config_hash = parts.next().filter(|h| *h != "-").unwrap_or("").to_string();
            Some((
                service,
                ImageRecord {
                    id,
                    digests,
                    config_hash,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_lines_become_each_services_image() {
        let out =
            "waiting\nIMAGE backend sha256:1 reg/lab/app@sha256:f1,reg/lab/app@sha256:f2 h1\n\
                   IMAGE db sha256:2  -\nIMAGE lonely\n";
        insta::assert_debug_snapshot!(parse(out));
    }
}
