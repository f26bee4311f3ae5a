//! `homectl man` knows the commands; every `--help` has examples.

use super::*;

#[test]
fn the_man_page_knows_the_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let out = homectl(tmp.path(), &["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH homectl"),
        "not roff:\n{page}"
    );
    for command in ["deploy", "preflight", "check", "init"] {
        assert!(
            page.contains(command),
            "the man page does not mention {command}"
        );
    }

    let dir = tmp.path().join("man1");
    let out = homectl(tmp.path(), &["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for page in [
        "homectl.1",
        "homectl-deploy.1",
        "homectl-preflight.1",
        "homectl-init.1",
    ] {
        assert!(dir.join(page).is_file(), "{page} not written");
    }
    let deploy = fs::read_to_string(dir.join("homectl-deploy.1")).unwrap();
    assert!(
        deploy.contains("dry\\-run"),
        "homectl-deploy.1 lacks --dry-run"
    );
    // Every page says what the exit codes and the environment mean.
    for page in [page.as_str(), deploy.as_str()] {
        assert!(page.contains(".SH \"EXIT STATUS\""), "no EXIT STATUS");
        assert!(page.contains("\\fB130\\fR"), "no 130 in EXIT STATUS");
        assert!(page.contains(".SH ENVIRONMENT") && page.contains("HOMECTL_INVENTORY"));
    }
}

/// Every command's --help ends with examples.
#[test]
fn every_command_has_examples_in_its_help() {
    let tmp = tempfile::tempdir().unwrap();
    let help = text(&homectl(tmp.path(), &["--help"]).stdout);
    let commands: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 6, "commands not found in --help:\n{help}");
    for command in commands {
        let out = homectl(tmp.path(), &[&command, "--help"]);
        let text = text(&out.stdout);
        assert!(
            text.contains("Examples:\n  homectl "),
            "`homectl {command} --help` has no examples:\n{text}"
        );
    }
}
