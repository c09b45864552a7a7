//! The exchange as a curl command that runs as it is. The log holds no secret (the client
//! redacts them as it captures), so neither does the command: where the request carried one,
//! the command reads it from a shell variable the user sets first (`SF_ACCESS_TOKEN` for the
//! bearer token, `SF_CLIENT_SECRET` for a form's `client_secret`, …), and a comment above the
//! command says which to export. Every other byte is single-quoted, so quotes, `$` and newlines
//! in a body reach curl as they are.

use std::fmt::Write;

use crate::engine::http::{Exchange, REDACTED};

/// The variable the bearer token is read from.
pub const TOKEN_VAR: &str = "SF_ACCESS_TOKEN";

/// How a redacted value shows in a URL's query (the marker, URL-encoded).
const REDACTED_IN_URL: &str = "%5BREDACTED%5D";

/// Headers curl sets itself (a copied length would be wrong once a variable is expanded).
const SKIPPED: &[&str] = &["content-length", "host", "connection", "accept-encoding"];

/// The exchange as a curl command, its secrets read from variables (see the module's doc).
pub fn curl(e: &Exchange) -> String {
    let mut vars: Vec<String> = Vec::new();
    let mut args: Vec<String> = Vec::new();
    let body = e.request_body.as_deref().filter(|b| !b.is_empty());
    if e.method != "GET" || body.is_some() {
        args.push(format!("-X {}", word(&e.method, &mut vars)));
    }
    args.push(word(&e.url, &mut vars));
    let mut form = false;
    for (k, v) in &e.request_headers {
        let lower = k.to_ascii_lowercase();
        if SKIPPED.contains(&lower.as_str()) || (lower == "cookie" && v.contains(REDACTED)) {
            continue;
        }
        form |= lower == "content-type" && v.starts_with("application/x-www-form-urlencoded");
        args.push(format!("-H {}", word(&format!("{k}: {v}"), &mut vars)));
    }
    if let Some(b) = body {
        if form && !b.contains(['\n', '\r']) {
            // One argument a field: a secret one is URL-encoded by curl from its variable.
            for pair in b.split('&') {
                match pair.split_once('=') {
                    Some((k, v)) if is_marker(v) && is_name(k) => {
                        let var = var_for(k, &mut vars);
                        args.push(format!("--data-urlencode \"{k}=${var}\""));
                    }
                    _ => args.push(format!("--data-raw {}", word(pair, &mut vars))),
                }
            }
        } else {
            args.push(format!("--data-raw {}", word(b, &mut vars)));
        }
    }
    let mut out = String::new();
    if !vars.is_empty() {
        let _ = writeln!(
            out,
            "# sagediag request #{}: the log keeps no secret, so set these first:",
            e.id
        );
        for v in &vars {
            let _ = writeln!(out, "#   export {v}='…'   ({})", what(v));
        }
    }
    out.push_str("curl ");
    out.push_str(&args.join(" \\\n  "));
    out
}

/// The variables a command from [`curl()`] reads (named in its comment), in order.
pub fn variables(curl: &str) -> Vec<&str> {
    curl.lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("#   export "))
        .filter_map(|l| l.split_once('=').map(|(v, _)| v))
        .collect()
}

fn is_marker(v: &str) -> bool {
    v == REDACTED || v == REDACTED_IN_URL
}

/// A name that needs no quoting in a double-quoted word.
fn is_name(k: &str) -> bool {
    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What a variable stands for, for the comment.
fn what(var: &str) -> &'static str {
    match var {
        TOKEN_VAR => "the session's access token",
        "SF_CLIENT_SECRET" => "the connected app's consumer secret",
        "SF_REFRESH_TOKEN" => "a refresh token",
        "SF_CODE" => "the authorization code",
        "SF_CODE_VERIFIER" => "the PKCE code verifier",
        "SF_PASSWORD" => "the user's password (and security token)",
        "SF_ASSERTION" | "SF_CLIENT_ASSERTION" => "the signed JWT",
        _ => "the value the log redacted",
    }
}

