//! What to do next, in each front end's words. The engine's texts (findings, their fixes, its
//! progress) name the command line's options, as `check` and `fix` take them
//! (`--admin-username`). The console has keys, prompts, form fields and the config file
//! instead; [`for_console`] rewrites every option the engine names into the console's way of
//! doing it, from one table here, so the console never advises a flag it does not take.

/// The command line's words, and the console's, longest first (a phrase before the option
/// inside it).
const CONSOLE: &[(&str, &str)] = &[
    (
        "Run sagediag fix again with an admin's login: --admin-username ADMIN --admin-flow web (or password with SAGEDIAG_ADMIN_PASSWORD, or jwt with --admin-private-key).",
        "Log in as an admin in the Fix overlay (f, then Enter on the fix) and apply it again.",
    ),
    (
        "Next time give --admin-username so that sagediag counts the grants first and asks before evicting one.",
        "Next time log in as an admin first (f opens the Fix overlay's login): sagediag then counts the grants first and asks before evicting one.",
    ),
    (
        "Next time give --admin-username: sagediag then counts first and asks.",
        "Next time log in as an admin first (f opens the Fix overlay's login): sagediag then counts first and asks.",
    ),
    (
        "(no admin session: --admin-username)",
        "(no admin session: log in as an admin in the Fix overlay, f)",
    ),
    (" (--admin-username)", " (the Fix overlay's admin login)"),
    (
        "run again with --allow-grant-eviction to log in anyway (the console asks)",
        "run again (r) and answer y when the console asks",
    ),
    (
        "run again with --allow-grant-eviction (the console asks)",
        "run again (r) and answer y when the console asks,",
    ),
    (
        "Run again with --allow-rotation (the console asks):",
        "Run again (r) and answer y when the console asks:",
    ),
    (
        "run again with --allow-rotation to proceed",
        "run again (r) and answer y when the console asks",
    ),
    ("where --keep-secrets says", "where the Keep field says"),
    (
        "--flow web or --flow device",
        "the web or device flow (the Flow field)",
    ),
    (
        "(--callback-port N with http://localhost:N",
        "(callback_port = N in the config file, with http://localhost:N",
    ),
    (
        "with --callback-port",
        "with callback_port in the config file",
    ),
    ("--app-kind", "the App kind field (step 2)"),
    ("--trust-host", "trust_hosts in the config file"),
    ("--max-response-mb", "max_response_mb in the config file"),
    ("--timeout", "timeout_secs in the config file"),
    ("--history-days", "history_days in the config file"),
    ("--insecure-host", "insecure_hosts in the config file"),
    ("--private-key", "the Private key field"),
    ("--username", "the Username field"),
    ("--instance-url", "the custom URL (step 1)"),
    ("--env URL", "a custom URL (step 1)"),
];

/// The engine's text as the console says it: each command-line option it names replaced by the
/// console's key, prompt, field or config-file setting.
pub fn for_console(text: &str) -> String {
    if !text.contains("--") {
        return text.to_string();
    }
    let mut out = text.to_string();
    for (cli, console) in CONSOLE {
        if out.contains(cli) {
            out = out.replace(cli, console);
        }
    }
    out
}

/// A finding as the console shows it (its title, detail and fix in the console's words).
pub fn finding_for_console(mut f: super::findings::Finding) -> super::findings::Finding {
    f.title = for_console(&f.title);
    f.detail = for_console(&f.detail);
    for step in f.fix.iter_mut() {
        *step = for_console(step);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::findings::Code;

    /// No catalogued fix says a command-line option to the console that it rewrites only in
    /// part: every `--admin-*` and `--allow-*` phrase of the catalog is rewritten whole.
    #[test]
    fn the_console_is_never_told_a_consent_or_admin_flag() {
        for c in Code::ALL {
            for step in c.info().fix {
                let said = for_console(step);
                for flag in [
                    "--admin-username",
                    "--admin-flow",
                    "--admin-private-key",
                    "--allow-grant-eviction",
                    "--allow-rotation",
                    "--callback-port",
                    "--keep-secrets",
                ] {
                    assert!(!said.contains(flag), "{c}: {said}");
                }
            }
        }
        assert_eq!(
            for_console("Log in as an admin with Assign Permission Sets (--admin-username)."),
            "Log in as an admin with Assign Permission Sets (the Fix overlay's admin login)."
        );
    }
}
