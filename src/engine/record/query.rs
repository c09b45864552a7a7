//! SOQL through `/services/data/vXX.X/query`, following `nextRecordsUrl` (bounded), on any
//! session (the API user's or an admin's).

use serde_json::Value;

use crate::engine::classify;
use crate::engine::http::{Client, Request};
use crate::engine::model::API_VERSION;

/// Pages followed at most (2,000 rows a page: LoginHistory of a busy week fits).
const MAX_PAGES: usize = 10;

/// A session to query with.
pub struct Reader<'a> {
    pub client: &'a Client,
    pub instance_url: &'a str,
    pub access_token: &'a str,
}

/// The rows of a query and the requests that fetched them.
pub struct Rows {
    pub records: Vec<Value>,
    pub request_ids: Vec<u64>,
    /// More pages were left unread (past [`MAX_PAGES`]).
    pub truncated: bool,
}

/// Why a query gave no rows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Salesforce refused it: its error code (INVALID_TYPE, INSUFFICIENT_ACCESS, …).
    #[error("refused ({code})")]
    Refused { code: String, request_id: u64 },
    #[error("failed ({0})")]
    Failed(String),
}

impl Reader<'_> {
    pub async fn query_all(&self, soql: &str) -> Result<Rows, ReadError> {
        let enc: String = url::form_urlencoded::byte_serialize(soql.as_bytes()).collect();
        let mut url = format!(
            "{}/services/data/{API_VERSION}/query?q={enc}",
            self.instance_url
        );
        let mut rows = Rows {
            records: Vec::new(),
            request_ids: Vec::new(),
            truncated: false,
        };
        for page in 0..MAX_PAGES {
            let (id, result) = self
                .client
                .send(Request::get(url.clone()).bearer(self.access_token))
                .await;
            rows.request_ids.push(id);
            let resp = result.map_err(|f| ReadError::Failed(f.to_string()))?;
            let body = resp.json();
            if resp.status != 200 {
                let code = body
                    .as_ref()
                    .and_then(classify::api_error_code)
                    .unwrap_or_else(|| format!("HTTP {}", resp.status));
                return Err(ReadError::Refused {
                    code,
                    request_id: id,
                });
            }
            let body = body.ok_or_else(|| ReadError::Failed("the answer is not JSON".into()))?;
            let Some(records) = body["records"].as_array() else {
                return Err(ReadError::Failed("the answer has no records".into()));
            };
            rows.records.extend(records.iter().cloned());
            // The next page must be a path of this instance's query endpoint.
            match body["nextRecordsUrl"].as_str() {
                Some(next) if body["done"] == false && next.starts_with("/services/data/") => {
                    if page + 1 == MAX_PAGES {
                        rows.truncated = true;
                    }
                    url = format!("{}{next}", self.instance_url);
                }
                _ => break,
            }
        }
        Ok(rows)
    }
}