/// The variable for a secret named `key` (recorded once in `vars`).
fn var_for(key: &str, vars: &mut Vec<String>) -> String {
    let key = key.to_ascii_lowercase();
    let var = match key.as_str() {
        "access_token" | "token" | "bearer" | "sid" => TOKEN_VAR.to_string(),
        "" => "SF_SECRET".to_string(),
        k => format!(
            "SF_{}",
            k.chars()
                .map(|c| match c {
                    'a'..='z' => c.to_ascii_uppercase(),
                    '0'..='9' => c,
                    _ => '_',
                })
                .collect::<String>()
        ),
    };
    if !vars.contains(&var) {
        vars.push(var.clone());
    }
    var
}

/// The name a redacted value belongs to, from the text before it: `name=`, `"name": "`, or
/// `Bearer ` (the token); empty when none shows.
fn key_before(before: &str) -> &str {
    let t = before.trim_end_matches(['"', ' ']);
    if before.ends_with("Bearer ") {
        return "bearer";
    }
    let t = match t.strip_suffix('=') {
        Some(t) => t,
        None => match t.strip_suffix(':') {
            Some(t) => t.trim_end().trim_end_matches('"'),
            None => return "",
        },
    };
    let start = t
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
        .last()
        .map_or(t.len(), |(i, _)| i);
    t.get(start..).unwrap_or_default()
}

