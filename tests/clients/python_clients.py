"""simple-salesforce and requests-oauthlib against `sagediag sim --tls`.

One line per call: client|call|PASS|FAIL|detail. REQUESTS_CA_BUNDLE names the simulator's CA;
SIM_JSON holds its ready line; DEMO_KEY the public demo JWT key.
"""
import json
import os
import time
import traceback
from urllib.parse import urlsplit, parse_qs

import requests
import requests.adapters

SIM = json.load(open(os.environ["SIM_JSON"]))
LOGIN, INSTANCE = SIM["login_url"], SIM["instance_url"]
PORT = urlsplit(LOGIN).port


def check(client, call, fn):
    try:
        detail = fn()
        print(f"{client}|{call}|PASS|{detail or ''}", flush=True)
    except Exception as e:  # noqa: BLE001 - a table row, whatever failed
        msg = " ".join(str(e).split())[:160]
        print(f"{client}|{call}|FAIL|{type(e).__name__}: {msg}", flush=True)
        if os.environ.get("CLIENTS_VERBOSE"):
            traceback.print_exc()


class SalesforceHostToSimulator(requests.adapters.HTTPAdapter):
    """Sends requests for *.salesforce.com hosts to the simulator (simple-salesforce only)."""

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        if parts.hostname and parts.hostname.endswith(".salesforce.com"):
            request.url = parts._replace(netloc=f"127.0.0.1:{PORT}").geturl()
        return super().send(request, **kwargs)


def salesforce_session():
    session = requests.Session()
    session.mount("https://", SalesforceHostToSimulator())
    return session


def simple_salesforce_calls():
    import simple_salesforce
    from simple_salesforce import Salesforce, SalesforceLogin
    from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceAuthenticationFailed

    from importlib.metadata import version
    name = f"simple-salesforce {version('simple-salesforce')}"
    # simple-salesforce builds https://{domain}.salesforce.com/... for its logins and has no host
    # setting. The one documented exception to "no rewriting": a session adapter that sends
    # requests for *.salesforce.com to the simulator. Nothing else is changed; TLS is verified
    # against the simulator's CA (REQUESTS_CA_BUNDLE).
    soap_domain = "login"
    session = salesforce_session()
    state = {}

    def soap_login():
        session_id, instance = SalesforceLogin(
            username=SIM["username"], password=SIM["password"], security_token="",
            domain=soap_domain, sf_version="62.0", session=session)
        state["sf"] = Salesforce(session_id=session_id, instance=instance, version="62.0")
        return f"instance {instance}"

    check(name, "SOAP login (security token)", soap_login)

    def fault():
        try:
            SalesforceLogin(username=SIM["username"], password="wrong", security_token="",
                            domain=soap_domain, sf_version="62.0", session=session)
        except SalesforceAuthenticationFailed as e:
            if e.code == "INVALID_LOGIN":
                return f"sf:exceptionCode {e.code}"
            raise
        raise AssertionError("no error")

    check(name, "SOAP login fault", fault)
    sf = state.get("sf")
    if sf is None:
        return
    check(name, "query", lambda: f"{sf.query('SELECT Id, Username FROM User')['totalSize']} record(s)")
    check(name, "query_all", lambda: f"{len(sf.query_all('SELECT Id FROM User')['records'])} record(s)")

    def query_all_paged():
        team = "SELECT Id, Name FROM fHCM2__Team_Member__c"
        batch = {"Sforce-Query-Options": "batchSize=200"}
        first = sf.query(team, headers=batch)
        if first["done"] or len(first["records"]) != 200 or "nextRecordsUrl" not in first:
            raise AssertionError(f"first page done={first['done']} records={len(first['records'])}")
        rows = sf.query_all(team, headers=batch)["records"]
        if len(rows) != first["totalSize"] or len({r["Id"] for r in rows}) != len(rows):
            raise AssertionError(f"{len(rows)} of {first['totalSize']}")
        deleted_too = sf.query_all(team, include_deleted=True, headers=batch)["records"]
        return f"{len(rows)} Team Members in pages of 200; include_deleted {len(deleted_too)}"

    check(name, "query_all paging (batchSize=200, queryAll)", query_all_paged)
    check(name, "describe", lambda: f"{len(sf.describe()['sobjects'])} sobjects")
    check(name, "User.describe", lambda: f"{len(sf.User.describe()['fields'])} fields")

    def get_user():
        uid = sf.query("SELECT Id FROM User")["records"][0]["Id"]
        return sf.User.get(uid)["Username"]

    check(name, "User.get", get_user)
    check(name, "limits", lambda: str(sf.limits()["DailyApiRequests"]))
    check(name, "apexecute spapi/v4/employees",
          lambda: f"{len(sf.apexecute('spapi/v4/employees', method='GET')['data'])} employees")

    def malformed():
        try:
            sf.query("SELECT FROM User")
        except SalesforceMalformedRequest as e:
            return f"{e.status} {e.content[0]['errorCode']}"
        raise AssertionError("no error")

    check(name, "MALFORMED_QUERY error", malformed)

    def jwt_exp_string():
        # simple-salesforce's own JWT login (its payload sends exp as a string), through the
        # same session adapter.
        session_id, instance = SalesforceLogin(
            username=SIM["username"], consumer_key=SIM["client_id"],
            privatekey_file=os.environ["DEMO_KEY"], domain=soap_domain, session=session)
        if not session_id:
            raise AssertionError("no session id")
        return f"access_token issued (instance {instance})"

    check(name, "JWT bearer, exp as a string", jwt_exp_string)


