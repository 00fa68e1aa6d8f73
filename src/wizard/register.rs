//! What the admin types into Jira: the incoming-link form fields, the menu path for each Jira
//! version, and the two REST requests that create the same link automatically.

use serde::Serialize;

/// One labelled value shown to the user; `copyable` values get a copy action and are shown whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// Stable machine name (`consumer_key`), for `--json` output and tests.
    pub id: &'static str,
    /// The label exactly as Jira's form (or the wizard) shows it.
    pub label: String,
    /// The value to enter; empty means "leave this empty".
    pub value: String,
    /// True when the value is meant to be copied and pasted somewhere.
    pub copyable: bool,
    /// A short hint shown next to the value.
    pub note: Option<String>,
}

impl Field {
    pub(crate) fn new(id: &'static str, label: &str, value: impl Into<String>) -> Self {
        Self {
            id,
            label: label.to_string(),
            value: value.into(),
            copyable: false,
            note: None,
        }
    }

    pub(crate) fn copyable(mut self) -> Self {
        self.copyable = true;
        self
    }

    pub(crate) fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// Path (after the base URL) of the application links admin page; the same on Jira 4.3 to 10.x.
pub const APPLINKS_ADMIN_PATH: &str = "/plugins/servlet/applinks/listApplicationLinks";

/// Where the application links admin page is for one Jira version, and what to click there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MenuPath {
    /// Menu items to click, in order, ending on the application links page.
    pub menu: Vec<String>,
    /// What to do on that page to get to the incoming-link form.
    pub steps: Vec<String>,
    /// Version-specific caveats.
    pub notes: Vec<String>,
    /// The page's path after the base URL (works for every version).
    pub direct_path: &'static str,
}

impl MenuPath {
    /// The menu items joined with arrows: `⚙ → Applications → Application links`.
    pub fn menu_text(&self) -> String {
        self.menu.join(" → ")
    }

    /// The admin page's full URL for `base_url` (already normalised, no trailing slash).
    pub fn direct_url(&self, base_url: &str) -> String {
        format!("{base_url}{}", self.direct_path)
    }
}

/// The click path to the incoming-link form for the detected Jira version (`None`: unknown).
///
/// Sources: Jira 4.4/5.x/6.x admin guides ("Adding an Application Link", confluence.atlassian.com
/// pageId 370705802); Jira 8.20 "Using AppLinks to link to other applications" (Administration >
/// Applications > Application Links, enter URL, Create new link); Jira 9.5 "Configure an incoming
/// link" and Jira 10.2 "Link to other applications" (Administration > Applications > Application
/// links > Create link, where *External application* means OAuth 2.0).
pub fn menu_path(version: Option<(u32, u32, u32)>) -> MenuPath {
    let classic_steps = || {
        vec![
            "Enter the Application URL below in the URL box and click Create new link.".to_string(),
            "Jira may say \"No response was received from the URL you entered\": that is expected for an application that is not an Atlassian product; click Continue.".to_string(),
            "Enter the Application Name, choose Application Type \"Generic Application\", tick \"Create incoming link\", leave the other fields empty and click Continue.".to_string(),
            "On the incoming-link page enter Consumer Key, Consumer Name and Public Key from below, leave Consumer Callback URL empty, and click Continue.".to_string(),
        ]
    };
    let oauth2_note = || {
        "Since Jira Data Center 8.22 the \"Create link\" dialog offers \"External application\", which creates an OAuth 2.0 link; jiralink needs an OAuth 1.0a consumer. Choose \"Atlassian product\", enter the Application URL and continue past the \"No response was received\" message to reach the Generic Application form. If your version no longer offers that path, use the next step (create automatically): the applinks REST API still creates an OAuth 1.0a consumer.".to_string()
    };
    let direct_note =
        || format!("You can also open the page directly: <base URL>{APPLINKS_ADMIN_PATH}");
    let menu = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    match version {
        Some((major, minor, _)) if major < 4 || (major == 4 && minor < 3) => MenuPath {
            menu: menu(&["Administration", "System", "OAuth"]),
            steps: vec![
                "Jira before 4.3 has no Application Links; add the consumer under OAuth → Add OAuth Consumer with the Consumer Key, Name and Public Key below.".to_string(),
            ],
            notes: vec![
                "This Jira is too old for the link wizard's checks; upgrading is strongly recommended.".to_string(),
            ],
            direct_path: APPLINKS_ADMIN_PATH,
        },
        Some((4, _, _)) | Some((5, _, _)) => MenuPath {
            menu: menu(&["Administration", "Application Links"]),
            steps: {
                let mut s = vec![
                    "Click \"Add Application Link\" and enter the Application URL below; continue past \"No response was received\".".to_string(),
                ];
                s.extend(classic_steps().into_iter().skip(2));
                s
            },
            notes: vec![direct_note()],
            direct_path: APPLINKS_ADMIN_PATH,
        },
        Some((6, _, _)) => MenuPath {
            menu: menu(&["Administration", "Add-ons", "Application Links"]),
            steps: classic_steps(),
            notes: vec![direct_note()],
            direct_path: APPLINKS_ADMIN_PATH,
        },
        Some((major @ (7 | 8), minor, _)) => {
            let mut notes = vec![direct_note()];
            if major == 8 && minor >= 22 {
                notes.insert(0, oauth2_note());
            }
            MenuPath {
                menu: menu(&["⚙ Administration", "Applications", "Application links"]),
                steps: classic_steps(),
                notes,
                direct_path: APPLINKS_ADMIN_PATH,
            }
        }
        Some(_) => MenuPath {
            // 9.x, 10.x and later.
            menu: menu(&["⚙ Administration", "Applications", "Application links"]),
            steps: {
                let mut s = vec![
                    "Click \"Create link\", choose \"Atlassian product\" (not \"External application\", which is OAuth 2.0) and enter the Application URL below.".to_string(),
                ];
                s.extend(classic_steps().into_iter().skip(1));
                s
            },
            notes: vec![oauth2_note(), direct_note()],
            direct_path: APPLINKS_ADMIN_PATH,
        },
        None => MenuPath {
            menu: menu(&["⚙ Administration", "Applications", "Application links"]),
            steps: classic_steps(),
            notes: vec![
                "The Jira version is unknown; this is the path for Jira 7 to 10. Jira 6 has it under Administration → Add-ons → Application Links.".to_string(),
                oauth2_note(),
                direct_note(),
            ],
            direct_path: APPLINKS_ADMIN_PATH,
        },
    }
}

