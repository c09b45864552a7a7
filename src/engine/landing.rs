//! What the web login's authorize step lands on when it is not the callback (Salesforce's
//! authorization error page, a legacy host's redirect), and the refresh refusal that follows
//! a rotated-out token's reuse: read as the login's answer, so that the run ends at once.

use super::classify;
use super::context::Run;
use super::findings::Code;
use super::http::{Request, Response};
use super::model::Flow;

/// Whether a token answer is the refusal of an expired (or revoked) refresh token.
pub fn refused_as_expired(resp: &Response) -> bool {
    classify::oauth_pair(resp).is_some_and(|(e, d)| {
        classify::oauth_error(&e, &d, Flow::Refresh, vec![])
            .first()
            .is_some_and(|f| f.code == Code::REFRESH_TOKEN_EXPIRED)
    })
}

/// Whether a redirect of the authorize request sends it to the same path on another host
/// (a legacy login host after enhanced domains), not to a login or consent page.
pub fn moved_authorize(authorize_url: &str, location: &str) -> bool {
    let (Ok(from), Ok(to)) = (url::Url::parse(authorize_url), url::Url::parse(location)) else {
        return false;
    };
    from.host_str() != to.host_str() && from.path() == to.path()
}

/// Raises the findings of the page the authorize step landed on (`location`, relative or
/// absolute). A page on the login host whose URL names no error is read (a GET with no token
/// or secret) for the error its text states.
pub async fn landed(run: &mut Run, authorize_url: &str, location: &str, id: u64) {
    let url = url::Url::parse(authorize_url)
        .and_then(|base| base.join(location))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| location.to_string());
    // Where, without the query (which may be long): the page's path.
    let shown = url.split('?').next().unwrap_or(&url).to_string();
    let mut text = url.clone();
    let mut ids = vec![id];
    let same_host = url::Url::parse(&url)
        .ok()
        .zip(url::Url::parse(authorize_url).ok())
        .is_some_and(|(a, b)| a.host_str() == b.host_str() && a.port() == b.port());
    if classify::page_pair(&url).is_none()
        && same_host
        && let Some((pid, page)) = run.send_or_raise(Request::get(&url)).await
    {
        ids.push(pid);
        text = format!("{url}\n{}", page.text());
    }
    run.raise_all(classify::authorize_landing(&shown, &text, Flow::Web, ids));
}
