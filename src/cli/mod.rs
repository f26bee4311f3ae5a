//! The command line: `args` (the clap definitions), and here the dispatch:
//! parse, resolve the flags into settings (`crate::settings`), run the
//! command, map its outcome to the exit code and the error output.
//! `completions` and `name_completion` generate the shell completion and
//! the man page from the same definitions.

pub mod args;
pub mod completions;
pub mod name_completion;

use clap::{CommandFactory, Parser};

use crate::commands;
use crate::error::Error;
use crate::settings::{
    DeploySettings, DownSettings, GlobalSettings, HistorySettings, PlanSettings, TaggedSelection,
};
use args::{Cli, Command};

/// Parses the command line, runs the command and returns the exit code.
pub fn run() -> i32 {
    // A shell asking for completions (see `homectl completions`): answer, exit.
    clap_complete::CompleteEnv::with_factory(|| {
        name_completion::with_name_completers(Cli::command())
    })
    .var(name_completion::COMPLETE_VAR)
    .complete();
    let cli = match Cli::try_parse_from(terminal_flag(std::env::args_os().collect())) {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version go to stdout; a closed pipe is not an error.
            let _ = err.print();
            // clap: 0 for --help/--version, 2 for usage errors (docs/operations.md, "Exit codes").
            let code = err.exit_code();
            if code != 0 && std::env::args().skip(1).any(|a| a == "--json") {
                let rendered = err.to_string();
                let first = rendered.lines().next().unwrap_or_default();
                let message = first.strip_prefix("error: ").unwrap_or(first).to_string();
                let printer = crate::report::Printer {
                    json: true,
                    quiet: false,
                };
                printer.json_line(&crate::report::error_json::usage_object(code, &message));
            }
            return code;
        }
    };
    let global = GlobalSettings::resolve(&cli);
    init_tracing(global.verbose);
    init_diagnostics();
    let result = match cli.command {
        Command::Check { strict } => commands::check::run(&global, strict),
        Command::Config(a) => TaggedSelection::resolve_shown(a, &global)
            .and_then(|settings| commands::config::run(&global, settings)),
        Command::Preflight(a) => TaggedSelection::resolve(a, &global)
            .and_then(|settings| commands::preflight::run(&global, settings)),
        Command::Deploy(a) => DeploySettings::resolve(a, &global)
            .and_then(|settings| commands::deploy::run(&global, settings)),
        Command::Plan(a) => PlanSettings::resolve(a, &global)
            .and_then(|settings| commands::plan::run(&global, settings)),
        Command::Status(a) => commands::status::run(&global, &a.into()),
        Command::History { target, limit } => {
            commands::history::run(&global, &HistorySettings::new(target, limit))
        }
        Command::Rollback(a) => DeploySettings::rollback(a, &global)
            .and_then(|settings| commands::deploy::run(&global, settings)),
        Command::Logs(a) => commands::logs::run(&global, &a.into()),
        Command::Down(a) => commands::down::run(&global, &DownSettings::from(a)),
        Command::Prune(a) => commands::prune::run(&global, &a.into()),
        Command::Exec(a) => commands::exec::run(&global, &a.into()),
        Command::Run(a) => commands::run::run(&global, &a.into()),
        Command::Restart(a) => commands::restart::run(&global, &a.into()),
        Command::Unlock { node } => commands::unlock::run(&global, &node),
        Command::Init(a) => commands::init::run(&global, &a.into()),
        Command::Completions(a) => completions::completions(&global, &a),
        Command::Man(a) => completions::man(&global, &a),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            let code = err.exit_code();
            if global.json {
                global
                    .printer()
                    .json_line(&crate::report::error_json::error_object(&err));
            }
            report_error(global.printer(), err);
            code
        }
    }
}

