//! Semi-joins and anti-joins: `WHERE Id IN (SELECT ProfileId FROM User …)` and `NOT IN`. The
//! inner query selects one field; its values become the outer `IN` list before rows are
//! filtered. Salesforce's rules kept: one field in the inner `SELECT`, no semi-join inside a
//! semi-join (SOQL and SOSL Reference, "Semi-Joins with IN and Anti-Joins with NOT IN");
//! anything else is `MALFORMED_QUERY` with the caret text.

use serde_json::Value;

use super::{
    Expr, Item, Lit, Op, Parser, SoqlError, Table, execute, find_table, get_path, malformed,
};

/// Parses the inner query after `field [NOT] IN (`, and the closing parenthesis.
pub(super) fn parse(
    p: &mut Parser<'_>,
    field: String,
    at: usize,
    negate: bool,
) -> Result<Expr, SoqlError> {
    let sub_at = p.toks.get(p.p).map_or(0, |(_, a)| *a);
    if p.in_semi {
        return Err(malformed(
            p.q,
            sub_at,
            "Nesting of semi join sub-selects is not supported",
        ));
    }
    p.in_semi = true;
    let sub = p.query(true);
    p.in_semi = false;
    let sub = sub?;
    let single = matches!(sub.items.as_slice(), [Item::Field(..)]);
    if !single {
        return Err(malformed(
            p.q,
            sub_at,
            "semi join sub-selects can only query a single field",
        ));
    }
    p.expect(")")?;
    Ok(Expr::Semi {
        field,
        at,
        negate,
        sub: Box::new(sub),
    })
}

