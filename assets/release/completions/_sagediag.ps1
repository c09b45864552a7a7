
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'sagediag' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'sagediag'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'sagediag' {
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust this CA certificate (PEM; e.g. a corporate TLS-inspection CA). Repeatable')
            [CompletionResult]::new('--insecure-host', '--insecure-host', [CompletionResultType]::ParameterName, 'Do not verify the TLS certificate of this host (only this one; a banner says so on every screen). Repeatable')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The console''s watch store, for its Fleet screen: `sqlite:PATH` or `postgres://…` [default: watch.sqlite3 in the state directory, when it exists]')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Diagnose a connection non-interactively: log in, check the token and the org, probe the seven permission-set-gated endpoints, print the findings with their fixes')
            [CompletionResult]::new('sim', 'sim', [CompletionResultType]::ParameterValue, 'Run the simulated Salesforce + Sage People org')
            [CompletionResult]::new('fix', 'fix', [CompletionResultType]::ParameterValue, 'Check, print the fix plan, and with --yes assign the missing permission sets (as an admin), re-probe at once, and record each change; --undo FILE deletes what a run created')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Open the console on the embedded simulated org; it plays the journey, then hands over')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions (e.g. `sagediag completions bash > /etc/bash_completion.d/sagediag`)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff), e.g. `sagediag man > sagediag.1 && man ./sagediag.1`')
            [CompletionResult]::new('secrets', 'secrets', [CompletionResultType]::ParameterValue, 'Where kept secrets are (OS keyring, owner-only file) and how to forget them')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Watch many orgs over time: one cycle of passive signals per org (LoginHistory, grants, frozen user, permission sets, app policies, package, limits) with the watcher''s own monitoring credentials, kept as history, with incidents and alerts')
            [CompletionResult]::new('setup-sheet', 'setup-sheet', [CompletionResultType]::ParameterValue, 'Print what to create and tick in Salesforce Setup for an integration platform: callback, scopes, PKCE, secrets, permitted users and the permission sets to pre-authorize')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sagediag;check' {
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'production, sandbox, or the login URL (e.g. https://acme.my.salesforce.com). [default: the config file''s `environment`, else production]')
            [CompletionResult]::new('--flow', '--flow', [CompletionResultType]::ParameterName, 'web, device, jwt, client-credentials, password, refresh or token. [default: the config file''s `flow`, else web]')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'The connected app''s consumer key')
            [CompletionResult]::new('--client-secret', '--client-secret', [CompletionResultType]::ParameterName, 'The consumer secret (prefer SAGEDIAG_CLIENT_SECRET)')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'The API user''s username (also the login hint in the web flow)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'The password (+ security token) for the password flow (prefer SAGEDIAG_PASSWORD)')
            [CompletionResult]::new('--private-key', '--private-key', [CompletionResultType]::ParameterName, 'PEM private key for the JWT flow')
            [CompletionResult]::new('--refresh-token', '--refresh-token', [CompletionResultType]::ParameterName, 'A refresh token for the refresh flow (prefer SAGEDIAG_REFRESH_TOKEN)')
            [CompletionResult]::new('--access-token', '--access-token', [CompletionResultType]::ParameterName, 'An access token for the token flow (prefer SAGEDIAG_ACCESS_TOKEN)')
            [CompletionResult]::new('--instance-url', '--instance-url', [CompletionResultType]::ParameterName, 'The instance URL that goes with --access-token')
            [CompletionResult]::new('--pkce', '--pkce', [CompletionResultType]::ParameterName, 'Send a PKCE code challenge in the web flow (off reproduces integrations that send none)')
            [CompletionResult]::new('--redirect-uri', '--redirect-uri', [CompletionResultType]::ParameterName, 'Use the integration''s own registered callback instead of sagediag''s loopback one')
            [CompletionResult]::new('--callback-port', '--callback-port', [CompletionResultType]::ParameterName, 'Port of the loopback callback (http://localhost:PORT/OauthRedirect). [default: 1717]')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'OAuth scopes to request (default: the app''s)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds each request may take, 1 to 600. [default: the config file''s `timeout_secs`, else 30]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to open a connection (a dead host or a dropping firewall fails this fast). [default: the config file''s `connect_timeout_secs`, else 10]')
            [CompletionResult]::new('--login-timeout', '--login-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a person to log in (web and device flows)')
            [CompletionResult]::new('--jwt-audience', '--jwt-audience', [CompletionResultType]::ParameterName, 'JWT audience instead of the environment''s login host (like the Salesforce CLI''s SF_AUDIENCE_URL)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust this CA certificate (PEM; e.g. a corporate TLS-inspection CA). Repeatable')
            [CompletionResult]::new('--insecure-host', '--insecure-host', [CompletionResultType]::ParameterName, 'Do not verify the TLS certificate of this host (only this one; a warning says so throughout). Repeatable')
            [CompletionResult]::new('--trust-host', '--trust-host', [CompletionResultType]::ParameterName, 'Allow the token to go to this host although it is not a Salesforce host (a custom domain or an API gateway in front of Salesforce; https only; a line says so in the output). Repeatable')
            [CompletionResult]::new('--max-response-mb', '--max-response-mb', [CompletionResultType]::ParameterName, 'The largest response body read, in MiB; a larger one stops with RESPONSE_TOO_LARGE. [default: the config file''s `max_response_mb`, else 32]')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Write a Markdown report for support (no secrets) to this file')
            [CompletionResult]::new('--har', '--har', [CompletionResultType]::ParameterName, 'Export the request log as HAR 1.2 (secrets redacted) to this file')
            [CompletionResult]::new('--har-bodies', '--har-bodies', [CompletionResultType]::ParameterName, 'What the HAR keeps of the bodies: full, shape (Sage People records keep their structure and field names, every value replaced: safe for a ticket) or none. [default: SAGEDIAG_HAR_BODIES, the config file''s `har_bodies`, else shape]')
            [CompletionResult]::new('--keep-secrets', '--keep-secrets', [CompletionResultType]::ParameterName, 'After a successful login keep the consumer secret and the refresh token: in the OS keyring, or an owner-only file (plain text, readable by you only). Later runs without them use the kept ones (and `--flow refresh` the kept refresh token). [default: the config file''s `keep_secrets`, else memory: nothing kept]')
            [CompletionResult]::new('--coverage-limit', '--coverage-limit', [CompletionResultType]::ParameterName, 'Most employees field coverage reads. [default: 100000]')
            [CompletionResult]::new('--app-kind', '--app-kind', [CompletionResultType]::ParameterName, 'The kind of OAuth app the consumer key belongs to, if you know it: words the fixes of a login that fails before sagediag can read the org (after login the org says)')
            [CompletionResult]::new('--history-days', '--history-days', [CompletionResultType]::ParameterName, 'Days of the integration user''s Login History to read after login (1-180). [default: the config file''s `history_days`, else 7]')
            [CompletionResult]::new('--admin-flow', '--admin-flow', [CompletionResultType]::ParameterName, 'The admin''s login flow (web, device, jwt, password, …). [default: --flow]')
            [CompletionResult]::new('--admin-username', '--admin-username', [CompletionResultType]::ParameterName, 'An admin (Manage Users; Assign Permission Sets for fix): reads the integration''s whole record, and makes fix''s changes (default: the check''s own session, if it may)')
            [CompletionResult]::new('--admin-password', '--admin-password', [CompletionResultType]::ParameterName, 'The admin''s password for --admin-flow password (prefer SAGEDIAG_ADMIN_PASSWORD)')
            [CompletionResult]::new('--admin-private-key', '--admin-private-key', [CompletionResultType]::ParameterName, 'The admin''s PEM private key for --admin-flow jwt')
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Never open a browser (the URL is always printed)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document instead of the human report')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Also log every request, step and finding to stderr (tracing; --log-level or RUST_LOG sets how much)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Also log every request, step and finding to stderr (tracing; --log-level or RUST_LOG sets how much)')
            [CompletionResult]::new('--coverage', '--coverage', [CompletionResultType]::ParameterName, 'Field coverage for downstream sync: page through the employees and count populated fields, missing and duplicate emails, leavers with email')
            [CompletionResult]::new('--allow-rotation', '--allow-rotation', [CompletionResultType]::ParameterName, 'Consent to refresh a refresh token sagediag did not obtain (`--flow refresh`, or one kept by an earlier run): under rotation that refresh retires it, and the integration must be given the new one. Without this flag `--flow refresh` sends nothing')
            [CompletionResult]::new('--allow-grant-eviction', '--allow-grant-eviction', [CompletionResultType]::ParameterName, 'Consent to a web-server or device login although the user holds five grants for the app (counted first with --admin-username): the login makes Salesforce revoke the oldest, often the integration''s. Without it sagediag makes no token request then')
            [CompletionResult]::new('--show-new-token', '--show-new-token', [CompletionResultType]::ParameterName, 'When a refresh returns a new refresh token in place of the one given, print it once on the terminal (stderr), so that the integration can be given it')
            [CompletionResult]::new('--fix-plan', '--fix-plan', [CompletionResultType]::ParameterName, 'After the report, print how each finding is fixed (`--json`: a `fixes` array; for `apply` fixes the exact request `sagediag fix --yes` would send). Changes nothing')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'sagediag;sim' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on (0: a free one)')
            [CompletionResult]::new('--bind', '--bind', [CompletionResultType]::ParameterName, 'Address to listen on; anything but loopback exposes the org to the network')
            [CompletionResult]::new('--scenario', '--scenario', [CompletionResultType]::ParameterName, 'A shipped scenario''s name or the path of a scenario TOML file')
            [CompletionResult]::new('--orgs', '--orgs', [CompletionResultType]::ParameterName, 'Serve N healthy orgs (org-001 …), each on its own port with a monitoring app; prints one JSON line `{"orgs":[…]}` (docs/simulator.md, "Fleets")')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Serve the orgs a TOML file lists: `[[org]]` with `name = "…"` and `scenario = "…"`')
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the shipped scenarios and exit')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Serve HTTPS with a certificate authority made at start; the JSON line gains `ca_file`')
            [CompletionResult]::new('--until-stdin-closes', '--until-stdin-closes', [CompletionResultType]::ParameterName, 'Stop when stdin closes (the demo console runs its org so: it ends with the console)')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'sagediag;fix' {
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'production, sandbox, or the login URL (e.g. https://acme.my.salesforce.com). [default: the config file''s `environment`, else production]')
            [CompletionResult]::new('--flow', '--flow', [CompletionResultType]::ParameterName, 'web, device, jwt, client-credentials, password, refresh or token. [default: the config file''s `flow`, else web]')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'The connected app''s consumer key')
            [CompletionResult]::new('--client-secret', '--client-secret', [CompletionResultType]::ParameterName, 'The consumer secret (prefer SAGEDIAG_CLIENT_SECRET)')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'The API user''s username (also the login hint in the web flow)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'The password (+ security token) for the password flow (prefer SAGEDIAG_PASSWORD)')
            [CompletionResult]::new('--private-key', '--private-key', [CompletionResultType]::ParameterName, 'PEM private key for the JWT flow')
            [CompletionResult]::new('--refresh-token', '--refresh-token', [CompletionResultType]::ParameterName, 'A refresh token for the refresh flow (prefer SAGEDIAG_REFRESH_TOKEN)')
            [CompletionResult]::new('--access-token', '--access-token', [CompletionResultType]::ParameterName, 'An access token for the token flow (prefer SAGEDIAG_ACCESS_TOKEN)')
            [CompletionResult]::new('--instance-url', '--instance-url', [CompletionResultType]::ParameterName, 'The instance URL that goes with --access-token')
            [CompletionResult]::new('--pkce', '--pkce', [CompletionResultType]::ParameterName, 'Send a PKCE code challenge in the web flow (off reproduces integrations that send none)')
            [CompletionResult]::new('--redirect-uri', '--redirect-uri', [CompletionResultType]::ParameterName, 'Use the integration''s own registered callback instead of sagediag''s loopback one')
            [CompletionResult]::new('--callback-port', '--callback-port', [CompletionResultType]::ParameterName, 'Port of the loopback callback (http://localhost:PORT/OauthRedirect). [default: 1717]')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'OAuth scopes to request (default: the app''s)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds each request may take, 1 to 600. [default: the config file''s `timeout_secs`, else 30]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to open a connection (a dead host or a dropping firewall fails this fast). [default: the config file''s `connect_timeout_secs`, else 10]')
            [CompletionResult]::new('--login-timeout', '--login-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a person to log in (web and device flows)')
            [CompletionResult]::new('--jwt-audience', '--jwt-audience', [CompletionResultType]::ParameterName, 'JWT audience instead of the environment''s login host (like the Salesforce CLI''s SF_AUDIENCE_URL)')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust this CA certificate (PEM; e.g. a corporate TLS-inspection CA). Repeatable')
            [CompletionResult]::new('--insecure-host', '--insecure-host', [CompletionResultType]::ParameterName, 'Do not verify the TLS certificate of this host (only this one; a warning says so throughout). Repeatable')
            [CompletionResult]::new('--trust-host', '--trust-host', [CompletionResultType]::ParameterName, 'Allow the token to go to this host although it is not a Salesforce host (a custom domain or an API gateway in front of Salesforce; https only; a line says so in the output). Repeatable')
            [CompletionResult]::new('--max-response-mb', '--max-response-mb', [CompletionResultType]::ParameterName, 'The largest response body read, in MiB; a larger one stops with RESPONSE_TOO_LARGE. [default: the config file''s `max_response_mb`, else 32]')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Write a Markdown report for support (no secrets) to this file')
            [CompletionResult]::new('--har', '--har', [CompletionResultType]::ParameterName, 'Export the request log as HAR 1.2 (secrets redacted) to this file')
            [CompletionResult]::new('--har-bodies', '--har-bodies', [CompletionResultType]::ParameterName, 'What the HAR keeps of the bodies: full, shape (Sage People records keep their structure and field names, every value replaced: safe for a ticket) or none. [default: SAGEDIAG_HAR_BODIES, the config file''s `har_bodies`, else shape]')
            [CompletionResult]::new('--keep-secrets', '--keep-secrets', [CompletionResultType]::ParameterName, 'After a successful login keep the consumer secret and the refresh token: in the OS keyring, or an owner-only file (plain text, readable by you only). Later runs without them use the kept ones (and `--flow refresh` the kept refresh token). [default: the config file''s `keep_secrets`, else memory: nothing kept]')
            [CompletionResult]::new('--coverage-limit', '--coverage-limit', [CompletionResultType]::ParameterName, 'Most employees field coverage reads. [default: 100000]')
            [CompletionResult]::new('--app-kind', '--app-kind', [CompletionResultType]::ParameterName, 'The kind of OAuth app the consumer key belongs to, if you know it: words the fixes of a login that fails before sagediag can read the org (after login the org says)')
            [CompletionResult]::new('--history-days', '--history-days', [CompletionResultType]::ParameterName, 'Days of the integration user''s Login History to read after login (1-180). [default: the config file''s `history_days`, else 7]')
            [CompletionResult]::new('--admin-flow', '--admin-flow', [CompletionResultType]::ParameterName, 'The admin''s login flow (web, device, jwt, password, …). [default: --flow]')
            [CompletionResult]::new('--admin-username', '--admin-username', [CompletionResultType]::ParameterName, 'An admin (Manage Users; Assign Permission Sets for fix): reads the integration''s whole record, and makes fix''s changes (default: the check''s own session, if it may)')
            [CompletionResult]::new('--admin-password', '--admin-password', [CompletionResultType]::ParameterName, 'The admin''s password for --admin-flow password (prefer SAGEDIAG_ADMIN_PASSWORD)')
            [CompletionResult]::new('--admin-private-key', '--admin-private-key', [CompletionResultType]::ParameterName, 'The admin''s PEM private key for --admin-flow jwt')
            [CompletionResult]::new('--undo', '--undo', [CompletionResultType]::ParameterName, 'Delete the PermissionSetAssignment rows a former run created: FILE is its fix journal (state directory, fix-journal/*.jsonl) or the JSON `sagediag fix --yes --json` printed (owner-only). Only rows a journal records as created by sagediag are deleted')
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Never open a browser (the URL is always printed)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document instead of the human report')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Also log every request, step and finding to stderr (tracing; --log-level or RUST_LOG sets how much)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Also log every request, step and finding to stderr (tracing; --log-level or RUST_LOG sets how much)')
            [CompletionResult]::new('--coverage', '--coverage', [CompletionResultType]::ParameterName, 'Field coverage for downstream sync: page through the employees and count populated fields, missing and duplicate emails, leavers with email')
            [CompletionResult]::new('--allow-rotation', '--allow-rotation', [CompletionResultType]::ParameterName, 'Consent to refresh a refresh token sagediag did not obtain (`--flow refresh`, or one kept by an earlier run): under rotation that refresh retires it, and the integration must be given the new one. Without this flag `--flow refresh` sends nothing')
            [CompletionResult]::new('--allow-grant-eviction', '--allow-grant-eviction', [CompletionResultType]::ParameterName, 'Consent to a web-server or device login although the user holds five grants for the app (counted first with --admin-username): the login makes Salesforce revoke the oldest, often the integration''s. Without it sagediag makes no token request then')
            [CompletionResult]::new('--show-new-token', '--show-new-token', [CompletionResultType]::ParameterName, 'When a refresh returns a new refresh token in place of the one given, print it once on the terminal (stderr), so that the integration can be given it')
            [CompletionResult]::new('--fix-plan', '--fix-plan', [CompletionResultType]::ParameterName, 'After the report, print how each finding is fixed (`--json`: a `fixes` array; for `apply` fixes the exact request `sagediag fix --yes` would send). Changes nothing')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Consent: make the `apply` fixes (or the undo). Without it nothing is changed')
            [CompletionResult]::new('--undo-last', '--undo-last', [CompletionResultType]::ParameterName, 'Undo the newest fix journal of this org (an interrupted run''s too): deletes what it records as created, settling any change whose answer was lost by reading the org first')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'sagediag;demo' {
            [CompletionResult]::new('--scenario', '--scenario', [CompletionResultType]::ParameterName, 'The shipped scenario (see `sagediag sim --list`) or a scenario file')
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--manual', '--manual', [CompletionResultType]::ParameterName, 'Start at step 1 instead of playing the journey')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'A small simulated fleet under watch instead: the console opens on the Fleet screen while a scripted story breaks and mends its orgs (docs/watch.md#the-demo-fleet)')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'sagediag;completions' {
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'sagediag;man' {
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'sagediag;secrets' {
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Whether the OS keyring can be used here, and what the owner-only file holds (names only)')
            [CompletionResult]::new('forget', 'forget', [CompletionResultType]::ParameterValue, 'Remove the kept consumer secret (and the user''s refresh token) of one app from the OS keyring and the owner-only file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sagediag;secrets;status' {
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'sagediag;secrets;forget' {
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'production, sandbox, or the login URL')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'The connected app''s consumer key')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'Also forget this user''s refresh token')
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'sagediag;secrets;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Whether the OS keyring can be used here, and what the owner-only file holds (names only)')
            [CompletionResult]::new('forget', 'forget', [CompletionResultType]::ParameterValue, 'Remove the kept consumer secret (and the user''s refresh token) of one app from the OS keyring and the owner-only file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sagediag;secrets;help;status' {
            break
        }
        'sagediag;secrets;help;forget' {
            break
        }
        'sagediag;secrets;help;help' {
            break
        }
        'sagediag;watch' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the history lives: sqlite:PATH, or postgres://USER@HOST/DB for a team. [default: sqlite: watch.sqlite3 in the state directory]')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Serve /metrics, /healthz and the status page here (without --once)')
            [CompletionResult]::new('--webhook', '--webhook', [CompletionResultType]::ParameterName, 'A generic webhook for incident alerts, signed the Standard Webhooks way with SAGEDIAG_WEBHOOK_SECRET (whsec_…). Repeatable')
            [CompletionResult]::new('--slack-webhook', '--slack-webhook', [CompletionResultType]::ParameterName, 'A Slack incoming webhook for incident alerts')
            [CompletionResult]::new('--open-after', '--open-after', [CompletionResultType]::ParameterName, 'An incident opens after this many failing cycles in a row')
            [CompletionResult]::new('--resolve-after', '--resolve-after', [CompletionResultType]::ParameterName, 'An incident resolves after this many passing cycles in a row')
            [CompletionResult]::new('--retention-days', '--retention-days', [CompletionResultType]::ParameterName, 'Days of history kept (older cycles are pruned)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Orgs in flight at once')
            [CompletionResult]::new('--org-timeout', '--org-timeout', [CompletionResultType]::ParameterName, 'Seconds one org''s whole cycle may take; past it the org is ERROR and the others go on')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds each request may take')
            [CompletionResult]::new('--org', '--org', [CompletionResultType]::ParameterName, 'Only these orgs (by name). Repeatable')
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--once', '--once', [CompletionResultType]::ParameterName, 'Run one cycle of every org, deliver the alerts due, and exit (for cron, systemd timers and tests)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document per org cycle (JSON lines) instead of the summary')
            [CompletionResult]::new('--team', '--team', [CompletionResultType]::ParameterName, 'Team mode: several watchers share one PostgreSQL store, each org''s cycle run by one of them (a lease per org and slot)')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add an org to the watch list (or replace it), with the monitoring app''s credentials')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the orgs watched (the store''s list and the config file''s `[[watch.org]]`)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove an org from the watch list and forget its kept secret')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'An org''s timeline: its cycles, newest first, and its incidents')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Export the report of a past cycle (the document `check --json` prints, as far as a cycle fills it) to an owner-only file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sagediag;watch;add' {
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'production, sandbox, or the login URL (client credentials need the My Domain URL)')
            [CompletionResult]::new('--flow', '--flow', [CompletionResultType]::ParameterName, 'The monitoring app''s flow: jwt or client-credentials (never the integration''s own)')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'The monitoring app''s consumer key')
            [CompletionResult]::new('--client-secret', '--client-secret', [CompletionResultType]::ParameterName, 'The monitoring app''s consumer secret, for client credentials (prefer SAGEDIAG_CLIENT_SECRET). Kept as --keep-secrets says, never in the store')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'The monitoring user (JWT bearer''s subject)')
            [CompletionResult]::new('--private-key', '--private-key', [CompletionResultType]::ParameterName, 'The monitoring app''s private key (PEM) for JWT; the path is kept, not the key')
            [CompletionResult]::new('--integration-user', '--integration-user', [CompletionResultType]::ParameterName, 'The integration user whose record is watched')
            [CompletionResult]::new('--integration-app', '--integration-app', [CompletionResultType]::ParameterName, 'The integration''s app as the org names it (LoginHistory''s Application, OauthToken''s AppName). Without it every app of the user is watched')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Every this long: 900, 15m, 1h. [default: 15m]')
            [CompletionResult]::new('--cron', '--cron', [CompletionResultType]::ParameterName, 'A cron expression (seconds first, UTC), e.g. "0 */15 * * * *"')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'Also trust this CA certificate (PEM) for this org. Repeatable')
            [CompletionResult]::new('--keep-secrets', '--keep-secrets', [CompletionResultType]::ParameterName, 'Where the consumer secret is kept: keyring or file (owner-only). [default: the config file''s `keep_secrets`, else the keyring when there is one, else file]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the history lives: sqlite:PATH, or postgres://USER@HOST/DB for a team. [default: sqlite: watch.sqlite3 in the state directory]')
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--probe-as-integration', '--probe-as-integration', [CompletionResultType]::ParameterName, 'Also probe the seven endpoints as the integration user, through a JWT for that user (the monitoring app''s key must be allowed to sign in as it)')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'sagediag;watch;list' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the history lives: sqlite:PATH, or postgres://USER@HOST/DB for a team. [default: sqlite: watch.sqlite3 in the state directory]')
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'sagediag;watch;remove' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the history lives: sqlite:PATH, or postgres://USER@HOST/DB for a team. [default: sqlite: watch.sqlite3 in the state directory]')
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'sagediag;watch;history' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Cycles shown')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the history lives: sqlite:PATH, or postgres://USER@HOST/DB for a team. [default: sqlite: watch.sqlite3 in the state directory]')
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'sagediag;watch;report' {
            [CompletionResult]::new('--cycle', '--cycle', [CompletionResultType]::ParameterName, 'The cycle''s id (from `watch history`)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'out')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where the history lives: sqlite:PATH, or postgres://USER@HOST/DB for a team. [default: sqlite: watch.sqlite3 in the state directory]')
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'sagediag;watch;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add an org to the watch list (or replace it), with the monitoring app''s credentials')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the orgs watched (the store''s list and the config file''s `[[watch.org]]`)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove an org from the watch list and forget its kept secret')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'An org''s timeline: its cycles, newest first, and its incidents')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Export the report of a past cycle (the document `check --json` prints, as far as a cycle fills it) to an owner-only file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sagediag;watch;help;add' {
            break
        }
        'sagediag;watch;help;list' {
            break
        }
        'sagediag;watch;help;remove' {
            break
        }
        'sagediag;watch;help;history' {
            break
        }
        'sagediag;watch;help;report' {
            break
        }
        'sagediag;watch;help;help' {
            break
        }
        'sagediag;setup-sheet' {
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'The integration platform')
            [CompletionResult]::new('--kind', '--kind', [CompletionResultType]::ParameterName, 'An External Client App (what a new app is since Spring ''26) or a connected app')
            [CompletionResult]::new('--theme', '--theme', [CompletionResultType]::ParameterName, 'The console''s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file''s `theme`')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]')
            [CompletionResult]::new('--mouse', '--mouse', [CompletionResultType]::ParameterName, 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'sagediag;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Diagnose a connection non-interactively: log in, check the token and the org, probe the seven permission-set-gated endpoints, print the findings with their fixes')
            [CompletionResult]::new('sim', 'sim', [CompletionResultType]::ParameterValue, 'Run the simulated Salesforce + Sage People org')
            [CompletionResult]::new('fix', 'fix', [CompletionResultType]::ParameterValue, 'Check, print the fix plan, and with --yes assign the missing permission sets (as an admin), re-probe at once, and record each change; --undo FILE deletes what a run created')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Open the console on the embedded simulated org; it plays the journey, then hands over')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions (e.g. `sagediag completions bash > /etc/bash_completion.d/sagediag`)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff), e.g. `sagediag man > sagediag.1 && man ./sagediag.1`')
            [CompletionResult]::new('secrets', 'secrets', [CompletionResultType]::ParameterValue, 'Where kept secrets are (OS keyring, owner-only file) and how to forget them')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Watch many orgs over time: one cycle of passive signals per org (LoginHistory, grants, frozen user, permission sets, app policies, package, limits) with the watcher''s own monitoring credentials, kept as history, with incidents and alerts')
            [CompletionResult]::new('setup-sheet', 'setup-sheet', [CompletionResultType]::ParameterValue, 'Print what to create and tick in Salesforce Setup for an integration platform: callback, scopes, PKCE, secrets, permitted users and the permission sets to pre-authorize')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sagediag;help;check' {
            break
        }
        'sagediag;help;sim' {
            break
        }
        'sagediag;help;fix' {
            break
        }
        'sagediag;help;demo' {
            break
        }
        'sagediag;help;completions' {
            break
        }
        'sagediag;help;man' {
            break
        }
        'sagediag;help;secrets' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Whether the OS keyring can be used here, and what the owner-only file holds (names only)')
            [CompletionResult]::new('forget', 'forget', [CompletionResultType]::ParameterValue, 'Remove the kept consumer secret (and the user''s refresh token) of one app from the OS keyring and the owner-only file')
            break
        }
        'sagediag;help;secrets;status' {
            break
        }
        'sagediag;help;secrets;forget' {
            break
        }
        'sagediag;help;watch' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add an org to the watch list (or replace it), with the monitoring app''s credentials')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the orgs watched (the store''s list and the config file''s `[[watch.org]]`)')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove an org from the watch list and forget its kept secret')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'An org''s timeline: its cycles, newest first, and its incidents')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Export the report of a past cycle (the document `check --json` prints, as far as a cycle fills it) to an owner-only file')
            break
        }
        'sagediag;help;watch;add' {
            break
        }
        'sagediag;help;watch;list' {
            break
        }
        'sagediag;help;watch;remove' {
            break
        }
        'sagediag;help;watch;history' {
            break
        }
        'sagediag;help;watch;report' {
            break
        }
        'sagediag;help;setup-sheet' {
            break
        }
        'sagediag;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