/// One REST request the automatic creation will send.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedRequest {
    /// HTTP method (`PUT`).
    pub method: &'static str,
    /// Path after the base URL; the second request contains the literal `{id}` placeholder.
    pub path: String,
    /// The JSON body.
    pub body: serde_json::Value,
    /// What this request does, for the confirmation screen.
    pub purpose: String,
}

/// The requests that create the incoming link, shown before anything is sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreatePlan {
    /// The connection (from the config) whose admin credentials will send the requests.
    pub admin: Option<String>,
    /// First the application link, then its OAuth consumer.
    pub requests: Vec<PlannedRequest>,
}

/// Path of the request that creates the application link.
pub const CREATE_LINK_PATH: &str = "/rest/applinks/3.0/applicationlink";

/// Placeholder in [`CreatePlan`] paths for the id Jira returns from the first request.
pub const LINK_ID_PLACEHOLDER: &str = "{id}";

impl CreatePlan {
    /// Path of the consumer request for the link `id` that the first request returned (Jira
    /// answers 201 with the new link's `…/applicationlink/<id>` in the `Location` header and body).
    pub fn consumer_path(id: &str) -> String {
        format!("/rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer")
    }

    /// Human-readable listing of the requests, for the confirmation prompt.
    pub fn render(&self, base_url: &str) -> String {
        let mut out = String::new();
        if let Some(admin) = &self.admin {
            out.push_str(&format!("Using the admin connection \"{admin}\":\n"));
        }
        for (i, r) in self.requests.iter().enumerate() {
            let body = serde_json::to_string_pretty(&r.body).unwrap_or_default();
            out.push_str(&format!(
                "{}. {} {}{}\n   {}\n{}\n",
                i + 1,
                r.method,
                base_url,
                r.path,
                r.purpose,
                indent(&body, "   ")
            ));
        }
        out
    }
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|l| format!("{prefix}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The two request bodies. Shapes from public uses of the applinks REST API: the applink
/// `{id: null, name, rpcUrl, displayUrl, typeId: "generic"}` and the consumer `{key, name,
/// description, sharedSecret, publicKey, outgoing, twoLOAllowed, executingTwoLOUser,
/// twoLOImpersonationAllowed}` (esp.bitbucket Ansible collection `bitbucket_application_link.py`;
/// the same bodies in a Jira Marketplace app's admin.js). No `callback` key: an empty callback is
/// what makes Jira show the verifier instead of redirecting.
pub(crate) fn plan_requests(
    app_name: &str,
    app_url: &str,
    consumer_key: &str,
    consumer_name: &str,
    public_key: &str,
) -> Vec<PlannedRequest> {
    vec![
        PlannedRequest {
            method: "PUT",
            path: CREATE_LINK_PATH.to_string(),
            body: serde_json::json!({
                "id": null,
                "name": app_name,
                "rpcUrl": app_url,
                "displayUrl": app_url,
                "typeId": "generic",
            }),
            purpose: "Create a Generic Application link.".to_string(),
        },
        PlannedRequest {
            method: "PUT",
            path: CreatePlan::consumer_path(LINK_ID_PLACEHOLDER),
            body: serde_json::json!({
                "key": consumer_key,
                "name": consumer_name,
                "description": null,
                "sharedSecret": null,
                "publicKey": public_key,
                "outgoing": false,
                "twoLOAllowed": false,
                "executingTwoLOUser": null,
                "twoLOImpersonationAllowed": false,
            }),
            purpose: "Register the incoming OAuth 1.0a consumer (RSA-SHA1, no callback, no 2-legged OAuth) on that link.".to_string(),
        },
    ]
}
