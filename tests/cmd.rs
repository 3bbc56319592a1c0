//! CLI cases (trycmd, the way typos tests its CLI): each `tests/cmd/*.toml`
//! runs the binary with its arguments, in its `fs.cwd`, and states the exit
//! code, stdout and stderr. `TRYCMD=overwrite cargo test --test cmd` rewrites
//! the expected output after a deliberate change.

#[test]
fn cli_cases() {
    trycmd::TestCases::new()
        .register_bin(
            "chat-template-lint",
            std::path::Path::new(env!("CARGO_BIN_EXE_chat-template-lint")),
        )
        // The binary's defaults outside GitHub Actions and without colour,
        // whatever the environment the tests run in.
        .env("GITHUB_ACTIONS", "")
        .env("GITHUB_OUTPUT", "")
        .env("GITHUB_STEP_SUMMARY", "")
        .env("NO_COLOR", "1")
        .case("tests/cmd/*.toml");
}
