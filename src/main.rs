//! The `chat-template-lint` binary: parse flags, run, map the outcome to an
//! exit code (0 clean, 1 findings at or above the fail level, 2 the tool failed).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // The environment is read here, once, and passed down.
    let env = chat_template_lint::env::Env::read();
    let actions = env.actions;
    // Panics are caught per template (they become findings); their report
    // goes through the same guard as every other line under Actions.
    std::panic::set_hook(Box::new(move |info| {
        chat_template_lint::report::eprint_line(
            actions,
            &format!("chat-template-lint: internal error: {info}"),
        );
    }));
    let cli = match chat_template_lint::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // Flag errors echo their arguments: under Actions they are guarded too.
        Err(err) => return chat_template_lint::report::print_usage_error(&err, actions),
    };
    match chat_template_lint::commands::run(cli, &env) {
        Ok(code) => code,
        // The reader of stdout went away (`| head`): nothing left to say.
        Err(err) if chat_template_lint::commands::stdout_closed(&err) => ExitCode::SUCCESS,
        Err(err) => {
            chat_template_lint::report::print_failure(&err, &env);
            ExitCode::from(2)
        }
    }
}
