//! A SOQL subset, enough for what an admin tool asks of an org: `SELECT fields FROM Object
//! [WHERE a = 'x' AND b IN ('y','z') …] [ORDER BY f [ASC|DESC]] [LIMIT n]`, with relationship
//! paths (`PermissionSet.Name`). Anything else is answered as Salesforce does, with
//! `MALFORMED_QUERY`, `INVALID_TYPE` or `INVALID_FIELD`.

use serde_json::{Map, Value, json};

/// The objects the org knows, with their rows (relationships nested as objects).
pub struct Table {
    pub name: &'static str,
    /// Every queryable path, canonical case.
    pub fields: &'static [&'static str],
    pub rows: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SoqlError {
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Str(String),
    Bool(bool),
    Num(f64),
    Null,
}

#[derive(Debug)]
struct Cond {
    field: String,
    negate: bool,
    values: Vec<Lit>,
}

#[derive(Debug)]
struct Query {
    fields: Vec<(String, usize)>,
    object: (String, usize),
    conds: Vec<(Cond, usize)>,
    order: Option<(String, bool, usize)>,
    limit: Option<usize>,
}

fn tokens(q: &str) -> Result<Vec<(String, usize)>, SoqlError> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '\'' {
            i += 1;
            let mut s = String::from("'");
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                }
                s.push(chars[i]);
                i += 1;
            }
            if i >= chars.len() {
                return Err(malformed(q, start, "unterminated string literal"));
            }
            i += 1;
            s.push('\'');
            out.push((s, start));
        } else if "(),".contains(c) {
            out.push((c.to_string(), start));
            i += 1;
        } else if c == '!' && chars.get(i + 1) == Some(&'=') {
            out.push(("!=".into(), start));
            i += 2;
        } else if c == '=' {
            out.push(("=".into(), start));
            i += 1;
        } else if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' {
            while i < chars.len() && (chars[i].is_alphanumeric() || "_.-".contains(chars[i])) {
                i += 1;
            }
            out.push((chars[start..i].iter().collect(), start));
        } else {
            return Err(malformed(q, start, &format!("unexpected token: '{c}'")));
        }
    }
    Ok(out)
}

/// Salesforce's query-error text: the query, a caret, the position, the reason.
fn positioned(q: &str, at: usize, reason: &str) -> String {
    format!(
        "\n{q}\n{}^\nERROR at Row:1:Column:{}\n{reason}",
        " ".repeat(at),
        at + 1
    )
}

fn malformed(q: &str, at: usize, reason: &str) -> SoqlError {
    SoqlError {
        code: "MALFORMED_QUERY",
        message: positioned(q, at, reason),
    }
}

