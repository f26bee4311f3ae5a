//! `scripts/plan.sh`: what `homectl plan` asks a node besides its state,
//! read-only; its output parsed into `RegistryAnswers`.

use super::lib::{Login, LIB};
use super::StepInput;
use crate::plan::plan_changes::RegistryAnswers;
use crate::remote::step::Step;

const PLAN: &str = include_str!("../scripts/plan.sh");
/// `state.sh`, which the plan step runs as the function `hc_state` (its
/// output is parsed by `state::parse`).
const STATE: &str = include_str!("../scripts/state.sh");

/// `state.sh` as a shell function whose body is a subshell, so that its
/// `exit` ends the function only.
fn state_function() -> String {
    format!("hc_state() (\n{STATE}\n)\n")
}

/// What `plan` asks a node, in one step: the state of the compose
/// `projects` and the `stacks`' folders (`state.sh`, parsed by
/// `state::parse`) and, at the same time, the registry about `refs` and
/// the health `urls` (stack, url).
pub fn step(
    login: &Login,
    refs: &[String],
    urls: &[(String, String)],
    projects: &[String],
    stacks: &[String],
) -> Step {
    let urls: Vec<String> = urls.iter().map(|(s, u)| format!("{s} {u}")).collect();
    StepInput::new("plan")
        .code(LIB)
        .code(&state_function())
        .login(login)
        .list("HC_REFS", refs)
        .list("HC_URLS", &urls)
        .list("HC_PROJECTS", projects)
        .list("HC_STACKS", stacks)
        .var("HC_NO_COMPOSE", "1")
        .step(PLAN)
}

/// The registry's answers about `refs` only, without the state (a swarm
/// stack's manager, whose state another step reads).
pub fn registry_only(login: &Login, refs: &[String]) -> Step {
    StepInput::new("plan")
        .code(LIB)
        .code("hc_state() { :; }\n")
        .login(login)
        .list("HC_REFS", refs)
        .list::<&str>("HC_URLS", &[])
        .step(PLAN)
}

/// The `HAS`, `NAMES`, `URL` and `REGISTRY` lines of the plan step.
pub fn parse(output: &str) -> RegistryAnswers {
    let mut answers = RegistryAnswers::default();
    for line in output.lines() {
        let mut words = line.splitn(3, ' ');
        match (words.next(), words.next(), words.next()) {
            (Some("HAS"), Some(id), digests) => {
                // One line a digest (several for an image of many repositories).
                let list = answers.has.entry(id.to_string()).or_default();
                list.extend(
                    digests
                        .unwrap_or("")
                        .split(',')
                        .map(str::trim)
                        .filter(|d| !d.is_empty())
                        .map(str::to_string),
                );
            }
            (Some("NAMES"), Some(reference), Some(digest)) => {
                let digest = digest.trim();
                answers.names.insert(
                    reference.to_string(),
                    (digest != "-").then(|| digest.to_string()),
                );
            }
            (Some("URL"), Some(stack), Some(answer)) => {
                answers
                    .urls
                    .insert(stack.to_string(), answer.trim() == "ok");
            }
            (Some("REGISTRY"), Some("fail"), why) => {
                answers.registry_error = Some(why.unwrap_or("").to_string());
            }
            _ => {}
        }
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::SecretValue;

    #[test]
    fn the_password_travels_as_a_frame_and_the_answers_parse() {
        let login = Login {
            server: "reg:5000",
            username: "ci",
            password: SecretValue::new("pw-canary".into()),
        };
        let step = step(
            &login,
            &["reg:5000/x:t".into(), "reg:5000/y:t".into()],
            &[("core".into(), "http://n:1/health".into())],
            &["ktrdr-core".into()],
            &["core".into()],
        );
        assert!(!step.script.contains("pw-canary"));
        assert!(step.script.contains("hc_state() ("));
        assert!(step.script.contains("HC_PROJECTS=ktrdr-core\n"));
        assert!(step.script.contains("HC_STACKS=core\n"));
        assert!(step.script.contains("HC_NO_COMPOSE=1\n"));
        assert!(!step.to_string().contains("pw-canary"));
        assert!(step.script.contains("hc_data HC_PASSWORD"));
        assert!(step.script.contains("HC_REFS='reg:5000/x:t\nreg:5000/y:t'"));
        let a = parse(
            "HAS sha256:a reg:5000/x@sha256:d1\nHAS sha256:a reg:5000/y@sha256:d2\nHAS sha256:b \n\
             NAMES reg:5000/x:t sha256:d1\nNAMES reg:5000/x:gone -\nURL core ok\nURL w fail\n",
        );
        assert_eq!(
            a.has["sha256:a"],
            ["reg:5000/x@sha256:d1", "reg:5000/y@sha256:d2"]
        );
        assert!(a.has["sha256:b"].is_empty());
        assert_eq!(a.names["reg:5000/x:t"].as_deref(), Some("sha256:d1"));
        assert_eq!(a.names["reg:5000/x:gone"], None);
        assert!(a.urls["core"] && !a.urls["w"]);
        assert!(a.registry_error.is_none());
        // One output for both parsers: the state's lines are not answers
        // (and state.rs's tests: the answers are no state).
        let both = "RUNNING ktrdr-core backend c1 sha256:a running reg:5000/x:t - {}\nNAMES reg:5000/x:t sha256:d1\n";
        let a = parse(both);
        assert_eq!(a.names.len(), 1);
        assert!(a.has.is_empty() && a.urls.is_empty() && a.registry_error.is_none());
        assert_eq!(
            parse("REGISTRY fail login failed")
                .registry_error
                .as_deref(),
            Some("login failed")
        );
    }
}