def requests_oauthlib_calls():
    import requests_oauthlib
    from requests_oauthlib import OAuth2Session

    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the callback is http://localhost
    os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    name = f"requests-oauthlib {requests_oauthlib.__version__}"
    state = {}

    def flow(pkce, **extra):
        oauth = OAuth2Session(SIM["client_id"], redirect_uri=SIM["callback_url"],
                              scope=["api", "refresh_token", "openid"], pkce=pkce)
        url, _ = oauth.authorization_url(f"{LOGIN}/services/oauth2/authorize", login_hint=SIM["username"],
                                         **extra)
        r = requests.get(url, allow_redirects=False)
        location = r.headers["Location"]
        if "code" not in parse_qs(urlsplit(location).query):
            raise AssertionError(location)
        token = oauth.fetch_token(f"{LOGIN}/services/oauth2/token", authorization_response=location,
                                  client_secret=SIM["client_secret"], include_client_id=True)
        return oauth, token

    def web_flow():
        oauth, token = flow(None)
        state["oauth"] = oauth
        return f"scope {token.get('scope')}, id_token {'yes' if 'id_token' in token else 'no'}"

    check(name, "web-server flow", web_flow)

    def nonce_echoed():
        import jwt as pyjwt
        _, token = flow(None, nonce="n-0S6_WzA2Mj")
        claims = pyjwt.decode(token["id_token"], options={"verify_signature": False})
        if claims.get("nonce") != "n-0S6_WzA2Mj":
            raise AssertionError(f"nonce {claims.get('nonce')!r}")
        return "id_token nonce matches"

    check(name, "OpenID Connect nonce", nonce_echoed)

    def web_flow_pkce():
        # oauthlib's verifier alphabet includes '~', which Salesforce refuses ("invalid code
        # verifier", cognizant-ai-lab/nsflow#249); the simulator does the same.
        from oauthlib.oauth2.rfc6749.errors import InvalidGrantError
        for _ in range(20):
            try:
                flow("S256")
                return "a verifier without '~' works"
            except InvalidGrantError as e:
                if "invalid code verifier" not in str(e):
                    raise
        return "every verifier drawn had '~': refused as Salesforce refuses it"

    check(name, "web-server flow with PKCE (S256)", web_flow_pkce)
    oauth = state.get("oauth")
    if oauth is None:
        return
    check(name, "GET limits with the token",
          lambda: str(oauth.get(f"{INSTANCE}/services/data/v62.0/limits").json()["DailyApiRequests"]))

    def refresh():
        t = oauth.refresh_token(f"{LOGIN}/services/oauth2/token", client_id=SIM["client_id"],
                                client_secret=SIM["client_secret"])
        return "new access token" if t.get("access_token") else "no access token"

    check(name, "refresh", refresh)


if __name__ == "__main__":
    # The web-server flow first: the user approves the app, which the JWT flow then needs.
    requests_oauthlib_calls()
    simple_salesforce_calls()