/// One shell word of `s`, each redacted value in it replaced by its variable: double-quoted
/// when the rest needs no escape there, else single-quoted pieces with `"$VAR"` between them.
fn word(s: &str, vars: &mut Vec<String>) -> String {
    // The text split at the markers, and the variable after each piece.
    let mut pieces: Vec<(&str, Option<String>)> = Vec::new();
    let mut rest = s;
    loop {
        let next = [REDACTED, REDACTED_IN_URL]
            .iter()
            .filter_map(|m| rest.find(m).map(|at| (at, m.len())))
            .min();
        let Some((at, len)) = next else {
            pieces.push((rest, None));
            break;
        };
        let (before, after) = (
            rest.get(..at).unwrap_or_default(),
            rest.get(at + len..).unwrap_or_default(),
        );
        let key = key_before(s.get(..s.len() - rest.len() + at).unwrap_or_default());
        pieces.push((before, Some(var_for(key, vars))));
        rest = after;
    }
    let single = |p: &str| format!("'{}'", p.replace('\'', "'\\''"));
    if pieces.len() == 1 {
        return single(s);
    }
    let dq_safe = pieces
        .iter()
        .all(|(p, _)| !p.contains(['"', '$', '`', '\\', '!', '\n', '\r']));
    let mut out = String::new();
    if dq_safe {
        out.push('"');
        let mut iter = pieces.iter().peekable();
        while let Some((p, var)) = iter.next() {
            out.push_str(p);
            if let Some(v) = var {
                let joins = iter.peek().and_then(|(n, _)| n.chars().next());
                if joins.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                    let _ = write!(out, "${{{v}}}");
                } else {
                    let _ = write!(out, "${v}");
                }
            }
        }
        out.push('"');
    } else {
        for (p, var) in &pieces {
            if !p.is_empty() {
                out.push_str(&single(p));
            }
            if let Some(v) = var {
                let _ = write!(out, "\"${v}\"");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Exchange {
        Exchange {
            id: 9,
            method: method.into(),
            url: url.into(),
            request_headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            request_body: body.map(Into::into),
            ..Exchange::default()
        }
    }

    /// Runs `text` in `sh` with `curl` a function printing its arguments one a line (NUL
    /// between them), the variables set; returns the arguments. None without `sh`.
    fn run(text: &str, env: &[(&str, &str)]) -> Option<Vec<String>> {
        let script =
            format!("curl() {{ for a in \"$@\"; do printf '%s\\0' \"$a\"; done; }}\n{text}\n");
        let mut cmd = std::process::Command::new("sh");
        cmd.arg("-c").arg(script).env_clear();
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().ok()?;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let s = String::from_utf8(out.stdout).ok()?;
        Some(s.split_terminator('\0').map(str::to_string).collect())
    }

    #[test]
    fn the_token_comes_from_a_variable_and_the_command_runs_as_it_is() {
        let e = exchange(
            "GET",
            "https://acme.my.salesforce.com/services/apexrest/spapi/v4/employees?limit=5&q=it's",
            &[
                ("Authorization", "Bearer [REDACTED]"),
                ("Accept", "application/json"),
            ],
            None,
        );
        let c = curl(&e);
        assert!(!c.contains(REDACTED), "{c}");
        assert!(
            c.contains("-H \"Authorization: Bearer $SF_ACCESS_TOKEN\""),
            "{c}"
        );
        assert!(c.starts_with("# sagediag request #9"), "{c}");
        assert!(c.contains("#   export SF_ACCESS_TOKEN='…'"), "{c}");
        let Some(args) = run(&c, &[("SF_ACCESS_TOKEN", "00Dxx!tok$en")]) else {
            return;
        };
        assert_eq!(
            args,
            [
                "https://acme.my.salesforce.com/services/apexrest/spapi/v4/employees?limit=5&q=it's",
                "-H",
                "Authorization: Bearer 00Dxx!tok$en",
                "-H",
                "Accept: application/json",
            ]
        );
    }

    #[test]
    fn bodies_with_quotes_and_secret_fields_are_quoted_as_they_are() {
        let json = r#"{"Name":"Zoë \"Z\" O'Brien $HOME `x` \\ !","refresh_token":"[REDACTED]"}"#;
        let e = exchange(
            "POST",
            "http://127.0.0.1:40000/services/data/v60.0/sobjects/Account",
            &[
                ("Content-Type", "application/json"),
                ("Content-Length", "99"),
            ],
            Some(json),
        );
        let c = curl(&e);
        assert!(
            !c.contains(REDACTED) && !c.contains("Content-Length"),
            "{c}"
        );
        assert!(c.contains("export SF_REFRESH_TOKEN="), "{c}");
        if let Some(args) = run(&c, &[("SF_REFRESH_TOKEN", "5Aep\"r'ef")]) {
            assert_eq!(
                args,
                [
                    "-X",
                    "POST",
                    "http://127.0.0.1:40000/services/data/v60.0/sobjects/Account",
                    "-H",
                    "Content-Type: application/json",
                    "--data-raw",
                    &json.replace(REDACTED, "5Aep\"r'ef"),
                ]
            );
        }
        // A form: each secret field URL-encoded by curl from its variable.
        let e = exchange(
            "POST",
            "https://login.salesforce.com/services/oauth2/token",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(
                "grant_type=authorization_code&client_id=3MVG9&client_secret=[REDACTED]&code=[REDACTED]&redirect_uri=http%3A%2F%2Flocalhost%3A1717%2FOauthRedirect",
            ),
        );
        let c = curl(&e);
        assert!(!c.contains(REDACTED), "{c}");
        for v in ["SF_CLIENT_SECRET", "SF_CODE"] {
            assert!(c.contains(&format!("#   export {v}='…'")), "{c}");
        }
        assert_eq!(variables(&c), ["SF_CLIENT_SECRET", "SF_CODE"]);
        if let Some(args) = run(&c, &[("SF_CLIENT_SECRET", "s e&c"), ("SF_CODE", "aPrx==")]) {
            assert_eq!(
                args[args.len() - 10..],
                [
                    "--data-raw",
                    "grant_type=authorization_code",
                    "--data-raw",
                    "client_id=3MVG9",
                    "--data-urlencode",
                    "client_secret=s e&c",
                    "--data-urlencode",
                    "code=aPrx==",
                    "--data-raw",
                    "redirect_uri=http%3A%2F%2Flocalhost%3A1717%2FOauthRedirect",
                ]
            );
        }
        // A secret in a URL's query.
        let e = exchange(
            "GET",
            "http://localhost:1717/OauthRedirect?code=%5BREDACTED%5D&state=s'1",
            &[],
            None,
        );
        let c = curl(&e);
        if let Some(args) = run(&c, &[("SF_CODE", "aPrx")]) {
            assert_eq!(
                args,
                ["http://localhost:1717/OauthRedirect?code=aPrx&state=s'1"]
            );
        }
    }

    #[test]
    fn a_marker_names_its_variable_from_what_is_before_it() {
        assert_eq!(key_before("Authorization: Bearer "), "bearer");
        assert_eq!(key_before("a=1&client_secret="), "client_secret");
        assert_eq!(key_before(r#"{"x":1,"refresh_token": ""#), "refresh_token");
        assert_eq!(key_before("free text "), "");
        let mut vars = Vec::new();
        assert_eq!(word("x [REDACTED]y", &mut vars), "\"x ${SF_SECRET}y\"");
        assert_eq!(vars, ["SF_SECRET"]);
    }
}