fn parse(q: &str) -> Result<Query, SoqlError> {
    let toks = tokens(q)?;
    let mut p = 0;
    let kw = |p: usize, w: &str| toks.get(p).is_some_and(|(t, _)| t.eq_ignore_ascii_case(w));
    let end = q.chars().count();
    let unexpected = |p: usize| match toks.get(p) {
        Some((t, at)) => malformed(q, *at, &format!("unexpected token: '{t}'")),
        None => malformed(q, end, "unexpected end of query"),
    };
    if !kw(p, "SELECT") {
        return Err(unexpected(p));
    }
    p += 1;
    let mut fields = Vec::new();
    loop {
        match toks.get(p) {
            Some((t, at))
                if !t.eq_ignore_ascii_case("FROM") && t != "," && !t.starts_with('\'') =>
            {
                fields.push((t.clone(), *at));
                p += 1;
            }
            _ => return Err(unexpected(p)),
        }
        if toks.get(p).is_some_and(|(t, _)| t == ",") {
            p += 1;
        } else {
            break;
        }
    }
    if !kw(p, "FROM") {
        return Err(unexpected(p));
    }
    p += 1;
    let object = toks.get(p).cloned().ok_or_else(|| unexpected(p))?;
    p += 1;
    let mut conds = Vec::new();
    if kw(p, "WHERE") {
        p += 1;
        loop {
            let (field, at) = toks.get(p).cloned().ok_or_else(|| unexpected(p))?;
            p += 1;
            let (negate, is_in) = match toks.get(p).map(|(t, _)| t.to_ascii_uppercase()) {
                Some(t) if t == "=" => (false, false),
                Some(t) if t == "!=" => (true, false),
                Some(t) if t == "IN" => (false, true),
                Some(t) if t == "NOT" && kw(p + 1, "IN") => {
                    p += 1;
                    (true, true)
                }
                _ => return Err(unexpected(p)),
            };
            p += 1;
            let mut values = Vec::new();
            if is_in {
                if toks.get(p).is_none_or(|(t, _)| t != "(") {
                    return Err(unexpected(p));
                }
                p += 1;
                loop {
                    values.push(literal(toks.get(p)).ok_or_else(|| unexpected(p))?);
                    p += 1;
                    match toks.get(p).map(|(t, _)| t.as_str()) {
                        Some(",") => p += 1,
                        Some(")") => {
                            p += 1;
                            break;
                        }
                        _ => return Err(unexpected(p)),
                    }
                }
            } else {
                values.push(literal(toks.get(p)).ok_or_else(|| unexpected(p))?);
                p += 1;
            }
            conds.push((
                Cond {
                    field,
                    negate,
                    values,
                },
                at,
            ));
            if kw(p, "AND") {
                p += 1;
            } else {
                break;
            }
        }
    }
    let mut order = None;
    if kw(p, "ORDER") && kw(p + 1, "BY") {
        let (field, at) = toks.get(p + 2).cloned().ok_or_else(|| unexpected(p + 2))?;
        p += 3;
        let mut desc = false;
        if kw(p, "ASC") || kw(p, "DESC") {
            desc = kw(p, "DESC");
            p += 1;
        }
        order = Some((field, desc, at));
    }
    let mut limit = None;
    if kw(p, "LIMIT") {
        let n = toks
            .get(p + 1)
            .and_then(|(t, _)| t.parse().ok())
            .ok_or_else(|| unexpected(p + 1))?;
        limit = Some(n);
        p += 2;
    }
    if p < toks.len() {
        return Err(unexpected(p));
    }
    Ok(Query {
        fields,
        object,
        conds,
        order,
        limit,
    })
}

fn literal(tok: Option<&(String, usize)>) -> Option<Lit> {
    let (t, _) = tok?;
    if let Some(s) = t.strip_prefix('\'') {
        return Some(Lit::Str(s.strip_suffix('\'')?.to_string()));
    }
    match t.to_ascii_lowercase().as_str() {
        "true" => Some(Lit::Bool(true)),
        "false" => Some(Lit::Bool(false)),
        "null" => Some(Lit::Null),
        other => other.parse().ok().map(Lit::Num),
    }
}

fn get_path<'a>(row: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(row, |v, part| v.get(part).unwrap_or(&Value::Null))
}

fn lit_matches(v: &Value, lit: &Lit) -> bool {
    match (v, lit) {
        (Value::Null, Lit::Null) => true,
        // Salesforce compares ids 15/18 and text case-insensitively.
        (Value::String(s), Lit::Str(l)) => {
            // Never slice by byte offset: accented data makes a 15-byte cut fall inside a
            // character.
            s.eq_ignore_ascii_case(l)
                || s.to_lowercase() == l.to_lowercase()
                || (s.len() == 18
                    && l.len() == 15
                    && s.get(..15).is_some_and(|p| p.eq_ignore_ascii_case(l)))
        }
        (Value::Bool(b), Lit::Bool(l)) => b == l,
        (Value::Number(n), Lit::Num(l)) => n.as_f64() == Some(*l),
        _ => false,
    }
}

