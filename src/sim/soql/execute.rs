//! Running a query over the tables: filter, order, window, aggregate, project.

use std::cmp::Ordering;

use serde_json::{Map, json};

use super::*;

/// Runs `query` on `table`; for a subquery, `parent` keeps only the children of that row.
pub(super) fn execute(
    q: &str,
    tables: &[Table],
    table: &Table,
    query: &Query,
    api_path: &str,
    parent: Option<(&str, &str)>,
) -> Result<Value, SoqlError> {
    let canon = |f: &str, at: usize| canonical(q, table, f, at);
    let mut plain: Vec<&'static str> = Vec::new();
    let mut aggs: Vec<(String, &'static str, String)> = Vec::new();
    let mut subs: Vec<(&Query, &str, &Table, &str)> = Vec::new();
    let mut count_all = None;
    for item in &query.items {
        match item {
            Item::Field(f, at) => plain.push(canon(f, *at)?),
            Item::CountAll(at) => count_all = Some(*at),
            Item::Agg {
                func,
                field,
                at,
                alias,
            } => {
                let name = alias
                    .clone()
                    .unwrap_or_else(|| format!("expr{}", aggs.len()));
                aggs.push((func.clone(), canon(field, *at)?, name));
            }
            Item::Sub(sub) => {
                let (rel, at) = &sub.object;
                let Some((_, rel_name, child, fk)) = CHILD_RELATIONSHIPS
                    .iter()
                    .find(|(p, r, _, _)| *p == table.name && r.eq_ignore_ascii_case(rel))
                else {
                    return Err(SoqlError {
                        code: "INVALID_TYPE",
                        message: positioned(
                            q,
                            *at,
                            &format!(
                                "Didn't understand relationship '{rel}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
                            ),
                        ),
                    });
                };
                let child_table = tables.iter().find(|t| t.name == *child);
                match child_table {
                    Some(t) => subs.push((sub, rel_name, t, fk)),
                    // The child object is not visible to the caller: no rows.
                    None => subs.push((sub, rel_name, table, "")),
                }
            }
        }
    }
    if count_all.is_some() && (!plain.is_empty() || !aggs.is_empty() || !subs.is_empty()) {
        let at = count_all.unwrap_or(0);
        return Err(malformed(
            q,
            at,
            "COUNT() must be the only element in the SELECT list.",
        ));
    }
    let mut used = Vec::new();
    if let Some(c) = &query.cond {
        cond_fields(c, &mut used);
    }
    let mut canon_map: Vec<(String, &'static str)> = Vec::new();
    for (f, at) in used {
        canon_map.push((f.to_string(), canon(f, at)?));
    }
    let lookup = |f: &str| -> &'static str {
        canon_map
            .iter()
            .find(|(k, _)| k == f)
            .map(|(_, v)| *v)
            .unwrap_or("")
    };
    let group: Vec<&'static str> = query
        .group
        .iter()
        .map(|(f, at)| canon(f, *at))
        .collect::<Result<_, _>>()?;
    let order: Vec<(&'static str, bool, bool)> = query
        .order
        .iter()
        .map(|o| Ok((canon(&o.field, o.at)?, o.desc, o.nulls_last)))
        .collect::<Result<_, SoqlError>>()?;
    let mut rows: Vec<&Value> = table
        .rows
        .iter()
        .filter(|row| match parent {
            Some((fk, id)) if !fk.is_empty() => row
                .get(fk)
                .and_then(Value::as_str)
                .is_some_and(|v| v.eq_ignore_ascii_case(id)),
            Some(_) => false,
            None => true,
        })
        .filter(|row| query.cond.as_ref().is_none_or(|c| eval(c, row, &lookup)))
        .collect();
    if count_all.is_some() {
        return Ok(json!({"totalSize": rows.len(), "done": true, "records": []}));
    }
    let aggregate = !aggs.is_empty() || !group.is_empty();
    if aggregate {
        if let Some((f, at)) = query.items.iter().find_map(|i| match i {
            Item::Field(f, at) => Some((f, at)),
            _ => None,
        }) {
            let c = canon(f, *at)?;
            if !group.contains(&c) {
                return Err(malformed(
                    q,
                    *at,
                    &format!("Field must be grouped or aggregated: {c}"),
                ));
            }
        }
        let mut groups: Vec<(Vec<Value>, Vec<&Value>)> = Vec::new();
        for row in rows {
            let key: Vec<Value> = group.iter().map(|g| get_path(row, g).clone()).collect();
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(row),
                None => groups.push((key, vec![row])),
            }
        }
        if group.is_empty() && groups.is_empty() {
            groups.push((Vec::new(), Vec::new()));
        }
        let mut records: Vec<Value> = groups
            .iter()
            .map(|(key, members)| {
                let mut rec = Map::new();
                rec.insert("attributes".into(), json!({"type": "AggregateResult"}));
                for (g, v) in group.iter().zip(key) {
                    let leaf = g.rsplit('.').next().unwrap_or(g);
                    rec.insert(leaf.to_string(), v.clone());
                }
                for (func, field, name) in &aggs {
                    rec.insert(name.clone(), aggregate_value(func, field, members));
                }
                Value::Object(rec)
            })
            .collect();
        for (field, desc, nulls_last) in order.iter().rev() {
            let leaf = field.rsplit('.').next().unwrap_or(field);
            records.sort_by(|a, b| ordered(&a[leaf], &b[leaf], *desc, *nulls_last));
        }
        let records = window(records, query);
        return Ok(json!({"totalSize": records.len(), "done": true, "records": records}));
    }
    for (field, desc, nulls_last) in order.iter().rev() {
        rows.sort_by(|a, b| ordered(get_path(a, field), get_path(b, field), *desc, *nulls_last));
    }
    let rows = window(rows, query);
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        let mut rec = project(row, table.name, &plain, api_path);
        for (sub, rel_name, child, fk) in &subs {
            let id = row.get("Id").and_then(Value::as_str).unwrap_or_default();
            let res = execute(q, tables, child, sub, api_path, Some((fk, id)))?;
            let value = if res["totalSize"] == 0 {
                Value::Null
            } else {
                res
            };
            if let Some(m) = rec.as_object_mut() {
                m.insert((*rel_name).to_string(), value);
            }
        }
        records.push(rec);
    }
    Ok(json!({"totalSize": records.len(), "done": true, "records": records}))
}