/// Runs every semi-join's inner query and puts its values in place.
pub(super) fn resolve(
    q: &str,
    tables: &[Table],
    e: &mut Expr,
    api_path: &str,
) -> Result<(), SoqlError> {
    match e {
        Expr::And(v) | Expr::Or(v) => {
            for e in v {
                resolve(q, tables, e, api_path)?;
            }
            Ok(())
        }
        Expr::Not(e) => resolve(q, tables, e, api_path),
        Expr::Cmp { .. } => Ok(()),
        Expr::Semi {
            field,
            at,
            negate,
            sub,
        } => {
            let table = find_table(q, tables, sub)?;
            let Some(Item::Field(inner, _)) = sub.items.first() else {
                return Ok(());
            };
            let inner = table
                .fields
                .iter()
                .copied()
                .find(|c| c.eq_ignore_ascii_case(inner))
                .unwrap_or("Id");
            let res = execute(q, tables, table, sub, api_path, None)?;
            let values: Vec<Lit> = res["records"]
                .as_array()
                .map(|rows| {
                    rows.iter()
                        .filter_map(|r| match get_path(r, inner) {
                            Value::String(s) => Some(Lit::Str(s.clone())),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            *e = if values.is_empty() {
                // IN () matches nothing; NOT IN () everything.
                if *negate {
                    Expr::And(Vec::new())
                } else {
                    Expr::Or(Vec::new())
                }
            } else {
                Expr::Cmp {
                    field: std::mem::take(field),
                    at: *at,
                    op: if *negate { Op::NotIn } else { Op::In },
                    values,
                }
            };
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{Table, run};

    fn tables() -> Vec<Table> {
        vec![
            Table {
                name: "Profile",
                fields: &["Id", "Name"],
                rows: vec![
                    json!({"Id": "00e1", "Name": "Admin"}),
                    json!({"Id": "00e2", "Name": "Integration"}),
                    json!({"Id": "00e3", "Name": "Unused"}),
                ],
            },
            Table {
                name: "User",
                fields: &["Id", "ProfileId", "IsActive"],
                rows: vec![
                    json!({"Id": "0051", "ProfileId": "00e1", "IsActive": true}),
                    json!({"Id": "0052", "ProfileId": "00e2", "IsActive": false}),
                ],
            },
        ]
    }

    fn names(q: &str) -> Vec<String> {
        let v = run(q, &tables(), "/services/data/v67.0").unwrap();
        v["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["Name"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn semi_and_anti_joins_filter_on_the_inner_querys_values() {
        assert_eq!(
            names("SELECT Name FROM Profile WHERE Id IN (SELECT ProfileId FROM User)"),
            ["Admin", "Integration"]
        );
        assert_eq!(
            names(
                "SELECT Name FROM Profile WHERE Id IN (SELECT ProfileId FROM User WHERE IsActive = true)"
            ),
            ["Admin"]
        );
        assert_eq!(
            names("SELECT Name FROM Profile WHERE Id NOT IN (SELECT ProfileId FROM User)"),
            ["Unused"]
        );
        assert_eq!(
            names(
                "SELECT Name FROM Profile WHERE Name != 'Admin' AND Id IN (SELECT ProfileId FROM User WHERE IsActive = false)"
            ),
            ["Integration"]
        );
        // An inner query that finds nothing: IN matches nothing, NOT IN everything.
        let none = "SELECT ProfileId FROM User WHERE Id = 'x'";
        assert!(names(&format!("SELECT Name FROM Profile WHERE Id IN ({none})")).is_empty());
        assert_eq!(
            names(&format!(
                "SELECT Name FROM Profile WHERE Id NOT IN ({none})"
            ))
            .len(),
            3
        );
    }

    #[test]
    fn semi_joins_keep_salesforces_rules() {
        for q in [
            "SELECT Name FROM Profile WHERE Id IN (SELECT Id, ProfileId FROM User)",
            "SELECT Name FROM Profile WHERE Id IN (SELECT ProfileId FROM User WHERE Id IN (SELECT Id FROM User))",
            "SELECT Name FROM Profile WHERE Id IN (SELECT ProfileId FROM User",
        ] {
            let e = run(q, &tables(), "/services/data/v67.0").unwrap_err();
            assert_eq!(e.code, "MALFORMED_QUERY", "{q}");
        }
        let e = run(
            "SELECT Name FROM Profile WHERE Id IN (SELECT Nope FROM User)",
            &tables(),
            "/services/data/v67.0",
        )
        .unwrap_err();
        assert_eq!(e.code, "INVALID_FIELD");
    }
}

#[cfg(test)]
mod window_tests {
    use super::super::{ERROR_WINDOW_FROM, run};

    #[test]
    fn a_long_querys_error_shows_a_window_of_it() {
        let fields: Vec<String> = (0..40).map(|i| format!("Field{i}")).collect();
        // A missing comma in the middle of a long field list.
        let q = format!(
            "SELECT Id, {} {} FROM User",
            fields[..20].join(", "),
            fields[20..].join(", ")
        );
        assert!(q.chars().count() > ERROR_WINDOW_FROM);
        let e = run(&q, &[], "/services/data/v67.0").unwrap_err();
        let lines: Vec<&str> = e.message.split('\n').collect();
        // "", the window, the caret line, the position, the reason.
        assert!(lines[1].chars().count() <= 120, "{}", lines[1]);
        assert!(!lines[1].starts_with("SELECT"), "{}", lines[1]);
        assert!(q.contains(lines[1]));
        let caret = lines[2].chars().count() - 1;
        assert!(lines[2].ends_with('^'));
        assert!(lines[3].starts_with("ERROR at Row:1:Column:"));
        let column: usize = lines[3].rsplit(':').next().unwrap().parse().unwrap();
        // The caret points at the same character as the column, in the window.
        let at = column - 1;
        assert!(at > 100 && at < q.chars().count() - 100, "{at}");
        assert_eq!(
            lines[1].chars().nth(caret),
            q.chars().nth(at),
            "{}",
            e.message
        );
        // A short query is shown whole, as before.
        let e = run("SELECT FROM User", &[], "/services/data/v67.0").unwrap_err();
        assert!(
            e.message.starts_with("\nSELECT FROM User\n"),
            "{}",
            e.message
        );
    }
}