/// `?columns=true`: the query's column metadata, in the shape the Salesforce CLI reads
/// (`salesforcecli/plugin-data` `src/queryUtils.ts`: `columnMetadata[].columnName`,
/// `joinColumns`, `aggregate`, `displayName`), without running it.
pub fn columns(
    q: &str,
    tables: &[Table],
    key_prefix: impl Fn(&str) -> &'static str,
) -> Result<Value, SoqlError> {
    let query = parse(q)?;
    let table = find_table(q, tables, &query)?;
    let mut fields = Vec::new();
    for (f, at) in &query.fields {
        fields.push(canonical(q, table, f, *at)?);
    }
    fn column(name: &str, display: &str, joins: Vec<Value>) -> Value {
        json!({
            "aggregate": false, "apexType": if joins.is_empty() { json!(if name == "Id" { "Id" } else { "String" }) } else { Value::Null },
            "booleanType": false, "columnName": name, "custom": name.ends_with("__c"), "displayName": display,
            "foreignKeyName": null, "insertable": false, "joinColumns": joins, "numberType": false,
            "textType": joins.is_empty() && name != "Id", "updatable": false,
        })
    }
    fn build(paths: &[Vec<&str>], prefix: &str) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for p in paths {
            let Some(first) = p.first().copied() else {
                continue;
            };
            let display = if prefix.is_empty() {
                first.to_string()
            } else {
                format!("{prefix}.{first}")
            };
            if p.len() == 1 {
                out.push(column(first, &display, Vec::new()));
            } else if !seen.contains(&first) {
                seen.push(first);
                let children: Vec<Vec<&str>> = paths
                    .iter()
                    .filter(|o| o.len() > 1 && o.first() == Some(&first))
                    .map(|o| o.get(1..).unwrap_or_default().to_vec())
                    .collect();
                out.push(column(first, &display, build(&children, &display)));
            }
        }
        out
    }
    let paths: Vec<Vec<&str>> = fields.iter().map(|f| f.split('.').collect()).collect();
    Ok(json!({
        "columnMetadata": build(&paths, ""),
        "entityName": table.name,
        "groupBy": false,
        "idSelected": fields.contains(&"Id"),
        "keyPrefix": key_prefix(table.name),
    }))
}

fn find_table<'a>(q: &str, tables: &'a [Table], query: &Query) -> Result<&'a Table, SoqlError> {
    let (obj_name, obj_at) = &query.object;
    tables
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(obj_name))
        .ok_or_else(|| SoqlError {
            code: "INVALID_TYPE",
            message: positioned(
                q,
                *obj_at,
                &format!(
                    "sObject type '{obj_name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
                ),
            ),
        })
}

fn canonical(q: &str, table: &Table, f: &str, at: usize) -> Result<&'static str, SoqlError> {
    table.fields.iter().copied().find(|c| c.eq_ignore_ascii_case(f)).ok_or_else(|| SoqlError {
        code: "INVALID_FIELD",
        message: positioned(
            q,
            at,
            &format!("No such column '{f}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", table.name),
        ),
    })
}

/// Runs a query against the tables; `api_path` is `/services/data/vXX.X` (or `…/tooling`).
pub fn run(q: &str, tables: &[Table], api_path: &str) -> Result<Value, SoqlError> {
    let query = parse(q)?;
    let (obj_name, obj_at) = &query.object;
    let Some(table) = tables
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(obj_name))
    else {
        return Err(SoqlError {
            code: "INVALID_TYPE",
            message: positioned(
                q,
                *obj_at,
                &format!(
                    "sObject type '{obj_name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
                ),
            ),
        });
    };
    let canon = |f: &str, at: usize| -> Result<&'static str, SoqlError> {
        table.fields.iter().copied().find(|c| c.eq_ignore_ascii_case(f)).ok_or_else(|| SoqlError {
            code: "INVALID_FIELD",
            message: positioned(
                q,
                at,
                &format!("No such column '{f}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", table.name),
            ),
        })
    };
    let fields: Vec<&str> = query
        .fields
        .iter()
        .map(|(f, at)| canon(f, *at))
        .collect::<Result<_, _>>()?;
    let conds: Vec<(&str, &Cond)> = query
        .conds
        .iter()
        .map(|(c, at)| Ok((canon(&c.field, *at)?, c)))
        .collect::<Result<_, SoqlError>>()?;
    let order = match &query.order {
        Some((f, desc, at)) => Some((canon(f, *at)?, *desc)),
        None => None,
    };
    let mut rows: Vec<&Value> = table
        .rows
        .iter()
        .filter(|row| {
            conds.iter().all(|(path, c)| {
                let hit = c.values.iter().any(|l| lit_matches(get_path(row, path), l));
                hit != c.negate
            })
        })
        .collect();
    if let Some((path, desc)) = order {
        rows.sort_by(|a, b| {
            let (a, b) = (get_path(a, path), get_path(b, path));
            let o = a.to_string().cmp(&b.to_string());
            if desc { o.reverse() } else { o }
        });
    }
    if let Some(n) = query.limit {
        rows.truncate(n);
    }
    let records: Vec<Value> = rows
        .iter()
        .map(|row| project(row, table.name, &fields, api_path))
        .collect();
    Ok(json!({"totalSize": records.len(), "done": true, "records": records}))
}