pub(super) fn window<T>(rows: Vec<T>, query: &Query) -> Vec<T> {
    let skip = query.offset.unwrap_or(0);
    let take = query.limit.unwrap_or(usize::MAX);
    rows.into_iter().skip(skip).take(take).collect()
}

pub(super) fn aggregate_value(func: &str, field: &str, members: &[&Value]) -> Value {
    let values: Vec<&Value> = members
        .iter()
        .map(|r| get_path(r, field))
        .filter(|v| !v.is_null())
        .collect();
    match func {
        "COUNT" => json!(values.len()),
        "COUNT_DISTINCT" => {
            let mut seen: Vec<String> = values
                .iter()
                .map(|v| v.to_string().to_lowercase())
                .collect();
            seen.sort();
            seen.dedup();
            json!(seen.len())
        }
        "MIN" | "MAX" => {
            let pick = values.iter().copied().reduce(|a, b| {
                let o = value_order(a, b, true);
                if (func == "MIN") == (o == Ordering::Greater) {
                    b
                } else {
                    a
                }
            });
            pick.cloned().unwrap_or(Value::Null)
        }
        _ => {
            let nums: Vec<f64> = values.iter().filter_map(|v| v.as_f64()).collect();
            if nums.is_empty() {
                return Value::Null;
            }
            let sum: f64 = nums.iter().sum();
            if func == "SUM" {
                json!(sum)
            } else {
                json!(sum / nums.len() as f64)
            }
        }
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
    let query = parse(q, today_days())?;
    let table = find_table(q, tables, &query)?;
    let mut fields = Vec::new();
    for item in &query.items {
        if let Item::Field(f, at) = item {
            fields.push(canonical(q, table, f, *at)?);
        }
    }
    pub(super) fn column(name: &str, display: &str, joins: Vec<Value>) -> Value {
        json!({
            "aggregate": false, "apexType": if joins.is_empty() { json!(if name == "Id" { "Id" } else { "String" }) } else { Value::Null },
            "booleanType": false, "columnName": name, "custom": name.ends_with("__c"), "displayName": display,
            "foreignKeyName": null, "insertable": false, "joinColumns": joins, "numberType": false,
            "textType": joins.is_empty() && name != "Id", "updatable": false,
        })
    }
    pub(super) fn build(paths: &[Vec<&str>], prefix: &str) -> Vec<Value> {
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

pub(super) fn find_table<'a>(
    q: &str,
    tables: &'a [Table],
    query: &Query,
) -> Result<&'a Table, SoqlError> {
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

pub(super) fn canonical(
    q: &str,
    table: &Table,
    f: &str,
    at: usize,
) -> Result<&'static str, SoqlError> {
    table.fields.iter().copied().find(|c| c.eq_ignore_ascii_case(f)).ok_or_else(|| SoqlError {
        code: "INVALID_FIELD",
        message: positioned(
            q,
            at,
            &format!("No such column '{f}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", table.name),
        ),
    })
}

/// The selected paths of a row, relationships nested, each object with its `attributes`.
pub(super) fn project(row: &Value, object: &str, fields: &[&str], api_path: &str) -> Value {
    let mut out = Map::new();
    out.insert("attributes".into(), attributes(row, object, api_path));
    for path in fields {
        let mut parts: Vec<&str> = path.split('.').collect();
        let Some(leaf) = parts.pop() else {
            continue;
        };
        insert_path(&mut out, row, &parts, leaf, api_path);
    }
    Value::Object(out)
}

pub(super) fn insert_path(
    target: &mut Map<String, Value>,
    src: &Value,
    parts: &[&str],
    leaf: &str,
    api_path: &str,
) {
    match parts.split_first() {
        None => {
            target.insert(
                leaf.to_string(),
                src.get(leaf).cloned().unwrap_or(Value::Null),
            );
        }
        Some((part, rest)) => {
            let next = src.get(*part).unwrap_or(&Value::Null);
            if next.is_null() {
                target.insert((*part).to_string(), Value::Null);
                return;
            }
            let kind = next
                .get("__type")
                .and_then(Value::as_str)
                .unwrap_or(part)
                .to_string();
            let entry = target.entry((*part).to_string()).or_insert_with(|| {
                let mut m = Map::new();
                m.insert("attributes".into(), attributes(next, &kind, api_path));
                Value::Object(m)
            });
            if let Value::Object(m) = entry {
                insert_path(m, next, rest, leaf, api_path);
            }
        }
    }
}

pub(super) fn attributes(row: &Value, object: &str, api_path: &str) -> Value {
    let id = row.get("Id").and_then(Value::as_str).unwrap_or_default();
    json!({"type": object, "url": format!("{api_path}/sobjects/{object}/{id}")})
}
