//! The OAuth 1.0a dance over real HTTP against the simulator: applink + consumer registration
//! through the applinks REST API, request token, approval through the control API, access token,
//! a signed REST call; and the proxy-mismatch and clock-skew scenarios breaking signatures the way
//! they break them on a real Jira. Requests are signed by oauth1-request (independent code).
use jiralink::sim::{Scenario, Sim, SimConfig};
use oauth1_request::{Builder, Credentials, ParameterList, Rsa09Sha1};
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use std::num::NonZeroU64;

struct Consumer {
    key: RsaPrivateKey,
    nonce: u32,
}

impl Consumer {
    fn sign(
        &mut self,
        method: &str,
        url: &str,
        token: Option<(&str, &str)>,
        verifier: Option<&str>,
        params: &[(&str, &str)],
        now: u64,
    ) -> String {
        self.nonce += 1;
        let nonce = format!("n{}x{now}", self.nonce);
        let mut b = Builder::<_, _, &str>::new(
            Credentials::new("jiralink-test", ""),
            Rsa09Sha1::new(self.key.clone()),
        );
        if let Some((t, s)) = token {
            b.token(Credentials::new(t, s));
        }
        if token.is_none() {
            b.callback("oob");
        }
        b.verifier(verifier)
            .nonce(nonce.as_str())
            .timestamp(NonZeroU64::new(now));
        b.authorize(method, url, &ParameterList::new(params.to_vec()))
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn field(body: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

async fn setup() -> (Sim, Consumer, reqwest::Client) {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let pem = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let c = reqwest::Client::new();
    let base = sim.base_url().to_string();
    let link: Value = c
        .put(format!("{base}/rest/applinks/3.0/applicationlink"))
        .basic_auth("admin", Some("admin"))
        .header("Accept", "application/json")
        .json(&json!({"name": "jiralink", "rpcUrl": "https://jiralink.invalid", "displayUrl": "https://jiralink.invalid", "typeId": "generic"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = link["resources-created"][0]["href"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let r = c
        .put(format!("{base}/rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer"))
        .basic_auth("admin", Some("admin"))
        .json(&json!({"key": "jiralink-test", "name": "jiralink", "publicKey": pem, "outgoing": false, "twoLOAllowed": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert!(sim.oauth().has_consumer("jiralink-test"));
    // A broken key is refused with Jira's message key.
    let r = c
        .put(format!(
            "{base}/rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer"
        ))
        .basic_auth("admin", Some("admin"))
        .json(&json!({"key": "other", "name": "x", "publicKey": "not a key"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("applinks.invalid.consumer.publickey"));
    (sim, Consumer { key, nonce: 0 }, c)
}

#[tokio::test]
async fn full_dance_over_http() {
    let (sim, mut consumer, c) = setup().await;
    let base = sim.base_url().to_string();
    let origin = sim.base_url().origin().ascii_serialization();
    let rt_url = format!("{base}/plugins/servlet/oauth/request-token");
    let auth = consumer.sign("POST", &rt_url, None, None, &[], now());
    let r = c
        .post(&rt_url)
        .header("Authorization", auth)
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    let token = field(&body, "oauth_token").unwrap_or_else(|| panic!("{body}"));
    let secret = field(&body, "oauth_token_secret").unwrap();
    // The authorize page: login page without credentials, allow page with them.
    let page = c
        .get(format!(
            "{base}/plugins/servlet/oauth/authorize?oauth_token={token}"
        ))
        .basic_auth("alice", Some("alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let v: Value = c
        .post(format!("{origin}/__sim/approve"))
        .json(&json!({"token": token, "user": "alice"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let verifier = v["verifier"].as_str().unwrap().to_owned();
    let at_url = format!("{base}/plugins/servlet/oauth/access-token");
    let auth = consumer.sign(
        "POST",
        &at_url,
        Some((&token, &secret)),
        Some(&verifier),
        &[],
        now(),
    );
    let body = c
        .post(&at_url)
        .header("Authorization", auth)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let access = field(&body, "oauth_token").unwrap_or_else(|| panic!("{body}"));
    let access_secret = field(&body, "oauth_token_secret").unwrap();
    // A signed REST call with a query string acts as alice.
    let url = format!("{base}/rest/api/2/myself");
    let auth = consumer.sign(
        "GET",
        &url,
        Some((&access, &access_secret)),
        None,
        &[("expand", "groups")],
        now(),
    );
    let r = c
        .get(format!("{url}?expand=groups"))
        .header("Authorization", auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-ausername"], "alice");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["name"], "alice");
    // Proxy mismatch: Jira verifies against its public URL, so the local signature is invalid.
    sim.set_scenario(Scenario::ProxyMismatch);
    let auth = consumer.sign(
        "GET",
        &url,
        Some((&access, &access_secret)),
        None,
        &[],
        now(),
    );
    let r = c
        .get(&url)
        .header("Authorization", auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let challenge = format!("{:?}", r.headers().get("www-authenticate"));
    let text = format!("{challenge} {}", r.text().await.unwrap());
    assert!(text.contains("signature_invalid"), "{text}");
    // Signing the public URL (what a client behind the proxy would do) works again.
    let public = "https://jira.example.com/jira/rest/api/2/myself";
    let auth = consumer.sign(
        "GET",
        public,
        Some((&access, &access_secret)),
        None,
        &[],
        now(),
    );
    let r = c
        .get(&url)
        .header("Authorization", auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Clock skew beyond the 5-minute window: timestamp refused.
    sim.set_scenario(Scenario::ClockSkew { secs: 900 });
    let auth = consumer.sign(
        "GET",
        &url,
        Some((&access, &access_secret)),
        None,
        &[],
        now(),
    );
    let r = c
        .get(&url)
        .header("Authorization", auth)
        .send()
        .await
        .unwrap();
    // net.oauth maps timestamp_refused to 400 (OAuth.Problems.TO_HTTP_CODE).
    assert_eq!(r.status(), 400);
    let challenge = format!("{:?}", r.headers().get("www-authenticate"));
    let text = format!("{challenge} {}", r.text().await.unwrap());
    assert!(text.contains("timestamp_refused"), "{text}");
}