/// The selected paths of a row, relationships nested, each object with its `attributes`.
fn project(row: &Value, object: &str, fields: &[&str], api_path: &str) -> Value {
    let mut out = Map::new();
    out.insert("attributes".into(), attributes(row, object, api_path));
    for path in fields {
        let mut parts: Vec<&str> = path.split('.').collect();
        let leaf = parts.pop().expect("non-empty path");
        let mut target = &mut out;
        let mut src = row;
        let mut null_parent = false;
        for part in parts {
            src = src.get(part).unwrap_or(&Value::Null);
            if src.is_null() {
                target.insert(part.to_string(), Value::Null);
                null_parent = true;
                break;
            }
            let kind = src
                .get("__type")
                .and_then(Value::as_str)
                .unwrap_or(part)
                .to_string();
            let entry = target.entry(part.to_string()).or_insert_with(|| {
                let mut m = Map::new();
                m.insert("attributes".into(), attributes(src, &kind, api_path));
                Value::Object(m)
            });
            target = entry.as_object_mut().expect("relationship is an object");
        }
        if !null_parent {
            target.insert(
                leaf.to_string(),
                src.get(leaf).cloned().unwrap_or(Value::Null),
            );
        }
    }
    Value::Object(out)
}

fn attributes(row: &Value, object: &str, api_path: &str) -> Value {
    let id = row.get("Id").and_then(Value::as_str).unwrap_or_default();
    json!({"type": object, "url": format!("{api_path}/sobjects/{object}/{id}")})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Vec<Table> {
        vec![Table {
            name: "PermissionSetAssignment",
            fields: &[
                "Id",
                "AssigneeId",
                "PermissionSet.Name",
                "PermissionSet.Label",
            ],
            rows: vec![
                json!({"Id": "0Pa1", "AssigneeId": "005AAAAAAAAAAAAAAA", "PermissionSet": {"__type": "PermissionSet", "Id": "0PS1", "Name": "A", "Label": "Alpha"}}),
                json!({"Id": "0Pa2", "AssigneeId": "005BBBBBBBBBBBBBBB", "PermissionSet": {"__type": "PermissionSet", "Id": "0PS2", "Name": "B", "Label": "Beta"}}),
            ],
        }]
    }

    #[test]
    fn selects_filters_and_nests_relationships() {
        let r = run(
            "SELECT PermissionSet.Name, permissionset.label FROM PermissionSetAssignment WHERE AssigneeId = '005AAAAAAAAAAAA'",
            &tables(),
            "/services/data/v67.0",
        )
        .unwrap();
        assert_eq!(r["totalSize"], 1);
        assert_eq!(r["records"][0]["PermissionSet"]["Label"], "Alpha");
        assert_eq!(
            r["records"][0]["PermissionSet"]["attributes"]["type"],
            "PermissionSet"
        );
        assert!(r["records"][0]["PermissionSet"].get("__type").is_none());
    }

    #[test]
    fn errors_are_salesforce_shaped() {
        let t = tables();
        let e = run("SELECT Id FROM Nope", &t, "/x").unwrap_err();
        assert_eq!(e.code, "INVALID_TYPE");
        assert!(
            e.message
                .contains("ERROR at Row:1:Column:16\nsObject type 'Nope' is not supported.")
        );
        let e = run("SELECT Foo FROM PermissionSetAssignment", &t, "/x").unwrap_err();
        assert_eq!(e.code, "INVALID_FIELD");
        assert!(
            e.message
                .contains("No such column 'Foo' on entity 'PermissionSetAssignment'")
        );
        assert_eq!(
            run("SELECT FROM x", &t, "/x").unwrap_err().code,
            "MALFORMED_QUERY"
        );
        assert_eq!(
            run("SELECT Id FROM PermissionSetAssignment WHERE", &t, "/x")
                .unwrap_err()
                .code,
            "MALFORMED_QUERY"
        );
    }
}
