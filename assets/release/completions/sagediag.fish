# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_sagediag_global_optspecs
    string join \n mouse theme= ca-cert= insecure-host= log-level= store= h/help V/version
end

function __fish_sagediag_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_sagediag_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_sagediag_using_subcommand
    set -l cmd (__fish_sagediag_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c sagediag -n "__fish_sagediag_needs_command" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_needs_command" -l ca-cert -d 'Also trust this CA certificate (PEM; e.g. a corporate TLS-inspection CA). Repeatable' -r -F
complete -c sagediag -n "__fish_sagediag_needs_command" -l insecure-host -d 'Do not verify the TLS certificate of this host (only this one; a banner says so on every screen). Repeatable' -r
complete -c sagediag -n "__fish_sagediag_needs_command" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_needs_command" -l store -d 'The console\'s watch store, for its Fleet screen: `sqlite:PATH` or `postgres://…` [default: watch.sqlite3 in the state directory, when it exists]' -r
complete -c sagediag -n "__fish_sagediag_needs_command" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_needs_command" -s V -l version -d 'Print version'
complete -c sagediag -n "__fish_sagediag_needs_command" -f -a "check" -d 'Diagnose a connection non-interactively: log in, check the token and the org, probe the seven permission-set-gated endpoints, print the findings with their fixes'
complete -c sagediag -n "__fish_sagediag_needs_command" -f -a "sim" -d 'Run the simulated Salesforce + Sage People org'
complete -c sagediag -n "__fish_sagediag_needs_command" -f -a "fix" -d 'Check, print the fix plan, and with --yes assign the missing permission sets (as an admin), re-probe at once, and record each change; --undo FILE deletes what a run created'
complete -c sagediag -n "__fish_sagediag_needs_command" -f -a "demo" -d 'Open the console on the embedded simulated org; it plays the journey, then hands over'
complete -c sagediag -n "__fish_sagediag_needs_command" -f -a "completions" -d 'Print shell completions (e.g. `sagediag completions bash > /etc/bash_completion.d/sagediag`)'
complete -c sagediag -n "__fish_sagediag_needs_command" -f -a "man" -d 'Print the man page (roff), e.g. `sagediag man > sagediag.1 && man ./sagediag.1`'
complete -c sagediag -n "__fish_sagediag_needs_command" -f -a "secrets" -d 'Where kept secrets are (OS keyring, owner-only file) and how to forget them'
complete -c sagediag -n "__fish_sagediag_needs_command" -f -a "watch" -d 'Watch many orgs over time: one cycle of passive signals per org (LoginHistory, grants, frozen user, permission sets, app policies, package, limits) with the watcher\'s own monitoring credentials, kept as history, with incidents and alerts'
complete -c sagediag -n "__fish_sagediag_needs_command" -f -a "setup-sheet" -d 'Print what to create and tick in Salesforce Setup for an integration platform: callback, scopes, PKCE, secrets, permitted users and the permission sets to pre-authorize'
complete -c sagediag -n "__fish_sagediag_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l env -d 'production, sandbox, or the login URL (e.g. https://acme.my.salesforce.com). [default: the config file\'s `environment`, else production]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l flow -d 'web, device, jwt, client-credentials, password, refresh or token. [default: the config file\'s `flow`, else web]' -r -f -a "web\t''
device\t''
jwt\t''
client-credentials\t''
password\t''
refresh\t''
token\t''"
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l client-id -d 'The connected app\'s consumer key' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l client-secret -d 'The consumer secret (prefer SAGEDIAG_CLIENT_SECRET)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l username -d 'The API user\'s username (also the login hint in the web flow)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l password -d 'The password (+ security token) for the password flow (prefer SAGEDIAG_PASSWORD)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l private-key -d 'PEM private key for the JWT flow' -r -F
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l refresh-token -d 'A refresh token for the refresh flow (prefer SAGEDIAG_REFRESH_TOKEN)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l access-token -d 'An access token for the token flow (prefer SAGEDIAG_ACCESS_TOKEN)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l instance-url -d 'The instance URL that goes with --access-token' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l pkce -d 'Send a PKCE code challenge in the web flow (off reproduces integrations that send none)' -r -f -a "on\t''
off\t''"
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l redirect-uri -d 'Use the integration\'s own registered callback instead of sagediag\'s loopback one' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l callback-port -d 'Port of the loopback callback (http://localhost:PORT/OauthRedirect). [default: 1717]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l scope -d 'OAuth scopes to request (default: the app\'s)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l timeout -d 'Seconds each request may take, 1 to 600. [default: the config file\'s `timeout_secs`, else 30]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l connect-timeout -d 'Seconds to open a connection (a dead host or a dropping firewall fails this fast). [default: the config file\'s `connect_timeout_secs`, else 10]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l login-timeout -d 'Seconds to wait for a person to log in (web and device flows)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l jwt-audience -d 'JWT audience instead of the environment\'s login host (like the Salesforce CLI\'s SF_AUDIENCE_URL)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l ca-cert -d 'Also trust this CA certificate (PEM; e.g. a corporate TLS-inspection CA). Repeatable' -r -F
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l insecure-host -d 'Do not verify the TLS certificate of this host (only this one; a warning says so throughout). Repeatable' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l trust-host -d 'Allow the token to go to this host although it is not a Salesforce host (a custom domain or an API gateway in front of Salesforce; https only; a line says so in the output). Repeatable' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l max-response-mb -d 'The largest response body read, in MiB; a larger one stops with RESPONSE_TOO_LARGE. [default: the config file\'s `max_response_mb`, else 32]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l report -d 'Write a Markdown report for support (no secrets) to this file' -r -F
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l har -d 'Export the request log as HAR 1.2 (secrets redacted) to this file' -r -F
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l har-bodies -d 'What the HAR keeps of the bodies: full, shape (Sage People records keep their structure and field names, every value replaced: safe for a ticket) or none. [default: SAGEDIAG_HAR_BODIES, the config file\'s `har_bodies`, else shape]' -r -f -a "full\t'Every body as captured (secrets are redacted, HR data is not)'
shape\t'Sage People record bodies keep their JSON structure, field names and counts; every value is replaced by a placeholder, so a HAR can go into a ticket without salaries in it'
none\t'No bodies at all, only sizes'"
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l keep-secrets -d 'After a successful login keep the consumer secret and the refresh token: in the OS keyring, or an owner-only file (plain text, readable by you only). Later runs without them use the kept ones (and `--flow refresh` the kept refresh token). [default: the config file\'s `keep_secrets`, else memory: nothing kept]' -r -f -a "memory\t'Not kept: forgotten when the program ends'
keyring\t'The OS keyring'
file\t'A JSON file readable and writable by its owner only (plain text on disk)'"
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l coverage-limit -d 'Most employees field coverage reads. [default: 100000]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l app-kind -d 'The kind of OAuth app the consumer key belongs to, if you know it: words the fixes of a login that fails before sagediag can read the org (after login the org says)' -r -f -a "connected-app\t'A connected app (Setup > App Manager, or Connected Apps)'
eca\t'An External Client App (Setup > External Client Apps)'"
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l history-days -d 'Days of the integration user\'s Login History to read after login (1-180). [default: the config file\'s `history_days`, else 7]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l admin-flow -d 'The admin\'s login flow (web, device, jwt, password, …). [default: --flow]' -r -f -a "web\t''
device\t''
jwt\t''
client-credentials\t''
password\t''
refresh\t''
token\t''"
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l admin-username -d 'An admin (Manage Users; Assign Permission Sets for fix): reads the integration\'s whole record, and makes fix\'s changes (default: the check\'s own session, if it may)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l admin-password -d 'The admin\'s password for --admin-flow password (prefer SAGEDIAG_ADMIN_PASSWORD)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l admin-private-key -d 'The admin\'s PEM private key for --admin-flow jwt' -r -F
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l no-browser -d 'Never open a browser (the URL is always printed)'
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l json -d 'Print one JSON document instead of the human report'
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -s v -l verbose -d 'Also log every request, step and finding to stderr (tracing; --log-level or RUST_LOG sets how much)'
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l coverage -d 'Field coverage for downstream sync: page through the employees and count populated fields, missing and duplicate emails, leavers with email'
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l allow-rotation -d 'Consent to refresh a refresh token sagediag did not obtain (`--flow refresh`, or one kept by an earlier run): under rotation that refresh retires it, and the integration must be given the new one. Without this flag `--flow refresh` sends nothing'
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l allow-grant-eviction -d 'Consent to a web-server or device login although the user holds five grants for the app (counted first with --admin-username): the login makes Salesforce revoke the oldest, often the integration\'s. Without it sagediag makes no token request then'
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l show-new-token -d 'When a refresh returns a new refresh token in place of the one given, print it once on the terminal (stderr), so that the integration can be given it'
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l fix-plan -d 'After the report, print how each finding is fixed (`--json`: a `fixes` array; for `apply` fixes the exact request `sagediag fix --yes` would send). Changes nothing'
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_using_subcommand sim" -l port -d 'Port to listen on (0: a free one)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand sim" -l bind -d 'Address to listen on; anything but loopback exposes the org to the network' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand sim" -l scenario -d 'A shipped scenario\'s name or the path of a scenario TOML file' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand sim" -l orgs -d 'Serve N healthy orgs (org-001 …), each on its own port with a monitoring app; prints one JSON line `{"orgs":[…]}` (docs/simulator.md, "Fleets")' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand sim" -l fleet -d 'Serve the orgs a TOML file lists: `[[org]]` with `name = "…"` and `scenario = "…"`' -r -F
complete -c sagediag -n "__fish_sagediag_using_subcommand sim" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_using_subcommand sim" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand sim" -l list -d 'List the shipped scenarios and exit'
complete -c sagediag -n "__fish_sagediag_using_subcommand sim" -l tls -d 'Serve HTTPS with a certificate authority made at start; the JSON line gains `ca_file`'
complete -c sagediag -n "__fish_sagediag_using_subcommand sim" -l until-stdin-closes -d 'Stop when stdin closes (the demo console runs its org so: it ends with the console)'
complete -c sagediag -n "__fish_sagediag_using_subcommand sim" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_using_subcommand sim" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l env -d 'production, sandbox, or the login URL (e.g. https://acme.my.salesforce.com). [default: the config file\'s `environment`, else production]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l flow -d 'web, device, jwt, client-credentials, password, refresh or token. [default: the config file\'s `flow`, else web]' -r -f -a "web\t''
device\t''
jwt\t''
client-credentials\t''
password\t''
refresh\t''
token\t''"
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l client-id -d 'The connected app\'s consumer key' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l client-secret -d 'The consumer secret (prefer SAGEDIAG_CLIENT_SECRET)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l username -d 'The API user\'s username (also the login hint in the web flow)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l password -d 'The password (+ security token) for the password flow (prefer SAGEDIAG_PASSWORD)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l private-key -d 'PEM private key for the JWT flow' -r -F
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l refresh-token -d 'A refresh token for the refresh flow (prefer SAGEDIAG_REFRESH_TOKEN)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l access-token -d 'An access token for the token flow (prefer SAGEDIAG_ACCESS_TOKEN)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l instance-url -d 'The instance URL that goes with --access-token' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l pkce -d 'Send a PKCE code challenge in the web flow (off reproduces integrations that send none)' -r -f -a "on\t''
off\t''"
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l redirect-uri -d 'Use the integration\'s own registered callback instead of sagediag\'s loopback one' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l callback-port -d 'Port of the loopback callback (http://localhost:PORT/OauthRedirect). [default: 1717]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l scope -d 'OAuth scopes to request (default: the app\'s)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l timeout -d 'Seconds each request may take, 1 to 600. [default: the config file\'s `timeout_secs`, else 30]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l connect-timeout -d 'Seconds to open a connection (a dead host or a dropping firewall fails this fast). [default: the config file\'s `connect_timeout_secs`, else 10]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l login-timeout -d 'Seconds to wait for a person to log in (web and device flows)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l jwt-audience -d 'JWT audience instead of the environment\'s login host (like the Salesforce CLI\'s SF_AUDIENCE_URL)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l ca-cert -d 'Also trust this CA certificate (PEM; e.g. a corporate TLS-inspection CA). Repeatable' -r -F
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l insecure-host -d 'Do not verify the TLS certificate of this host (only this one; a warning says so throughout). Repeatable' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l trust-host -d 'Allow the token to go to this host although it is not a Salesforce host (a custom domain or an API gateway in front of Salesforce; https only; a line says so in the output). Repeatable' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l max-response-mb -d 'The largest response body read, in MiB; a larger one stops with RESPONSE_TOO_LARGE. [default: the config file\'s `max_response_mb`, else 32]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l report -d 'Write a Markdown report for support (no secrets) to this file' -r -F
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l har -d 'Export the request log as HAR 1.2 (secrets redacted) to this file' -r -F
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l har-bodies -d 'What the HAR keeps of the bodies: full, shape (Sage People records keep their structure and field names, every value replaced: safe for a ticket) or none. [default: SAGEDIAG_HAR_BODIES, the config file\'s `har_bodies`, else shape]' -r -f -a "full\t'Every body as captured (secrets are redacted, HR data is not)'
shape\t'Sage People record bodies keep their JSON structure, field names and counts; every value is replaced by a placeholder, so a HAR can go into a ticket without salaries in it'
none\t'No bodies at all, only sizes'"
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l keep-secrets -d 'After a successful login keep the consumer secret and the refresh token: in the OS keyring, or an owner-only file (plain text, readable by you only). Later runs without them use the kept ones (and `--flow refresh` the kept refresh token). [default: the config file\'s `keep_secrets`, else memory: nothing kept]' -r -f -a "memory\t'Not kept: forgotten when the program ends'
keyring\t'The OS keyring'
file\t'A JSON file readable and writable by its owner only (plain text on disk)'"
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l coverage-limit -d 'Most employees field coverage reads. [default: 100000]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l app-kind -d 'The kind of OAuth app the consumer key belongs to, if you know it: words the fixes of a login that fails before sagediag can read the org (after login the org says)' -r -f -a "connected-app\t'A connected app (Setup > App Manager, or Connected Apps)'
eca\t'An External Client App (Setup > External Client Apps)'"
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l history-days -d 'Days of the integration user\'s Login History to read after login (1-180). [default: the config file\'s `history_days`, else 7]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l admin-flow -d 'The admin\'s login flow (web, device, jwt, password, …). [default: --flow]' -r -f -a "web\t''
device\t''
jwt\t''
client-credentials\t''
password\t''
refresh\t''
token\t''"
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l admin-username -d 'An admin (Manage Users; Assign Permission Sets for fix): reads the integration\'s whole record, and makes fix\'s changes (default: the check\'s own session, if it may)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l admin-password -d 'The admin\'s password for --admin-flow password (prefer SAGEDIAG_ADMIN_PASSWORD)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l admin-private-key -d 'The admin\'s PEM private key for --admin-flow jwt' -r -F
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l undo -d 'Delete the PermissionSetAssignment rows a former run created: FILE is its fix journal (state directory, fix-journal/*.jsonl) or the JSON `sagediag fix --yes --json` printed (owner-only). Only rows a journal records as created by sagediag are deleted' -r -F
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l no-browser -d 'Never open a browser (the URL is always printed)'
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l json -d 'Print one JSON document instead of the human report'
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -s v -l verbose -d 'Also log every request, step and finding to stderr (tracing; --log-level or RUST_LOG sets how much)'
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l coverage -d 'Field coverage for downstream sync: page through the employees and count populated fields, missing and duplicate emails, leavers with email'
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l allow-rotation -d 'Consent to refresh a refresh token sagediag did not obtain (`--flow refresh`, or one kept by an earlier run): under rotation that refresh retires it, and the integration must be given the new one. Without this flag `--flow refresh` sends nothing'
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l allow-grant-eviction -d 'Consent to a web-server or device login although the user holds five grants for the app (counted first with --admin-username): the login makes Salesforce revoke the oldest, often the integration\'s. Without it sagediag makes no token request then'
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l show-new-token -d 'When a refresh returns a new refresh token in place of the one given, print it once on the terminal (stderr), so that the integration can be given it'
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l fix-plan -d 'After the report, print how each finding is fixed (`--json`: a `fixes` array; for `apply` fixes the exact request `sagediag fix --yes` would send). Changes nothing'
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l yes -d 'Consent: make the `apply` fixes (or the undo). Without it nothing is changed'
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l undo-last -d 'Undo the newest fix journal of this org (an interrupted run\'s too): deletes what it records as created, settling any change whose answer was lost by reading the org first'
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_using_subcommand fix" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_using_subcommand demo" -l scenario -d 'The shipped scenario (see `sagediag sim --list`) or a scenario file' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand demo" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_using_subcommand demo" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand demo" -l manual -d 'Start at step 1 instead of playing the journey'
complete -c sagediag -n "__fish_sagediag_using_subcommand demo" -l watch -d 'A small simulated fleet under watch instead: the console opens on the Fleet screen while a scripted story breaks and mends its orgs (docs/watch.md#the-demo-fleet)'
complete -c sagediag -n "__fish_sagediag_using_subcommand demo" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_using_subcommand completions" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_using_subcommand completions" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand completions" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_using_subcommand man" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_using_subcommand man" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand man" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and not __fish_seen_subcommand_from status forget help" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and not __fish_seen_subcommand_from status forget help" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and not __fish_seen_subcommand_from status forget help" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and not __fish_seen_subcommand_from status forget help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and not __fish_seen_subcommand_from status forget help" -f -a "status" -d 'Whether the OS keyring can be used here, and what the owner-only file holds (names only)'
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and not __fish_seen_subcommand_from status forget help" -f -a "forget" -d 'Remove the kept consumer secret (and the user\'s refresh token) of one app from the OS keyring and the owner-only file'
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and not __fish_seen_subcommand_from status forget help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and __fish_seen_subcommand_from status" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and __fish_seen_subcommand_from status" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and __fish_seen_subcommand_from status" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and __fish_seen_subcommand_from forget" -l env -d 'production, sandbox, or the login URL' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and __fish_seen_subcommand_from forget" -l client-id -d 'The connected app\'s consumer key' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and __fish_seen_subcommand_from forget" -l username -d 'Also forget this user\'s refresh token' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and __fish_seen_subcommand_from forget" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and __fish_seen_subcommand_from forget" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and __fish_seen_subcommand_from forget" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and __fish_seen_subcommand_from forget" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and __fish_seen_subcommand_from help" -f -a "status" -d 'Whether the OS keyring can be used here, and what the owner-only file holds (names only)'
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and __fish_seen_subcommand_from help" -f -a "forget" -d 'Remove the kept consumer secret (and the user\'s refresh token) of one app from the OS keyring and the owner-only file'
complete -c sagediag -n "__fish_sagediag_using_subcommand secrets; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l store -d 'Where the history lives: sqlite:PATH, or postgres://USER@HOST/DB for a team. [default: sqlite: watch.sqlite3 in the state directory]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l listen -d 'Serve /metrics, /healthz and the status page here (without --once)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l webhook -d 'A generic webhook for incident alerts, signed the Standard Webhooks way with SAGEDIAG_WEBHOOK_SECRET (whsec_…). Repeatable' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l slack-webhook -d 'A Slack incoming webhook for incident alerts' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l open-after -d 'An incident opens after this many failing cycles in a row' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l resolve-after -d 'An incident resolves after this many passing cycles in a row' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l retention-days -d 'Days of history kept (older cycles are pruned)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l concurrency -d 'Orgs in flight at once' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l org-timeout -d 'Seconds one org\'s whole cycle may take; past it the org is ERROR and the others go on' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l timeout -d 'Seconds each request may take' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l org -d 'Only these orgs (by name). Repeatable' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l once -d 'Run one cycle of every org, deliver the alerts due, and exit (for cron, systemd timers and tests)'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l json -d 'Print one JSON document per org cycle (JSON lines) instead of the summary'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l team -d 'Team mode: several watchers share one PostgreSQL store, each org\'s cycle run by one of them (a lease per org and slot)'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -f -a "add" -d 'Add an org to the watch list (or replace it), with the monitoring app\'s credentials'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -f -a "list" -d 'List the orgs watched (the store\'s list and the config file\'s `[[watch.org]]`)'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -f -a "remove" -d 'Remove an org from the watch list and forget its kept secret'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -f -a "history" -d 'An org\'s timeline: its cycles, newest first, and its incidents'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -f -a "report" -d 'Export the report of a past cycle (the document `check --json` prints, as far as a cycle fills it) to an owner-only file'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and not __fish_seen_subcommand_from add list remove history report help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l env -d 'production, sandbox, or the login URL (client credentials need the My Domain URL)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l flow -d 'The monitoring app\'s flow: jwt or client-credentials (never the integration\'s own)' -r -f -a "jwt\t''
client-credentials\t''"
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l client-id -d 'The monitoring app\'s consumer key' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l client-secret -d 'The monitoring app\'s consumer secret, for client credentials (prefer SAGEDIAG_CLIENT_SECRET). Kept as --keep-secrets says, never in the store' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l username -d 'The monitoring user (JWT bearer\'s subject)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l private-key -d 'The monitoring app\'s private key (PEM) for JWT; the path is kept, not the key' -r -F
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l integration-user -d 'The integration user whose record is watched' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l integration-app -d 'The integration\'s app as the org names it (LoginHistory\'s Application, OauthToken\'s AppName). Without it every app of the user is watched' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l interval -d 'Every this long: 900, 15m, 1h. [default: 15m]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l cron -d 'A cron expression (seconds first, UTC), e.g. "0 */15 * * * *"' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l ca-cert -d 'Also trust this CA certificate (PEM) for this org. Repeatable' -r -F
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l keep-secrets -d 'Where the consumer secret is kept: keyring or file (owner-only). [default: the config file\'s `keep_secrets`, else the keyring when there is one, else file]' -r -f -a "keyring\t''
file\t''"
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l store -d 'Where the history lives: sqlite:PATH, or postgres://USER@HOST/DB for a team. [default: sqlite: watch.sqlite3 in the state directory]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l probe-as-integration -d 'Also probe the seven endpoints as the integration user, through a JWT for that user (the monitoring app\'s key must be allowed to sign in as it)'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from list" -l store -d 'Where the history lives: sqlite:PATH, or postgres://USER@HOST/DB for a team. [default: sqlite: watch.sqlite3 in the state directory]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from list" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from list" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from list" -l json -d 'One JSON document'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from list" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from remove" -l store -d 'Where the history lives: sqlite:PATH, or postgres://USER@HOST/DB for a team. [default: sqlite: watch.sqlite3 in the state directory]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from remove" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from remove" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from remove" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from history" -l limit -d 'Cycles shown' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from history" -l store -d 'Where the history lives: sqlite:PATH, or postgres://USER@HOST/DB for a team. [default: sqlite: watch.sqlite3 in the state directory]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from history" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from history" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from history" -l json -d 'One JSON document'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from history" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from report" -l cycle -d 'The cycle\'s id (from `watch history`)' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from report" -l out -r -F
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from report" -l store -d 'Where the history lives: sqlite:PATH, or postgres://USER@HOST/DB for a team. [default: sqlite: watch.sqlite3 in the state directory]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from report" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from report" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from report" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add an org to the watch list (or replace it), with the monitoring app\'s credentials'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the orgs watched (the store\'s list and the config file\'s `[[watch.org]]`)'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove an org from the watch list and forget its kept secret'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from help" -f -a "history" -d 'An org\'s timeline: its cycles, newest first, and its incidents'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from help" -f -a "report" -d 'Export the report of a past cycle (the document `check --json` prints, as far as a cycle fills it) to an owner-only file'
complete -c sagediag -n "__fish_sagediag_using_subcommand watch; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sagediag -n "__fish_sagediag_using_subcommand setup-sheet" -l preset -d 'The integration platform' -r -f -a "stackone\t''
nango\t''
custom\t''"
complete -c sagediag -n "__fish_sagediag_using_subcommand setup-sheet" -l kind -d 'An External Client App (what a new app is since Spring \'26) or a connected app' -r -f -a "eca\t''
connected-app\t''"
complete -c sagediag -n "__fish_sagediag_using_subcommand setup-sheet" -l theme -d 'The console\'s colours: dark, light, no-color, or plain (screen readers: no colour, no box drawing). Overrides the config file\'s `theme`' -r -f -a "dark\t'Colours for dark terminals'
light\t'Colours for light terminals'
no-color\t'No colour (as NO_COLOR)'
plain\t'For screen readers: no colour, no box drawing, no spinner'"
complete -c sagediag -n "__fish_sagediag_using_subcommand setup-sheet" -l log-level -d 'How much the log says: error, warn, info, debug, trace, or per target (`sagediag=debug,hyper=info`). The console logs to sagediag.log in the state directory; `check --verbose` to stderr. [default: RUST_LOG, else info (console) / debug (--verbose)]' -r
complete -c sagediag -n "__fish_sagediag_using_subcommand setup-sheet" -l mouse -d 'Turn mouse capture on in the console (off by default: it breaks text selection over SSH)'
complete -c sagediag -n "__fish_sagediag_using_subcommand setup-sheet" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and not __fish_seen_subcommand_from check sim fix demo completions man secrets watch setup-sheet help" -f -a "check" -d 'Diagnose a connection non-interactively: log in, check the token and the org, probe the seven permission-set-gated endpoints, print the findings with their fixes'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and not __fish_seen_subcommand_from check sim fix demo completions man secrets watch setup-sheet help" -f -a "sim" -d 'Run the simulated Salesforce + Sage People org'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and not __fish_seen_subcommand_from check sim fix demo completions man secrets watch setup-sheet help" -f -a "fix" -d 'Check, print the fix plan, and with --yes assign the missing permission sets (as an admin), re-probe at once, and record each change; --undo FILE deletes what a run created'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and not __fish_seen_subcommand_from check sim fix demo completions man secrets watch setup-sheet help" -f -a "demo" -d 'Open the console on the embedded simulated org; it plays the journey, then hands over'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and not __fish_seen_subcommand_from check sim fix demo completions man secrets watch setup-sheet help" -f -a "completions" -d 'Print shell completions (e.g. `sagediag completions bash > /etc/bash_completion.d/sagediag`)'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and not __fish_seen_subcommand_from check sim fix demo completions man secrets watch setup-sheet help" -f -a "man" -d 'Print the man page (roff), e.g. `sagediag man > sagediag.1 && man ./sagediag.1`'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and not __fish_seen_subcommand_from check sim fix demo completions man secrets watch setup-sheet help" -f -a "secrets" -d 'Where kept secrets are (OS keyring, owner-only file) and how to forget them'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and not __fish_seen_subcommand_from check sim fix demo completions man secrets watch setup-sheet help" -f -a "watch" -d 'Watch many orgs over time: one cycle of passive signals per org (LoginHistory, grants, frozen user, permission sets, app policies, package, limits) with the watcher\'s own monitoring credentials, kept as history, with incidents and alerts'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and not __fish_seen_subcommand_from check sim fix demo completions man secrets watch setup-sheet help" -f -a "setup-sheet" -d 'Print what to create and tick in Salesforce Setup for an integration platform: callback, scopes, PKCE, secrets, permitted users and the permission sets to pre-authorize'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and not __fish_seen_subcommand_from check sim fix demo completions man secrets watch setup-sheet help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and __fish_seen_subcommand_from secrets" -f -a "status" -d 'Whether the OS keyring can be used here, and what the owner-only file holds (names only)'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and __fish_seen_subcommand_from secrets" -f -a "forget" -d 'Remove the kept consumer secret (and the user\'s refresh token) of one app from the OS keyring and the owner-only file'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and __fish_seen_subcommand_from watch" -f -a "add" -d 'Add an org to the watch list (or replace it), with the monitoring app\'s credentials'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and __fish_seen_subcommand_from watch" -f -a "list" -d 'List the orgs watched (the store\'s list and the config file\'s `[[watch.org]]`)'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and __fish_seen_subcommand_from watch" -f -a "remove" -d 'Remove an org from the watch list and forget its kept secret'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and __fish_seen_subcommand_from watch" -f -a "history" -d 'An org\'s timeline: its cycles, newest first, and its incidents'
complete -c sagediag -n "__fish_sagediag_using_subcommand help; and __fish_seen_subcommand_from watch" -f -a "report" -d 'Export the report of a past cycle (the document `check --json` prints, as far as a cycle fills it) to an owner-only file'