/// `exec ... -it`: docker's spelling of an interactive terminal. `-i` is
/// the global `--inventory`, so clap alone would read `-it` as
/// `--inventory t`; between `exec` and `--` it means `--tty`.
fn terminal_flag(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let Some(exec) = args.iter().position(|a| a == "exec") else {
        return args;
    };
    let end = args.iter().position(|a| a == "--").unwrap_or(args.len());
    for arg in args.iter_mut().take(end).skip(exec + 1) {
        if arg == "-it" || arg == "-ti" {
            *arg = "--tty".into();
        }
    }
    args
}

fn report_error(printer: crate::report::Printer, err: Error) {
    match err {
        Error::Config(mut errors) => {
            let (total, left_out) = (errors.total(), errors.left_out());
            let warnings = std::mem::take(&mut errors.warnings);
            for diagnostic in errors.into_errors() {
                printer.diagnostic(&format!("{:?}", miette::Report::new(diagnostic)));
            }
            if left_out > 0 {
                printer.warn(&format!(
                    "error: {left_out} more errors not shown (the first {} of {total} are)",
                    total - left_out
                ));
            } else if total > 1 {
                printer.warn(&format!("error: {total} errors"));
            }
            for warning in warnings {
                printer.warn(&warning.warning_text());
            }
        }
        other => printer.warn(&format!("error: {other}")),
    }
}

/// Diagnostics: unwrapped lines when stderr is not a terminal, so that
/// `file:line:col: message` stays greppable in CI logs.
fn init_diagnostics() {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        let _ = miette::set_hook(Box::new(|_| {
            Box::new(
                miette::MietteHandlerOpts::new()
                    .wrap_lines(false)
                    .color(false)
                    .build(),
            )
        }));
    }
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("HOMECTL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("homectl={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Cli {
        let args: Vec<std::ffi::OsString> = line.split(' ').map(Into::into).collect();
        Cli::try_parse_from(terminal_flag(args)).unwrap()
    }

    #[test]
    fn exec_dash_it_is_a_terminal_not_an_inventory() {
        let cli = parse("homectl -i inv.toml exec node-a backend -it -- sh -it");
        assert_eq!(
            cli.inventory.as_deref(),
            Some(std::path::Path::new("inv.toml"))
        );
        let Command::Exec(args) = cli.command else {
            panic!("not exec")
        };
        assert!(args.tty);
        assert_eq!(args.service, ["backend"]);
        // After `--` it is the command's own.
        assert_eq!(args.command, ["sh", "-it"]);
        assert_eq!(args.replica, None);
    }

    #[test]
    fn exec_and_run_take_a_stack_a_service_and_the_command_after_the_dashes() {
        let Command::Exec(args) =
            parse("homectl exec node-b stack:workers backtest-worker-1 --replica 2 -- sh -c x")
                .command
        else {
            panic!("not exec")
        };
        assert!(!args.tty);
        assert_eq!(args.service, ["stack:workers", "backtest-worker-1"]);
        assert_eq!(args.replica, Some(2));
        assert_eq!(args.command, ["sh", "-c", "x"]);
        let Command::Run(args) = parse("homectl run node-a db --raw -- pg_dump -Fc").command else {
            panic!("not run")
        };
        assert!(args.raw);
        assert_eq!(args.command, ["pg_dump", "-Fc"]);
    }

    #[test]
    fn missing_parts_are_usage_errors() {
        for line in [
            "homectl exec node-a backend",
            "homectl exec node-a -- true",
            "homectl run node-a backend",
            "homectl exec node-a backend --replica 0 -- true",
            "homectl restart",
        ] {
            let args: Vec<std::ffi::OsString> = line.split(' ').map(Into::into).collect();
            let err = Cli::try_parse_from(terminal_flag(args)).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{line}: {err}");
        }
        let Command::Restart(args) = parse("homectl restart core backend").command else {
            panic!("not restart")
        };
        assert_eq!(
            (args.target.as_str(), args.names.as_slice()),
            ("core", &["backend".to_string()][..])
        );
    }
}
